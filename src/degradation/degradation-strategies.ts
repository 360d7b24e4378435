import type { DegradationLevel } from '../common/events';
import { DEGRADATION_LEVELS, severityOf } from './degradation-levels';

/** What the gateway does differently while degraded. */
export type DegradationStrategy =
  | 'prefer_fast_providers'
  | 'reduce_timeouts'
  | 'cache_responses'
  | 'limit_concurrent_requests'
  | 'return_cached_only';

/**
 * The strategies of each level; each level keeps those of the better levels and adds its own:
 * - minor_issues: prefer_fast_providers (the router orders each chain by observed latency);
 * - major_issues: + reduce_timeouts (every attempt timeout x REDUCED_TIMEOUT_FACTOR, so a dying
 *   provider costs less of the deadline) + cache_responses (deterministic requests answered from the
 *   response cache);
 * - critical: + limit_concurrent_requests (`degradation.max_concurrent_requests` in flight, 503 beyond);
 * - emergency: + return_cached_only (nothing goes upstream: a cache miss is shed).
 */
const ADDED_AT: Readonly<Record<DegradationLevel, readonly DegradationStrategy[]>> = {
  healthy: [],
  minor_issues: ['prefer_fast_providers'],
  major_issues: ['reduce_timeouts', 'cache_responses'],
  critical: ['limit_concurrent_requests'],
  emergency: ['return_cached_only'],
};

/** reduce_timeouts: the factor applied to every attempt, first-token and idle timeout. */
export const REDUCED_TIMEOUT_FACTOR = 0.5;

/** The strategies in force at a level, in the order they are added. */
export function strategiesFor(level: DegradationLevel): ReadonlySet<DegradationStrategy> {
  const upTo = DEGRADATION_LEVELS.slice(0, severityOf(level) + 1);
  return new Set(upTo.flatMap((each) => ADDED_AT[each]));
}
