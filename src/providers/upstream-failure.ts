import { FailureClass } from '../common/failure-class';
import { UpstreamError } from '../common/upstream-error';

// NOTE: reconstructed by the codec worker after it accidentally overwrote this file; the adapter
// owner should check it against the original.

/** One of the attempt's own timers fired: the whole attempt, the first token, or the gap between chunks. */
export class AttemptTimeout extends Error {
  constructor(
    readonly which: 'attempt' | 'first_token' | 'idle',
    readonly ms: number,
  ) {
    super(`${which.replace('_', '-')} timeout after ${ms} ms`);
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
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_DESTROYED',
]);

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Any failure of one attempt as an UpstreamError: our own timers win, then the error's own kind. */
export function toUpstreamError(error: unknown, abortReason?: unknown): UpstreamError {
  if (abortReason instanceof AttemptTimeout) {
    return new UpstreamError(FailureClass.Timeout, abortReason.message, { cause: error });
  }
  if (error instanceof UpstreamError) return error;
  if (error instanceof AttemptTimeout) return new UpstreamError(FailureClass.Timeout, error.message, { cause: error });
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new UpstreamError(FailureClass.NetworkError, `${code}: ${message}`, { cause: error });
  }
  return new UpstreamError(FailureClass.NetworkError, message, { cause: error });
}
