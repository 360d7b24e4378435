import { HedgeLostError } from '../common/request-aborted';

/** One branch of a hedged race: resolves to a value, or undefined when its deployment gave up. */
export type RaceBranch<T> = (signal: AbortSignal) => Promise<T | undefined>;

export interface RaceOutcome<T> {
  value?: T;
  /** The hedge was started (so both deployments have been tried when no value came back). */
  hedged: boolean;
}

/**
 * "The Tail at Scale" hedging: runs the primary branch and, if it has not answered after `afterMs`,
 * a second branch on the next deployment (when `mayHedge()` allows: the extra-load budget). The first
 * branch to produce a value wins and the other is aborted with HedgeLostError (a losing primary's
 * carries `afterMs`: it was slower than that). A branch that throws anything else (bad request,
 * deadline, client gone) ends the race with that error.
 */
export function hedgedRace<T>(
  primary: RaceBranch<T>,
  hedge: RaceBranch<T>,
  afterMs: number,
  parent: AbortSignal,
  mayHedge: () => boolean,
  /** Called with a value that came back after the race was decided (its resources still need settling). */
  discard: (value: T) => void = () => {},
): Promise<RaceOutcome<T>> {
  return new Promise((resolve, reject) => {
    const running = new Set<AbortController>();
    let hedged = false;
    let finished = false;
    const onParentAbort = (): void => running.forEach((controller) => controller.abort(parent.reason));
    parent.addEventListener('abort', onParentAbort, { once: true });

    const finish = (settle: () => void, winner?: AbortController): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
      for (const controller of running) {
        if (controller === winner) continue;
        controller.abort(
          new HedgeLostError(controller === primaryController && hedged ? afterMs : undefined),
        );
      }
      settle();
    };

    let primaryController: AbortController | undefined;
    const start = (branch: RaceBranch<T>): void => {
      const controller = new AbortController();
      primaryController ??= controller;
      if (parent.aborted) controller.abort(parent.reason);
      running.add(controller);
      branch(controller.signal).then(
        (value) => {
          running.delete(controller);
          if (finished) {
            if (value !== undefined) discard(value);
            return;
          }
          if (value !== undefined) finish(() => resolve({ value, hedged }), controller);
          // Both gave up, or the primary gave up before a hedge was due: the caller falls back.
          else if (running.size === 0) finish(() => resolve({ hedged }));
        },
        (error: unknown) => {
          running.delete(controller);
          if (error instanceof HedgeLostError) return;
          finish(() => reject(error instanceof Error ? error : new Error(String(error))));
        },
      );
    };

    // The hedge is decided after the I/O already received: when the event loop was stalled (GC, a
    // CPU quota), the timer fires before the poll phase, while the primary's answer may be sitting
    // unread in its socket; deciding at once would spend budget (and tokens) on a twin for nothing.
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (finished || !mayHedge()) return;
        hedged = true;
        start(hedge);
      });
    }, afterMs);
    start(primary);
  });
}
