import type { Clock } from '../common/clock';

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/**
 * Requests waiting for a provider's resting keys, first come first served. When keys come back, as
 * many waiters wake as keys are usable, so a rate-limited pool is used at its real pace instead of
 * every waiter rushing the first key that returns (and getting it rate-limited again).
 */
export class KeyWaitQueue {
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly usableKeys: () => number,
    private readonly nextRestEnd: () => number | undefined,
  ) {}

  get length(): number {
    return this.waiters.length;
  }

  /** Resolves when a key is this waiter's to use; rejects with the signal's reason if it aborts first. */
  wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.remove(waiter);
          reject(signal.reason as Error);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      this.wake();
    });
  }

  /** Wakes as many waiters as keys are usable now, and arms a timer for the next key's return. */
  wake(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let usable = this.usableKeys();
    while (usable > 0 && this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
      usable--;
    }
    if (this.waiters.length === 0) return;
    const back = this.nextRestEnd();
    // All keys disabled: nothing comes back by itself; the waiters' deadlines end their wait.
    if (back === undefined) return;
    this.timer = setTimeout(() => this.wake(), Math.max(0, back - this.clock.now()));
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
    if (this.waiters.length === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
