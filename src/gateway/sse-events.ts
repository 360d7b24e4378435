import { FailureClass } from '../common/failure-class';
import { GatewayError } from '../common/gateway-error';
import { ClientDisconnectedError } from '../common/request-aborted';
import { UpstreamError } from '../common/upstream-error';
import type { RoutedStream } from '../resilience/request-router.service';

const DONE = 'data: [DONE]\n\n';
const noop = (): void => {};

export interface StreamOutcome {
  opened(): void;
  closed(): void;
  succeeded(): void;
  /** Awaited before the error event is written, so the event can carry the DLQ id. */
  failed(error: GatewayError): Promise<void>;
  /** Called before each event is yielded (to batch the events of one upstream read into one write). */
  beforeEvent?: () => void;
}

/**
 * The SSE body of a committed stream, pulled chunk by chunk by the HTTP response (so a slow client
 * slows the upstream read). A failure after the first byte cannot change the status any more: it
 * ends the stream with one in-band error event and [DONE], never with a silent clean end.
 */
export async function* sseEvents(routed: RoutedStream, outcome?: StreamOutcome): AsyncGenerator<string> {
  outcome?.opened();
  const beforeEvent = outcome?.beforeEvent ?? noop;
  try {
    for (const chunk of routed.head) {
      beforeEvent();
      yield `data: ${JSON.stringify(chunk)}\n\n`;
    }
    for (;;) {
      const next = await routed.tail.next();
      if (next.done) break;
      beforeEvent();
      yield `data: ${JSON.stringify(next.value)}\n\n`;
    }
    outcome?.succeeded();
    beforeEvent();
    yield DONE;
  } catch (error) {
    if (error instanceof ClientDisconnectedError) return;
    const failure = streamFailure(error);
    await outcome?.failed(failure);
    beforeEvent();
    yield `data: ${JSON.stringify(failure.toBody())}\n\n`;
    yield DONE;
  } finally {
    outcome?.closed();
    await routed.tail.return?.(undefined);
    routed.release();
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
