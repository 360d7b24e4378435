import { FailureClass } from '../common/failure-class';
import { GatewayError, type GatewayErrorInit, type OpenAiErrorType } from '../common/gateway-error';
import type { DeadlineExceededError } from '../common/request-aborted';
import type { UpstreamError } from '../common/upstream-error';
import type { AttemptRecord } from './attempt-record';

/** The request's end after its attempts: carries them for the headers, the log line, events and the DLQ. */
export class ChainFailedError extends GatewayError {
  constructor(
    status: number,
    type: OpenAiErrorType,
    message: string,
    readonly attempts: AttemptRecord[],
    init: GatewayErrorInit,
  ) {
    super(status, type, message, init);
    this.name = 'ChainFailedError';
  }

  /** The upstream said the request itself is invalid: answered at once, never retried elsewhere. */
  static badRequest(error: UpstreamError, attempts: AttemptRecord[]): ChainFailedError {
    return new ChainFailedError(
      400,
      'invalid_request_error',
      error.upstreamMessage ?? error.message,
      attempts,
      {
        code: error.upstreamCode ?? 'upstream_bad_request',
        param: error.param ?? null,
        failureClass: FailureClass.BadRequest,
      },
    );
  }

  static deadline(error: DeadlineExceededError, attempts: AttemptRecord[]): ChainFailedError {
    return new ChainFailedError(504, 'timeout_error', `Request timed out: ${error.message}.`, attempts, {
      code: 'deadline_exceeded',
      failureClass: FailureClass.DeadlineExceeded,
    });
  }
}

const KEY_PROBLEMS = new Set<FailureClass>([
  FailureClass.AuthError,
  FailureClass.QuotaExceeded,
  FailureClass.RateLimited,
]);

/**
 * Every deployment failed (502) or none could be called at all: every circuit open, every key
 * resting, every provider at its limit (503 with Retry-After).
 */
export function chainExhausted(
  model: string,
  attempts: AttemptRecord[],
  retryAfterSeconds: number,
): ChainFailedError {
  const last = attempts.at(-1);
  // Only skips and key problems: no provider is broken, none can be used now. That is a 503 with
  // Retry-After, not a 502.
  if (attempts.every((attempt) => attempt.outcome !== 'failure' || KEY_PROBLEMS.has(attempt.failureClass!))) {
    const reasons = [...new Set(attempts.map((attempt) => `${attempt.provider} ${attempt.skipReason}`))].join(
      ', ',
    );
    return new ChainFailedError(
      503,
      'service_unavailable',
      `No provider is available for model \`${model}\` right now (${reasons}).`,
      attempts,
      {
        code: 'no_provider_available',
        retryAfterSeconds,
        failureClass: last?.failureClass ?? FailureClass.CircuitOpen,
      },
    );
  }
  const failed = attempts.filter((attempt) => attempt.outcome === 'failure').at(-1);
  const detail = failed ? ` Last error (${failed.provider}, ${failed.failureClass}): ${failed.message}` : '';
  return new ChainFailedError(
    502,
    'upstream_error',
    `Every provider for model \`${model}\` failed.${detail}`,
    attempts,
    {
      code: 'upstream_failed',
      failureClass: failed?.failureClass,
    },
  );
}
