import type { ServerResponse } from 'node:http';
import { constants as h2, type Http2ServerResponse } from 'node:http2';
import type { RecordedRequest } from './request-recorder';
import { isHttp2, type SimResponse } from './transport';

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
    private readonly res: SimResponse,
    private readonly record: RecordedRequest,
  ) {
    res.once('finish', this.onFinish);
    res.once('close', this.onClose);
  }

  private readonly onFinish = (): void => {
    // node:http2's compatibility response emits 'finish' whenever its stream closes, a client's
    // RST_STREAM included: over HTTP/2 the answer is complete only if it was ended and the stream
    // closed without an error code.
    if (isHttp2(this.res) && !(this.res.writableEnded && this.res.stream.rstCode === h2.NGHTTP2_NO_ERROR))
      return;
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
        this.res.flushHeaders?.();
        done();
      } else {
        this.res.write(data, done);
      }
    });
  }

  end(data?: string): void {
    if (this.closed) return;
    if (data === undefined) this.res.end();
    else this.res.end(data);
  }

  /**
   * Destroys the socket with a TCP RST (ECONNRESET for the client); not counted as a client abort.
   * Over HTTP/2 the stream is reset (RST_STREAM INTERNAL_ERROR) and the connection's other streams
   * carry on, as a real HTTP/2 server or proxy fails one request.
   */
  reset(): void {
    this.destroyedByUs = true;
    if (isHttp2(this.res)) return this.resetStream();
    const socket = (this.res as ServerResponse).socket;
    if (socket && !socket.destroyed) socket.resetAndDestroy();
    else this.res.destroy();
  }

  /** Closes the socket with a FIN after a partial answer (Content-Length mismatch); HTTP/2: RST_STREAM. */
  close(): void {
    this.destroyedByUs = true;
    if (isHttp2(this.res)) return this.resetStream();
    (this.res as ServerResponse).socket?.destroy();
  }

  private resetStream(): void {
    const stream = (this.res as Http2ServerResponse).stream;
    if (!stream.destroyed) stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  }
}
