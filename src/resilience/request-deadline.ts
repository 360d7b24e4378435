import { DeadlineExceededError } from '../common/request-aborted';

/**
 * The signal every attempt of one client request runs under: it aborts when the client goes away
 * (reason: the client's) or when `request_timeout_ms` passes (reason: DeadlineExceededError). A
 * stream that has delivered its first content byte is committed: the deadline no longer applies to
 * it, only the client and the idle timeout can end it.
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onClientAbort = (): void => this.controller.abort(this.client.reason);
  readonly expiresAt: number;

  constructor(
    private readonly client: AbortSignal,
    readonly timeoutMs: number,
    now: number,
  ) {
    this.expiresAt = now + timeoutMs;
    if (client.aborted) {
      this.controller.abort(client.reason);
      return;
    }
    client.addEventListener('abort', this.onClientAbort, { once: true });
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceededError(timeoutMs)), timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.reason instanceof DeadlineExceededError;
  }

  /** The stream reached its client: from now on only the client can abort it. */
  commit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Releases the timer and the client listener once the request is over. */
  dispose(): void {
    this.commit();
    this.client.removeEventListener('abort', this.onClientAbort);
  }
}
