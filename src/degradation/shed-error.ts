import type { DegradationLevel, RequestShedEvent } from '../common/events';
import { GatewayError } from '../common/gateway-error';

/** The 503 of a shed request (CONTRACT §2): OpenAI-shaped, Retry-After from `degradation.retry_after_seconds`. */
export function shedError(
  reason: RequestShedEvent['reason'],
  level: DegradationLevel,
  retryAfterSeconds: number,
): GatewayError {
  switch (reason) {
    case 'acceptance':
      return GatewayError.shed(
        `Cortex is degraded (${level}) and is turning away part of the traffic of your tier; retry later.`,
        retryAfterSeconds,
      );
    case 'concurrency_limit':
      return GatewayError.shed(
        `Cortex is degraded (${level}) and at its limit of concurrent requests; retry later.`,
        retryAfterSeconds,
      );
    case 'cache_only':
      return GatewayError.shed(
        `Cortex is degraded (${level}) and answers only from its response cache, which has no answer to this request; retry later.`,
        retryAfterSeconds,
      );
  }
}
