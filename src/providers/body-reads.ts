import { finished, type Readable } from 'node:stream';

/**
 * A response body's network reads, pulled one at a time: `next()` resolves with the next read, or
 * null once the body ended. Reads arrive in flowing mode (`'data'` hands each one over in the same
 * tick), where Readable's async iterator pays per read for an async-generator step, a promise and
 * an `emitReadable` tick (bench/hot-path.md). A read the consumer is not waiting for pauses the body,
 * so a slow consumer still slows the upstream. Whole bodies are read with it (readText); streams
 * read the same way inside UpstreamStream.
 *
 * Ends like the async iterator: an error rejects the pending and every later `next()`, and a body
 * closed before its end rejects with ERR_STREAM_PREMATURE_CLOSE. Stopping early is the caller's
 * `body.destroy()`.
 */
export class BodyReads {
  private readonly queued: Buffer[] = [];
  private waiter: { resolve(part: Buffer | null): void; reject(error: Error): void } | undefined;
  private ended = false;
  private failure: { error: Error } | undefined;

  constructor(private readonly body: Readable) {
    body.on('data', (part: Buffer) => this.onData(part));
    // Node's own end-of-stream detection, which reports a close before the end as
    // ERR_STREAM_PREMATURE_CLOSE.
    finished(body, (error) => (error ? this.onFailure(error) : this.onEnd()));
  }

  next(): Promise<Buffer | null> {
    // As the async iterator: a failed body yields nothing more, not even what it had buffered.
    if (this.failure) return Promise.reject(this.failure.error);
    const part = this.queued.shift();
    if (part !== undefined) {
      if (this.queued.length === 0 && this.body.isPaused()) this.body.resume();
      return Promise.resolve(part);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private onData(part: Buffer): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve(part);
      return;
    }
    this.queued.push(part);
    this.body.pause();
  }

  private onEnd(): void {
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(null);
  }

  private onFailure(error: Error): void {
    if (this.failure || this.ended) return;
    this.failure = { error };
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}
