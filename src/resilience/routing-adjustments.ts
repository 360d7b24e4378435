import { Injectable } from '@nestjs/common';

/**
 * Knobs the degradation manager turns on the routing while the service is degraded; the router reads
 * them on every request. Defaults change nothing.
 */
@Injectable()
export class RoutingAdjustments {
  /** Multiplies every attempt, first-token and idle timeout (reduce_timeouts), e.g. 0.5. */
  timeoutFactor = 1;
  /** Orders each chain by observed latency, fastest first (prefer_fast_providers). */
  preferFastProviders = false;
}
