import { Readable } from 'node:stream';
import { FailureClass } from '../common/failure-class';
import { GatewayError } from '../common/gateway-error';
import { ClientDisconnectedError } from '../common/request-aborted';
import { UpstreamError } from '../common/upstream-error';
import type { ChatCompletionChunk } from '../providers/chat.types';
import type { RoutedStream } from '../resilience/request-router.service';

const DONE = 'data: [DONE]\n\n';
const noop = (): void => {};

export interface StreamOutcome {
  opened(): void;
  closed(): void;
  succeeded(): void;
  /** Awaited before the error event is written, so the event can carry the DLQ id. */
  failed(error: GatewayError): Promise<void>;
  /** Called before each event is pushed (to batch the events of one upstream read into one write). */
  beforeEvent?: () => void;
}

/**
 * The SSE body of a committed stream, pulled chunk by chunk by the HTTP response (so a slow client
 * slows the upstream read). A failure after the first byte cannot change the status any more: it
 * ends the stream with one in-band error event and [DONE], never with a silent clean end.
 *
 * A Readable pulling the tail iterator directly rather than `Readable.from` over an async generator:
 * that was two more promise hops per chunk, a tenth of the gateway's CPU per relayed chunk.
 */
export class SseBody extends Readable {
  private headIndex = 0;
  private pulling = false;
  private readonly beforeEvent: () => void;

  constructor(
    private readonly routed: RoutedStream,
    private readonly outcome: StreamOutcome,
  ) {
    // Strings in object mode reach the socket as they are, without a copy into a Buffer.
    super({ objectMode: true, highWaterMark: 16 });
    this.beforeEvent = outcome.beforeEvent ?? noop;
    outcome.opened();
  }

  override _read(): void {
    if (!this.pulling) this.pull();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.outcome.closed();
    // Returning the tail aborts the upstream request when the client left before the end.
    const release = (): void => {
      this.routed.release();
      callback(error);
    };
    const returned = this.routed.tail.return?.(undefined);
    if (returned) returned.then(release, release);
    else release();
  }

  private pull(): void {
    const { head, tail } = this.routed;
    while (this.headIndex < head.length) {
      if (!this.pushEvent(`data: ${JSON.stringify(head[this.headIndex++])}\n\n`)) return;
    }
    this.pulling = true;
    tail.next().then(this.onChunk, this.onFailure);
  }

  private readonly onChunk = (next: IteratorResult<ChatCompletionChunk>): void => {
    this.pulling = false;
    if (this.destroyed) return;
    if (next.done) {
      this.outcome.succeeded();
      this.pushEvent(DONE);
      this.push(null);
    } else if (this.pushEvent(`data: ${JSON.stringify(next.value)}\n\n`)) {
      this.pull();
    }
  };

  private readonly onFailure = (error: unknown): void => {
    this.pulling = false;
    if (this.destroyed) return;
    if (error instanceof ClientDisconnectedError) {
      this.push(null);
      return;
    }
    const failure = streamFailure(error);
    // Awaited before the event is written, so the event can carry the DLQ id.
    const end = (): void => this.endWithError(failure);
    this.outcome.failed(failure).then(end, end);
  };

  private endWithError(failure: GatewayError): void {
    if (this.destroyed) return;
    this.pushEvent(`data: ${JSON.stringify(failure.toBody())}\n\n`);
    this.push(DONE);
    this.push(null);
  }

  private pushEvent(event: string): boolean {
    this.beforeEvent();
    return this.push(event);
  }
}

function streamFailure(error: unknown): GatewayError {
  const upstream = error instanceof UpstreamError ? error : undefined;
  const failureClass = upstream?.failureClass ?? FailureClass.NetworkError;
  return new GatewayError(
    502,
    'upstream_error',
    upstream
      ? `The upstream stream failed after it started (${failureClass}): ${upstream.message}`
      : 'The stream failed after it started.',
    { code: failureClass, failureClass, cause: error },
  );
}
