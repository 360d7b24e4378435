import { CortexEvent } from '../../src/common/events';
import { callChat, percentile, runLoad, startChaosStage, type ChaosStage } from '../support/chaos-harness';

/**
 * S12: A, B and C all answer 500. Every client request fails, but the contract's way: 502 when the
 * providers were called and failed, 503 with Retry-After when none could be called (every breaker
 * open). Once every breaker is open, failing is cheap: p99 under 50 ms, nothing sent upstream.
 *
 * Not covered here: `error.dlq_id` and "queue records == error responses" belong to the dead letter
 * queue issue (no queue exists yet). What the queue will record from is asserted instead: exactly
 * one request.failed event per error response (0 missing, 0 duplicates).
 */
const PROVIDERS = ['a', 'b', 'c'];
const MODEL = 'gpt-4o-mini';
const RECOVERY_MS = 4000;
const TRIPPING_REQUESTS = 20;
// Enough samples that the p99 is not the second-slowest answer: one scheduling stall of a shared
// 2-core machine must not decide it.
const OPEN_REQUESTS = 200;

describe('S12 all providers down (A, B, C: 100% 500)', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    // Recovery 4 s (not the profile's 2 s) so the open phase below fits in the open window with room
    // to spare on a loaded machine, however long the tripping phase's retries took.
    stage = await startChaosStage({
      resilience: {
        circuit_breaker: { recovery_timeout_ms: RECOVERY_MS, max_recovery_timeout_ms: RECOVERY_MS },
      },
    });
    for (const provider of PROVIDERS) await stage.simulator.setFaults(provider, { rules: [{ status: 500 }] });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('answers 100% 502/503 per the contract; once every breaker is open, 503 + Retry-After in < 50 ms p99', async () => {
    const { simulator, openai, state } = stage;
    const breakers = PROVIDERS.map((provider) => state.breakers.get(provider, MODEL));

    // Phase 1: the breakers trip (5 consecutive failures each).
    const tripping = await runLoad(() => callChat(openai), { total: TRIPPING_REQUESTS, concurrency: 4 });
    expect(breakers.map((breaker) => breaker.state)).toEqual(['open', 'open', 'open']);
    for (const result of tripping) {
      expect(result.ok).toBe(false);
      if (result.status === 502) {
        // The providers were called and failed.
        expect(result.errorType).toBe('upstream_error');
        expect(result.attempts).toBeGreaterThanOrEqual(1);
      } else {
        expect(result.status).toBe(503);
        expect(result.errorType).toBe('service_unavailable');
        expect(result.attempts).toBe(0);
        expect(Number(result.retryAfter)).toBeGreaterThanOrEqual(1);
      }
    }
    expect(tripping.filter((result) => result.status === 502).length).toBeGreaterThanOrEqual(1);

    // Phase 2: every breaker open (recovery 4 s): every request is a 503 with Retry-After, fast, and
    // not one reaches a provider. One client at a time: the client, the gateway and the simulator
    // share one process, so with more clients each one's time would include the others' CPU time.
    const nextProbeAt = Math.min(...breakers.map((breaker) => breaker.stats().nextProbeAt!));
    const upstreamBefore = simulator.requests().length;
    const failedBefore = stage.eventsOf(CortexEvent.RequestFailed).length;
    const open = await runLoad(() => callChat(openai), { total: OPEN_REQUESTS, concurrency: 1 });
    expect(Date.now()).toBeLessThan(nextProbeAt);
    expect(simulator.requests().length).toBe(upstreamBefore);
    for (const result of open) {
      expect(result).toMatchObject({ ok: false, status: 503, errorType: 'service_unavailable', attempts: 0 });
      expect(result.route).toBe('a=circuit_open,b=circuit_open,c=circuit_open');
      // Retry-After: when the first breaker may admit a probe again, in whole seconds (rounded up).
      const retryAfter = Number(result.retryAfter);
      const untilProbe = (nextProbeAt - (result.startedAt + result.latencyMs)) / 1000;
      expect(retryAfter).toBeGreaterThanOrEqual(Math.max(1, Math.floor(untilProbe)));
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil(untilProbe) + 1);
      expect(retryAfter).toBeLessThanOrEqual(RECOVERY_MS / 1000);
    }
    const latencies = open.map((result) => result.latencyMs);
    expect(percentile(latencies, 0.99)).toBeLessThan(50);
    // The gateway's own share (request in to failure decided) is a small part of that.
    const serverMs = stage
      .eventsOf(CortexEvent.RequestFailed)
      .slice(failedBefore)
      .map((event) => event.durationMs);
    expect(serverMs).toHaveLength(OPEN_REQUESTS);
    expect(percentile(serverMs, 0.99)).toBeLessThan(20);

    // 100% of client requests failed per the contract, and each failure was announced exactly once.
    const all = [...tripping, ...open];
    const total = TRIPPING_REQUESTS + OPEN_REQUESTS;
    expect(all.filter((result) => result.status === 502 || result.status === 503)).toHaveLength(total);
    const failed = stage.eventsOf(CortexEvent.RequestFailed);
    expect(failed).toHaveLength(total);
    expect(new Set(failed.map((event) => event.requestId)).size).toBe(total);
    expect(failed.filter((event) => event.status === 503)).toHaveLength(
      all.filter((r) => r.status === 503).length,
    );
    expect(stage.eventsOf(CortexEvent.RequestSucceeded)).toHaveLength(0);
  });
});
