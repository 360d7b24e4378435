import { CortexEvent } from '../../src/common/events';
import {
  callChat,
  percentile,
  runLoad,
  sleep,
  startChaosStage,
  type ChaosStage,
} from '../support/chaos-harness';
import { note, round1, transitionEvents, transitionsOf } from '../support/chaos-clients';

/**
 * S6: A's breaker is open; the instant its recovery wait ends, 200 requests arrive at once. The
 * half-open state grants exactly half_open_max_probes permits (3 here): exactly 3 requests reach A,
 * every other one is rejected at once and served by B, never queued behind the probes. A is healthy
 * again but slow (1 s before its headers), so the probes are still in flight while the burst is
 * decided; the requests served by B must be done long before the probes are.
 */

const PROBES = 3;
const BURST = 200;
const A_LATENCY_MS = 2500;

describe('S6 half-open race', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage({ resilience: { circuit_breaker: { half_open_max_probes: PROBES } } });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('lets exactly the configured probes reach A and sends the other requests to B without waiting', async () => {
    const { simulator, openai, state } = stage;
    const breaker = state.breakers.get('a', 'gpt-4o-mini');
    // Warm-up: the SDK's and the gateway's connections to B exist before the burst.
    await runLoad(() => callChat(openai), { total: 20, concurrency: 10 });

    // Trip A: 5 consecutive 500s.
    await simulator.setFaults('a', { rules: [{ status: 500 }] });
    const tripping = await runLoad(() => callChat(openai), { total: 5, concurrency: 1 });
    expect(tripping.every((r) => r.ok && r.provider === 'b')).toBe(true);
    expect(breaker.state).toBe('open');

    // A heals but is slow; the burst starts just after the recovery wait ends.
    await simulator.setFaults('a', { latency_ms: A_LATENCY_MS });
    await sleep(Math.max(0, (breaker.stats().nextProbeAt ?? Date.now()) - Date.now()) + 20);
    const rejectedBefore = breaker.stats().totalRejected;
    const since = Date.now();
    const servedBefore = stage.eventsOf(CortexEvent.RequestSucceeded).length;
    const burst = await Promise.all(Array.from({ length: BURST }, () => callChat(openai)));

    // 100% served: exactly PROBES by A (the probes), the rest by B after an immediate circuit_open.
    expect(burst.filter((r) => r.ok && r.status === 200)).toHaveLength(BURST);
    const probes = burst.filter((r) => r.provider === 'a');
    const viaB = burst.filter((r) => r.provider === 'b');
    expect(probes.map((r) => [r.route, r.attempts])).toEqual(
      Array.from({ length: PROBES }, () => ['a=ok', 1]),
    );
    expect(viaB).toHaveLength(BURST - PROBES);
    expect(viaB.every((r) => r.route === 'a=circuit_open,b=ok' && r.attempts === 1)).toBe(true);

    // What A saw: exactly the probes.
    const seenA = simulator.requests({ provider: 'a', since });
    expect(seenA).toHaveLength(PROBES);
    expect(seenA.every((r) => r.status === 200 && r.completed)).toBe(true);
    expect(breaker.stats().totalRejected - rejectedBefore).toBe(BURST - PROBES);

    // Nobody waited behind the probes: every B answer was back before the first probe's.
    const bLatencies = viaB.map((r) => r.latencyMs);
    const firstProbeDone = Math.min(...probes.map((r) => r.latencyMs));
    note(
      `S6: ${PROBES} probes ${probes.map((r) => Math.round(r.latencyMs)).join(' / ')} ms; ` +
        `${viaB.length} via B: p50 ${round1(percentile(bLatencies, 0.5))} ms, p99 ${round1(percentile(bLatencies, 0.99))} ms, ` +
        `max ${round1(Math.max(...bLatencies))} ms`,
    );
    const gateway = stage
      .eventsOf(CortexEvent.RequestSucceeded)
      .slice(servedBefore)
      .filter((event) => event.attempts.at(-1)?.provider === 'b')
      .map((event) => event.durationMs);
    note(
      `S6: gateway-side durations via B: p50 ${round1(percentile(gateway, 0.5))} ms, p99 ${round1(percentile(gateway, 0.99))} ms (n = ${gateway.length})`,
    );
    expect(firstProbeDone).toBeGreaterThanOrEqual(A_LATENCY_MS);
    expect(Math.max(...bLatencies)).toBeLessThan(firstProbeDone);
    // The client's clock includes 200 SDK requests sharing one event loop with the gateway and the
    // simulator (hundreds of ms on a loaded 2-core box), so the tight bounds are the gateway's own.
    expect(percentile(bLatencies, 0.5)).toBeLessThan(A_LATENCY_MS / 2);
    expect(gateway).toHaveLength(BURST - PROBES);
    expect(percentile(gateway, 0.5)).toBeLessThan(50);
    expect(percentile(gateway, 0.99)).toBeLessThan(A_LATENCY_MS / 4);

    // The 3 probes succeeded: half_open -> closed after 3/3.
    expect(transitionsOf(stage)).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
    expect(transitionEvents(stage)[2].reason).toBe(`${PROBES}/${PROBES} probes succeeded`);
    expect(breaker.state).toBe('closed');
    expect(stage.eventsOf(CortexEvent.RequestFailed)).toHaveLength(0);
  });
});
