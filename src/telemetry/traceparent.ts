import { randomHex } from '../common/random-hex';
import { context, trace, isSpanContextValid } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C traceparent of the current request: the active OpenTelemetry span when tracing runs,
 * otherwise the client's trace id (kept, so its trace continues) with a span id of our own.
 */
export function currentTraceparent(incoming: string | string[] | undefined): string {
  const span = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  if (spanContext && isSpanContextValid(spanContext)) {
    const flags = spanContext.traceFlags.toString(16).padStart(2, '0');
    return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  }
  const match = typeof incoming === 'string' ? TRACEPARENT.exec(incoming) : null;
  const spanId = randomHex(8);
  if (match && match[1] !== '0'.repeat(32)) return `00-${match[1]}-${spanId}-${match[3]}`;
  return `00-${randomHex(16)}-${spanId}-01`;
}

/** The trace id of the response's traceparent header, for logs, events and the dead letter queue. */
export function traceIdOf(reply: { getHeader(name: string): unknown }): string | undefined {
  const traceparent = reply.getHeader('traceparent');
  return typeof traceparent === 'string' ? traceparent.slice(3, 35) : undefined;
}
