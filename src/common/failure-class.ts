/**
 * The failure taxonomy of CONTRACT §3. Every upstream failure is classified as exactly one of the
 * upstream classes; the gateway's own outcomes complete the set. These strings appear in the DLQ,
 * metrics, logs and traces, so they never change.
 */
export enum FailureClass {
  RateLimited = 'rate_limited',
  Timeout = 'timeout',
  QuotaExceeded = 'quota_exceeded',
  AuthError = 'auth_error',
  ServiceUnavailable = 'service_unavailable',
  ParseError = 'parse_error',
  NetworkError = 'network_error',
  BadRequest = 'bad_request',
  CircuitOpen = 'circuit_open',
  DeadlineExceeded = 'deadline_exceeded',
  Shed = 'shed',
}

/** Classes worth trying again, on the same deployment or the next one. */
export function isRetryable(failureClass: FailureClass): boolean {
  return failureClass !== FailureClass.BadRequest;
}
