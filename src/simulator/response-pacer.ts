import type { ServerResponse } from 'node:http';
import type { RecordedRequest } from './request-recorder';

/**
 * Timing and flow control of one response. Every wait ends early when the client goes away, and
 * the pending timer is cleared then, so thousands of abandoned streams leave no timers behind.
 * One 'close' listener per response (not one per wait) avoids listener build-up on long streams.
 */
export class ResponsePacer {
  closed = false;
  private destroyedByUs = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: ((alive: boolean) => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly record: RecordedRequest,
  ) {
    res.once('finish', this.onFinish);
    res.once('close', this.onClose);
  }

  private readonly onFinish = (): void => {
    this.record.completed = true;
    this.record.endedAt = Date.now();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.res.removeListener('drain', this.onDrain);
    if (!this.record.completed) {
      this.record.endedAt = Date.now();
      if (!this.destroyedByUs) {
        this.record.aborted = true;
        this.record.abortedAt = this.record.endedAt;
      }
    }
    this.resume(false);
  };

  private readonly onDrain = (): void => this.resume(true);

  private resume(alive: boolean): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.(alive);
  }

  /** Waits `ms`; resolves false if the client went away meanwhile. */
  wait(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.resume(true);
      }, ms);
    });
  }

  /** Waits until the client goes away (hang, stall). */
  untilClosed(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Writes with backpressure: when the socket buffer is full, waits for 'drain' (or the client leaving). */
  async write(data: string): Promise<boolean> {
    if (this.closed) return false;
    if (data === '' || this.res.write(data)) return true;
    return new Promise((resolve) => {
      this.wake = resolve;
      this.res.once('drain', this.onDrain);
    });
  }

  /** Writes and waits until the bytes were handed to the kernel, so a following reset cannot drop them. */
  flushed(data: string): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.wake = resolve;
      const done = () => setImmediate(() => this.resume(!this.closed));
      if (data === '') {
        this.res.flushHeaders();
        done();
      } else {
        this.res.write(data, done);
      }
    });
  }

  end(data?: string): void {
    if (!this.closed) this.res.end(data);
  }

  /** Destroys the socket with a TCP RST (ECONNRESET for the client); not counted as a client abort. */
  reset(): void {
    this.destroyedByUs = true;
    const socket = this.res.socket;
    if (socket && !socket.destroyed) socket.resetAndDestroy();
    else this.res.destroy();
  }

  /** Closes the socket with a FIN after a partial answer (Content-Length mismatch). */
  close(): void {
    this.destroyedByUs = true;
    this.res.socket?.destroy();
  }
}
