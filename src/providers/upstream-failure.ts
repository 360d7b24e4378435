import { FailureClass } from '../common/failure-class';
import { UpstreamError } from '../common/upstream-error';

/** Why an attempt's own timer aborted it; carried as the AbortSignal reason. */
export class AttemptTimeout extends Error {
  constructor(
    readonly which: 'attempt' | 'first_token' | 'idle',
    readonly afterMs: number,
  ) {
    super(`${which.replace('_', '-')} timeout after ${afterMs} ms`);
    this.name = 'AttemptTimeout';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** The upstream answered, but its bytes cannot be trusted: counted like a garbled body. */
const BROKEN_BODY_CODES = new Set([
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_HTTP_PARSER',
  'HPE_INVALID_CONSTANT',
]);

/**
 * Turns whatever an undici call threw into an UpstreamError. The caller has already checked whether
 * the request's own signal aborted (client gone, deadline); here an abort can only be one of our
 * attempt timers, whose reason is passed in.
 */
export function toUpstreamError(error: unknown, abortReason?: unknown): UpstreamError {
  if (abortReason instanceof AttemptTimeout) {
    return new UpstreamError(FailureClass.Timeout, abortReason.message, { cause: error });
  }
  if (error instanceof UpstreamError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code && TIMEOUT_CODES.has(code)) {
    return new UpstreamError(FailureClass.Timeout, `upstream timed out (${code})`, { cause: error });
  }
  if (code && BROKEN_BODY_CODES.has(code)) {
    return new UpstreamError(FailureClass.ParseError, `upstream sent a broken body (${code})`, {
      cause: error,
    });
  }
  if (code && NETWORK_CODES.has(code)) {
    return new UpstreamError(FailureClass.NetworkError, `upstream connection failed (${code})`, {
      cause: error,
    });
  }
  return new UpstreamError(FailureClass.NetworkError, `upstream request failed: ${message}`, {
    cause: error,
  });
}

/** undici wraps socket errors; the useful code may sit a few causes deep. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
