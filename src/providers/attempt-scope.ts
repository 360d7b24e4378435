import { AttemptTimeout } from './upstream-failure';

/**
 * The life of one upstream attempt: its own AbortController, linked to the request's signal (client
 * gone, deadline passed), and one re-armable timer for the attempt, first-token and idle timeouts.
 * One timer is enough because the three never run at once.
 */
export class AttemptScope {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timerKind: AttemptTimeout['which'] = 'attempt';
  private timerMs = 0;
  private readonly onOuterAbort = (): void => this.controller.abort(this.outer.reason);

  constructor(private readonly outer: AbortSignal) {
    if (outer.aborted) this.controller.abort(outer.reason);
    else outer.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts (or restarts) the timer; when it fires the attempt is aborted with an AttemptTimeout. */
  arm(kind: AttemptTimeout['which'], ms: number): void {
    this.timerKind = kind;
    this.timerMs = ms;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(
      () => this.controller.abort(new AttemptTimeout(this.timerKind, this.timerMs)),
      ms,
    );
  }

  /** Pushes the current timer's deadline back by its full length (cheap: no new timer object). */
  refresh(): void {
    this.timer?.refresh();
  }

  /** True when the request's own signal aborted (client gone or deadline), not one of our timers. */
  get outerAborted(): boolean {
    return this.outer.aborted;
  }

  get outerReason(): unknown {
    return this.outer.reason as unknown;
  }

  /** The reason our own controller aborted with, if it did. */
  get abortReason(): unknown {
    return this.controller.signal.aborted ? (this.controller.signal.reason as unknown) : undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.outer.removeEventListener('abort', this.onOuterAbort);
  }
}
