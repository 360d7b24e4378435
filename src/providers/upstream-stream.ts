import { finished, type Readable } from 'node:stream';
import type { AttemptScope } from './attempt-scope';
import { type ChatCompletionChunk, chunkHasContent } from './chat.types';
import type { StreamDecoder, StreamEvent } from './protocol-codec';

/** Cuts a body's network reads into protocol events (SSE or NDJSON). */
export interface StreamFramer {
  feed(part: Buffer): readonly StreamEvent[];
  /** Events left when the body ends. */
  end(): readonly StreamEvent[];
}

/** An upstream stream whose request was sent and whose answer was checked (2xx, right content type). */
export interface OpenedStream {
  body: Readable;
  decoder: StreamDecoder;
  framer: StreamFramer;
}

/** The adapter's half of one streamed attempt. */
export interface StreamAttempt {
  /** Takes a concurrency slot and arms the first-token timer; throws when the provider is at its cap. */
  begin(): AttemptScope;
  /** Sends the request and checks the answer. */
  open(scope: AttemptScope): Promise<OpenedStream>;
  /** The idle timeout, armed at the first content. */
  readonly idleMs: number;
  /** What the consumer sees of a failure (the request's own abort wins; else an UpstreamError). */
  failure(scope: AttemptScope, error: unknown): unknown;
  /** Gives the concurrency slot back and disarms the timer; called once. */
  end(scope: AttemptScope): void;
}

type Waiter = {
  resolve(result: IteratorResult<ChatCompletionChunk>): void;
  reject(error: unknown): void;
};

/**
 * One streamed attempt as an async iterator of OpenAI chunks. The request goes out at the first
 * pull; from then on each network read of the body is framed and decoded as it arrives, and its
 * chunks wait here for the consumer's pulls. While chunks wait, the body is paused, so a slow
 * consumer slows the upstream read. `return()` (the consumer stopped) destroys the body, which
 * aborts the upstream request.
 *
 * Hand-written rather than an async generator over the body's reads: per chunk, one promise for the
 * pull instead of a generator step plus an await per read (bench/hot-path.md).
 */
export class UpstreamStream implements AsyncIterableIterator<ChatCompletionChunk> {
  private readonly ready: ChatCompletionChunk[] = [];
  private waiter: Waiter | undefined;
  private phase: 'new' | 'opening' | 'open' | 'over' = 'new';
  /** Set when the attempt failed: delivered after the chunks decoded before the failure. */
  private failed: { error: Error } | undefined;
  private scope: AttemptScope | undefined;
  private opened: OpenedStream | undefined;
  private sawContent = false;

  constructor(private readonly attempt: StreamAttempt) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ChatCompletionChunk>> {
    const chunk = this.ready.shift();
    if (chunk !== undefined) {
      if (this.ready.length === 0 && this.opened?.body.isPaused()) this.opened.body.resume();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.failed) return Promise.reject(this.failed.error);
    if (this.phase === 'over') return Promise.resolve({ done: true, value: undefined });
    if (this.waiter) return Promise.reject(new Error('UpstreamStream.next() called while a pull is pending'));
    const pending = new Promise<IteratorResult<ChatCompletionChunk>>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
    if (this.phase === 'new') this.start();
    return pending;
  }

  /** The consumer stopped: the upstream request ends here. */
  return(): Promise<IteratorResult<ChatCompletionChunk>> {
    this.ready.length = 0;
    this.finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  private start(): void {
    this.phase = 'opening';
    try {
      this.scope = this.attempt.begin();
    } catch (error) {
      // Nothing was taken: no slot to give back, no request to abort.
      this.fail(error);
      return;
    }
    this.attempt.open(this.scope).then(
      (opened) => this.listen(opened),
      (error: unknown) => this.onFailure(error),
    );
  }

  private listen(opened: OpenedStream): void {
    const { body } = opened;
    if (this.phase === 'over') {
      // The consumer left while the request was being answered.
      body.destroy();
      return;
    }
    this.phase = 'open';
    this.opened = opened;
    body.on('data', (part: Buffer) => this.onData(part));
    // Node's own end-of-stream detection: an error, a close before the end (ERR_STREAM_PREMATURE_CLOSE)
    // or a body that had already ended or failed before this listener came.
    finished(body, (error) => (error ? this.onFailure(error) : this.onEnd()));
  }

  private onData(part: Buffer): void {
    if (this.phase !== 'open') return;
    const { framer, decoder, body } = this.opened!;
    try {
      const events = framer.feed(part);
      if (events.length === 0) return;
      if (this.sawContent) this.scope!.refresh();
      for (const event of events) for (const chunk of decoder.push(event)) this.deliver(chunk);
    } catch (error) {
      this.onFailure(error);
      return;
    }
    if (this.ready.length > 0) body.pause();
  }

  private onEnd(): void {
    if (this.phase !== 'open') return;
    const { framer, decoder } = this.opened!;
    try {
      for (const event of framer.end()) for (const chunk of decoder.push(event)) this.deliver(chunk);
      for (const chunk of decoder.end()) this.deliver(chunk);
    } catch (error) {
      this.onFailure(error);
      return;
    }
    this.finish();
  }

  private onFailure(error: unknown): void {
    if (this.phase === 'over') return;
    const decoder = this.opened?.decoder;
    // An upstream that keeps the connection open after its end marker is not a failure.
    if (decoder?.done && !this.scope!.outerAborted) {
      try {
        for (const chunk of decoder.end()) this.deliver(chunk);
      } catch (endError) {
        this.fail(this.attempt.failure(this.scope!, endError));
        return;
      }
      this.finish();
      return;
    }
    this.fail(this.attempt.failure(this.scope!, error));
  }

  private deliver(chunk: ChatCompletionChunk): void {
    if (!this.sawContent && chunkHasContent(chunk)) {
      this.sawContent = true;
      this.scope!.arm('idle', this.attempt.idleMs);
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
    } else {
      this.ready.push(chunk);
    }
  }

  /** Ends with an error, after whatever was decoded before it. */
  private fail(error: unknown): void {
    // UpstreamErrors, or the request's own abort reason (an Error too).
    this.failed = { error: error instanceof Error ? error : new Error(String(error)) };
    this.finish();
  }

  /** Releases the body and the slot, once; a waiting pull gets the end (or the failure). */
  private finish(): void {
    const opening = this.phase === 'opening';
    this.phase = 'over';
    const body = this.opened?.body;
    if (body && !body.destroyed) body.destroy();
    if (this.scope) {
      // Left before the answer came: the request must not stay in flight without its timer.
      if (opening) this.scope.controller.abort(new Error('the stream was closed by its consumer'));
      this.attempt.end(this.scope);
      this.scope = undefined;
    }
    this.settleWaiter();
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (this.failed) waiter.reject(this.failed.error);
    else waiter.resolve({ done: true, value: undefined });
  }
}
