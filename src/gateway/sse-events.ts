import { ClientDisconnectedError } from '../common/request-aborted';
import { UpstreamError } from '../common/upstream-error';
import type { RoutedStream } from '../resilience/request-router.service';

const DONE = 'data: [DONE]\n\n';

/**
 * The SSE body of a committed stream, pulled chunk by chunk by the HTTP response (so a slow client
 * slows the upstream read). A failure after the first byte cannot change the status any more: it
 * ends the stream with one in-band error event and [DONE], never with a silent clean end.
 */
export async function* sseEvents(
  routed: RoutedStream,
  onFailure?: (error: unknown) => void,
): AsyncGenerator<string> {
  try {
    for (const chunk of routed.head) yield `data: ${JSON.stringify(chunk)}\n\n`;
    for (;;) {
      const next = await routed.tail.next();
      if (next.done) break;
      yield `data: ${JSON.stringify(next.value)}\n\n`;
    }
    yield DONE;
  } catch (error) {
    if (error instanceof ClientDisconnectedError) return;
    onFailure?.(error);
    yield `data: ${JSON.stringify(streamErrorBody(error))}\n\n`;
    yield DONE;
  } finally {
    await routed.tail.return?.(undefined);
    routed.release();
  }
}

function streamErrorBody(error: unknown): { error: Record<string, unknown> } {
  const upstream = error instanceof UpstreamError ? error : undefined;
  return {
    error: {
      message: upstream
        ? `The upstream stream failed after it started (${upstream.failureClass}): ${upstream.message}`
        : 'The stream failed after it started.',
      type: 'upstream_error',
      code: upstream?.failureClass ?? 'stream_failed',
      param: null,
    },
  };
}
