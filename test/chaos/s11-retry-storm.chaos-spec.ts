import { CortexEvent } from '../../src/common/events';
import {
  callChat,
  runLoad,
  startChaosStage,
  type ChaosStage,
  type ClientResult,
} from '../support/chaos-harness';

/**
 * S11: A answers 100% 503 and its breaker never opens (thresholds out of reach), in a chain of A
 * only, so every failed attempt is a candidate for a retry. Only the provider's retry budget
 * (Finagle's RetryBudget) and the per-request attempt cap stand between the load and a storm.
 *
 * The bound. The budget allows, over its 10 s window, `ratio * requests + min_per_second * 10`
 * retries (RetryBudget: reserve = min_per_second * window). The run offers N = RATE * DURATION =
 * 50 * 4 = 200 requests, all inside one window, so at most 0.2 * 200 + 3 * 10 = 70 retries: upstream
 * attempts per client request <= (N + 70) / N = 1 + 0.2 + 30 / 200 = 1.35 (the ratio plus the floor's
 * share). The matrix's "about 1.2" is the ratio alone; the floor matters for short, small runs.
 * Independently, no single request may make more than 3 attempts (server_error max_attempts 3).
 */
const RATE = 50;
const DURATION_S = 4;
const N = RATE * DURATION_S;
const RATIO = 0.2;
const MIN_PER_SECOND = 3;
const BUDGET_WINDOW_S = 10;
const MAX_RETRIES = Math.floor(RATIO * N + MIN_PER_SECOND * BUDGET_WINDOW_S);
const MAX_ATTEMPTS_PER_REQUEST = 1 + MAX_RETRIES / N;

describe('S11 retry storm (A 100% 503, breaker disabled, chain A only)', () => {
  let stage: ChaosStage;
  let results: ClientResult[];

  beforeAll(async () => {
    stage = await startChaosStage({
      chain: ['a'],
      resilience: {
        circuit_breaker: { failure_threshold: 1_000_000, minimum_calls: 1_000_000 },
        retry: { budget: { ratio: RATIO, min_per_second: MIN_PER_SECOND } },
      },
    });
    await stage.simulator.setFaults('a', { rules: [{ status: 503 }] });
    results = await runLoad(() => callChat(stage.openai), { total: N, concurrency: 20, ratePerSecond: RATE });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('keeps upstream attempts per client request within the retry budget', () => {
    const attempts = stage.simulator.requests({ provider: 'a' }).length;
    const retries = attempts - N;
    // The breaker really stayed out of the way: every request reached A at least once.
    expect(stage.state.breakers.get('a', 'gpt-4o-mini').stats().state).toBe('closed');
    expect(stage.eventsOf(CortexEvent.CircuitStateChanged)).toHaveLength(0);
    expect(results.every((result) => !result.ok && result.status === 502)).toBe(true);
    // The bound derived above: <= 1.35 attempts per request (70 retries for 200 requests).
    expect(attempts / N).toBeLessThanOrEqual(MAX_ATTEMPTS_PER_REQUEST);
    expect(retries).toBeLessThanOrEqual(MAX_RETRIES);
    // ... and the budget is what limited them: every request wanted 2 retries (400), the budget
    // granted about its allowance and no more.
    expect(retries).toBeGreaterThanOrEqual(MAX_RETRIES - 10);
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(retries);
    const budget = stage.state.retryBudget('a').stats();
    expect(budget.requests).toBe(N);
    expect(budget.retries).toBe(retries);
    expect(budget.retries).toBeLessThanOrEqual(budget.allowed);
  });

  it('makes at most 3 upstream attempts for any single request', () => {
    const perRequest = results.map((result) => result.attempts ?? NaN);
    expect(Math.max(...perRequest)).toBeLessThanOrEqual(3);
    expect(Math.min(...perRequest)).toBeGreaterThanOrEqual(1);
    // The headers account for every upstream call the simulator saw.
    expect(perRequest.reduce((sum, value) => sum + value, 0)).toBe(
      stage.simulator.requests({ provider: 'a' }).length,
    );
    // The per-request cap is the strategy's max_attempts (3), reached only while the budget allowed.
    const failed = stage.eventsOf(CortexEvent.RequestFailed);
    expect(failed).toHaveLength(N);
    expect(
      Math.max(...failed.map((event) => event.attempts.filter((a) => a.outcome !== 'skipped').length)),
    ).toBe(3);
  });
});
