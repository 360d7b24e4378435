import { FakeClock } from '../../src/common/fake-clock';
import { FailureClass } from '../../src/common/failure-class';
import type { BreakerStateStore } from '../../src/resilience/breaker-state.store';
import {
  CircuitBreaker,
  type BreakerSettings,
  type BreakerTransition,
} from '../../src/resilience/circuit-breaker';

/** The fake clock's start: a bucket boundary, so window arithmetic in tests is exact. */
export const BREAKER_T0 = 1_700_000_000_000;

/** Small numbers that keep every rule apart: 3 in a row, or 50% of at least 6, in 10 s buckets of 1 s. */
export const breakerSettings: BreakerSettings = {
  failure_threshold: 3,
  failure_rate_threshold: 0.5,
  window_ms: 10_000,
  minimum_calls: 6,
  recovery_timeout_ms: 1000,
  reset_timeout_ms: 30_000,
  half_open_max_probes: 2,
};

/** A breaker named `groq/llama` on a fake clock, recording every transition it reports. */
export function createBreaker(overrides: Partial<BreakerSettings> = {}, store?: BreakerStateStore) {
  const clock = new FakeClock(BREAKER_T0);
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker(
    'groq/llama',
    { ...breakerSettings, ...overrides },
    clock,
    (transition) => transitions.push(transition),
    store,
  );
  return { clock, breaker, transitions };
}

/** Runs one call per letter: s = success, f = service_unavailable failure. */
export function runCalls(breaker: CircuitBreaker, outcomes: string): void {
  for (const outcome of outcomes) {
    const permit = breaker.tryAcquire();
    if (!permit) throw new Error(`rejected while ${breaker.state}`);
    if (outcome === 's') permit.success();
    else permit.failure(FailureClass.ServiceUnavailable);
  }
}

/** The closed-state counters, asserted after every step. */
export function closedCounters(breaker: CircuitBreaker) {
  const { state, consecutiveFailures, windowCalls, windowFailures } = breaker.stats();
  return { state, consecutiveFailures, windowCalls, windowFailures };
}

/** The recovery counters, with nextProbeAt relative to BREAKER_T0. */
export function recoveryView(breaker: CircuitBreaker) {
  const { state, openCount, nextProbeAt, totalCalls, totalRejected } = breaker.stats();
  const relative = nextProbeAt === undefined ? undefined : nextProbeAt - BREAKER_T0;
  return { state, openCount, nextProbeAt: relative, totalCalls, totalRejected };
}
