import { CortexEvent } from '../../src/common/events';
import {
  callChat,
  percentile,
  runLoad,
  sleep,
  startChaosStage,
  type ChaosStage,
} from '../support/chaos-harness';

/** S1: provider A hard down (100% 500). */
describe('S1 provider hard down', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage();
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('opens A after the threshold, sends A nothing while open, one probe per half-open window, and serves every request via B', async () => {
    const { simulator, openai, state } = stage;
    // Baseline: A healthy and serving, to measure what an open breaker adds.
    const baseline = await runLoad(() => callChat(openai), { total: 30, concurrency: 4 });
    expect(baseline.every((result) => result.ok && result.provider === 'a')).toBe(true);

    await simulator.setFaults('a', { rules: [{ action: 'error', status: 500 }] });
    const concurrency = 4;
    const tripping = await runLoad(() => callChat(openai), { total: 20, concurrency });
    expect(tripping.every((result) => result.ok && result.provider === 'b')).toBe(true);
    const breaker = state.breakers.get('a', 'gpt-4o-mini');
    expect(breaker.state).toBe('open');
    const failuresBeforeOpen = simulator.requests({ provider: 'a' }).filter((r) => r.status === 500).length;
    // The threshold, plus what was already in flight when it tripped.
    expect(failuresBeforeOpen).toBeGreaterThanOrEqual(5);
    expect(failuresBeforeOpen).toBeLessThanOrEqual(5 + concurrency - 1);

    // While open (the recovery wait is 2 s), not one request reaches A.
    const openedAt = Date.now();
    const reachedBefore = simulator.requests({ provider: 'a' }).length;
    const whileOpen = await runLoad(() => callChat(openai), { total: 60, concurrency, ratePerSecond: 60 });
    expect(Date.now() - openedAt).toBeLessThan(1900);
    expect(simulator.requests({ provider: 'a' }).length).toBe(reachedBefore);
    expect(whileOpen.every((result) => result.ok && result.provider === 'b')).toBe(true);
    expect(whileOpen.every((result) => result.route === 'a=circuit_open,b=ok')).toBe(true);
    // What the open breaker adds, measured inside the gateway (client, gateway and simulator share one
    // process, so client-side timings carry everyone's noise): the request's whole duration minus
    // B's own attempt. The skip of A is all that is left.
    const servedWhileOpen = stage
      .eventsOf(CortexEvent.RequestSucceeded)
      .slice(-whileOpen.length)
      .map((event) => event.durationMs - event.attempts[event.attempts.length - 1].durationMs);
    expect(servedWhileOpen).toHaveLength(60);
    expect(percentile(servedWhileOpen, 0.99)).toBeLessThan(20);

    // Each half-open window admits exactly the configured probes (1): two windows, two probes.
    for (let window = 0; window < 2; window++) {
      const before = simulator.requests({ provider: 'a' }).length;
      await sleep(2100);
      const burst = await runLoad(() => callChat(openai), { total: 20, concurrency: 10 });
      expect(burst.every((result) => result.ok)).toBe(true);
      expect(simulator.requests({ provider: 'a' }).length - before).toBe(1);
    }
    const transitions = stage
      .eventsOf(CortexEvent.CircuitStateChanged)
      .map((event) => `${event.from}>${event.to}`);
    expect(transitions).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>open',
      'open>half_open',
      'half_open>open',
    ]);
  });
});
