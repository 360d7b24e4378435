import { CortexEvent } from '../../src/common/events';
import {
  COMPRESSED_PROFILE,
  callChat,
  runLoad,
  startChaosStage,
  type ChaosStage,
} from '../support/chaos-harness';
import { note, transitionEvents } from '../support/chaos-clients';

/**
 * S7: provider A flaps: 500 for 1.5 s, healthy for 1.5 s, again and again (the matrix's 3 s / 3 s,
 * compressed like the recovery wait), for 9 s at 20 req/s. Every client request must succeed, and
 * A's breaker must not flap with it: its open transitions are bounded.
 *
 * The bound, from the configuration: after any transition to open at time t, no permit is granted
 * before t + recovery_timeout_ms (R = 2 s; max_recovery_timeout_ms = R, so the wait does not grow),
 * and outcomes of permits granted before t no longer count (the breaker's generation changed). So the
 * next open (a failed probe, or 5 new consecutive failures after a successful probe) comes at t + R
 * at the earliest: successive opens are at least R apart, and a run of T ms holds at most
 * floor(T / R) + 1 of them; 5 for T = 9 s. Tighter for this fault: an open needs a failure, A only
 * fails in its down phases, and a down phase (1.5 s) is shorter than R, so one down phase holds at
 * most one open: at most ceil(T / cycle) = 3 opens in 9 s, whatever the timing. (Expected: open at
 * ~0 s, probe at ~2 s succeeds (A up), A down at 3 s -> open, probe at ~5 s ok, down at 6 s -> open.)
 *
 * The damage to clients is bounded as well: each closed -> open costs at most the threshold (5) plus
 * what was in flight (concurrency - 1) failed attempts on A, each half_open -> open one failed probe,
 * and every failed attempt falls back to B at once.
 */

const RATE = 20;
const DURATION_MS = 9000;
const CONCURRENCY = 4;
const DOWN_MS = 1500;
const CYCLE_MS = 3000;
const { recovery_timeout_ms: RECOVERY_MS, failure_threshold: THRESHOLD } = COMPRESSED_PROFILE.circuit_breaker;
/** A request admitted just before the breaker opened may reach the simulator a few ms after. */
const GUARD_MS = 20;

describe('S7 flapping', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage();
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('keeps open transitions within the bound the recovery wait allows, and serves 100% of requests', async () => {
    const { simulator, openai } = stage;
    const since = Date.now();
    await simulator.setFaults('a', { rules: [{ status: 500, cycle_ms: CYCLE_MS, active_ms: DOWN_MS }] });
    const results = await runLoad(() => callChat(openai), {
      total: (RATE * DURATION_MS) / 1000,
      concurrency: CONCURRENCY,
      ratePerSecond: RATE,
    });
    const elapsed = Date.now() - since;

    // 100% client success.
    expect(results.filter((r) => r.ok && r.status === 200)).toHaveLength(results.length);
    expect(stage.eventsOf(CortexEvent.RequestFailed)).toHaveLength(0);

    const events = transitionEvents(stage);
    const opens = events.filter((event) => event.to === 'open');
    const bound = Math.floor(elapsed / RECOVERY_MS) + 1;
    const downPhases = Math.ceil(elapsed / CYCLE_MS);
    const seenA = simulator.requests({ provider: 'a', since });
    const failedA = seenA.filter((r) => r.status === 500);
    note(
      `S7: ${elapsed} ms, ${opens.length} opens (bounds ${bound}, ${downPhases}): ${events.map((e) => `${e.from}>${e.to}@${e.at - since}`).join(' ')}; ` +
        `A: ${seenA.length} requests, ${failedA.length} 500s; served by A ${results.filter((r) => r.provider === 'a').length}/${results.length}`,
    );

    // Bounded open transitions, and successive opens at least one recovery wait apart.
    expect(opens.length).toBeLessThanOrEqual(bound);
    expect(opens.length).toBeLessThanOrEqual(downPhases);
    for (let i = 1; i < opens.length; i++)
      expect(opens[i].at - opens[i - 1].at).toBeGreaterThanOrEqual(RECOVERY_MS);
    // The flapping was seen and followed: A was opened more than once, and closed again in between.
    expect(opens.length).toBeGreaterThanOrEqual(2);
    expect(
      events.filter((event) => event.from === 'half_open' && event.to === 'closed').length,
    ).toBeGreaterThanOrEqual(1);

    // While open, A saw nothing; its only traffic between an open and the next half_open is none.
    for (const open of opens) {
      const next = events.find((event) => event.at >= open.at && event.from === 'open');
      const end = next ? next.at : Infinity;
      expect(seenA.filter((r) => r.time > open.at + GUARD_MS && r.time < end)).toHaveLength(0);
    }

    // Bounded damage: failed attempts on A per open transition, as derived above.
    const fromClosed = opens.filter((event) => event.from === 'closed').length;
    const fromHalfOpen = opens.filter((event) => event.from === 'half_open').length;
    expect(failedA.length).toBeLessThanOrEqual(fromClosed * (THRESHOLD + CONCURRENCY - 1) + fromHalfOpen);
    // Each of them failed over to B at once: A's 500s are exactly the requests B served after A failed.
    expect(results.filter((r) => r.route === 'a=service_unavailable,b=ok')).toHaveLength(failedA.length);
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
  });
});
