import { CortexEvent } from '../../src/common/events';
import {
  COMPRESSED_PROFILE,
  callChat,
  runLoad,
  startChaosStage,
  type ChaosStage,
} from '../support/chaos-harness';
import { note, round1, transitionEvents, transitionsOf } from '../support/chaos-clients';

/**
 * S5: provider A answers 500 for 3 s (the matrix's 6 s, compressed with the recovery wait of 2 s),
 * then is healthy again. Under a steady 50 req/s:
 *   ~0 s    5 consecutive 500s open A's breaker;
 *   ~2 s    the recovery wait ends: one probe, A still down, it fails, open again;
 *    3 s    A heals;
 *   ~4 s    the next probe succeeds: closed, 1 s after A healed (within one recovery window);
 *   then    traffic returns to A through the ramp, steps [0.25, 0.5, 1] over 1.5 s (500 ms each),
 *           so A's share grows from about a quarter to all of it.
 * No client request fails at any point: B serves whatever A does not.
 */

const DOWN_MS = 3000;
const RATE = 50;
const DURATION_MS = 7000;
const RECOVERY_MS = COMPRESSED_PROFILE.circuit_breaker.recovery_timeout_ms;
const { steps: RAMP_STEPS, window_ms: RAMP_MS } = COMPRESSED_PROFILE.recovery_ramp;
const STEP_MS = RAMP_MS / RAMP_STEPS.length;
/** Requests started this close to a step boundary may be decided on either side of it. */
const GUARD_MS = 30;

describe('S5 recovery', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage();
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('fails a probe, then closes within one recovery window after A heals, and ramps traffic back to A; 0 client failures', async () => {
    const { simulator, openai, state } = stage;
    const since = Date.now();
    const healedAt = since + DOWN_MS;
    await simulator.setFaults('a', { down_until: healedAt, down_status: 500 });

    const results = await runLoad(() => callChat(openai), {
      total: (RATE * DURATION_MS) / 1000,
      concurrency: 8,
      ratePerSecond: RATE,
    });

    // 0 client failures, whoever served.
    expect(results.filter((r) => r.ok && r.status === 200)).toHaveLength(results.length);
    expect(stage.eventsOf(CortexEvent.RequestFailed)).toHaveLength(0);

    // The breaker: opened, one probe failed (A still down), the next one succeeded (A healed).
    expect(transitionsOf(stage)).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>open',
      'open>half_open',
      'half_open>closed',
    ]);
    const events = transitionEvents(stage);
    expect(events[2].reason).toBe('probe failed: service_unavailable');
    expect(events[4].reason).toBe('1/1 probes succeeded');
    expect(events[1].at).toBeLessThan(healedAt); // the first probe went to a still-down A
    const closedAt = events[4].at;
    note(
      `S5: opened at +${events[0].at - since} ms, probe failed at +${events[2].at - since} ms, healed at +${DOWN_MS} ms, closed at +${closedAt - since} ms`,
    );
    // Closed within one recovery window after A healed (plus one request interval: a probe needs a request).
    expect(closedAt).toBeGreaterThanOrEqual(healedAt);
    expect(closedAt - healedAt).toBeLessThanOrEqual(RECOVERY_MS + 1000 / RATE);
    expect(state.breakers.get('a', 'gpt-4o-mini').state).toBe('closed');

    // What A saw while its breaker was not closed: the two probes and nothing else (a 500, then a 200).
    const openedAt = events[0].at;
    const whileNotClosed = simulator
      .requests({ provider: 'a', since })
      .filter((r) => r.time > openedAt + 10 && r.time <= closedAt);
    expect(whileNotClosed.map((r) => r.status)).toEqual([500, 200]);
    const failedBeforeOpen = simulator
      .requests({ provider: 'a', since })
      .filter((r) => r.time <= openedAt + 10);
    expect(failedBeforeOpen.filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(5);
    expect(failedBeforeOpen.filter((r) => r.status === 500).length).toBeLessThanOrEqual(5 + 7); // + in flight

    // The ramp: A's share of the requests started in each step after closing, and after the ramp.
    const window = (from: number, to: number) =>
      results.filter(
        (r) => r.startedAt >= closedAt + from + GUARD_MS && r.startedAt < closedAt + to - GUARD_MS,
      );
    const shareOfA = (list: typeof results) => list.filter((r) => r.provider === 'a').length / list.length;
    const stepSamples = RAMP_STEPS.map((_, i) => window(i * STEP_MS, (i + 1) * STEP_MS));
    const after = window(RAMP_MS, Infinity);
    const shares = stepSamples.map(shareOfA);
    note(
      `S5: A's share per ramp step ${shares.map(round1).join(' / ')} (n = ${stepSamples.map((s) => s.length).join(' / ')}), ` +
        `after the ramp ${round1(shareOfA(after))} (n = ${after.length})`,
    );
    for (const samples of stepSamples) expect(samples.length).toBeGreaterThanOrEqual(15);
    expect(after.length).toBeGreaterThanOrEqual(30);
    // First step (share 0.25): well under half goes to A (binomial, n ~ 23: P(>= 60%) < 0.1%).
    expect(shares[0]).toBeLessThan(0.6);
    // But A gets traffic back from the first two steps on (0.25 then 0.5: P(none) ~ 1e-10).
    expect(stepSamples[0].concat(stepSamples[1]).some((r) => r.provider === 'a')).toBe(true);
    // The last step (share 1) and everything after it: all A.
    expect(shares[2]).toBe(1);
    expect(shareOfA(after)).toBe(1);
    // Requests the ramp held back were sent to B at once, without touching A.
    const held = results.filter((r) => r.route === 'a=ramping,b=ok');
    expect(held.length).toBeGreaterThan(0);
    expect(
      held.every(
        (r) => r.startedAt >= closedAt - GUARD_MS && r.startedAt < closedAt + 2 * STEP_MS + GUARD_MS,
      ),
    ).toBe(true);
    expect(results.filter((r) => r.route === 'a=ramping,b=ok' && r.attempts !== 1)).toHaveLength(0);
  });
});
