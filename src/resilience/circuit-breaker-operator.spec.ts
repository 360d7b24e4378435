import { FailureClass } from '../common/failure-class';
import {
  BREAKER_T0 as T0,
  closedCounters as counters,
  createBreaker as setup,
  runCalls as run,
} from '../../test/support/breaker-fixtures';
import { CircuitBreaker } from './circuit-breaker';

describe(`${CircuitBreaker.name} operator actions and stats`, () => {
  it('stays forced open until reset, whatever the time', () => {
    const { clock, breaker, transitions } = setup();
    run(breaker, 'ff');
    breaker.forceOpen('maintenance');
    breaker.forceOpen('again');
    clock.advance(3_600_000);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.allowsRequests()).toBe(false);
    expect(breaker.stats()).toMatchObject({
      state: 'forced_open',
      openedAt: T0,
      nextProbeAt: undefined,
      totalRejected: 1,
    });
    breaker.reset();
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
    });
    expect(transitions).toEqual([
      { breaker: 'groq/llama', from: 'closed', to: 'forced_open', at: T0, reason: 'maintenance' },
      {
        breaker: 'groq/llama',
        from: 'forced_open',
        to: 'closed',
        at: T0 + 3_600_000,
        reason: 'reset by operator',
      },
    ]);
    expect(breaker.tryAcquire()).toBeDefined();
  });

  it('resets a closed breaker without a transition, clearing its counters', () => {
    const { breaker, transitions } = setup();
    run(breaker, 'ff');
    const inFlight = breaker.tryAcquire()!;
    breaker.reset('new key');
    inFlight.failure(FailureClass.Timeout);
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
    });
    expect(transitions).toEqual([]);
    breaker.forceOpen();
    expect(transitions.map((t) => t.reason)).toEqual(['forced open by operator']);
  });

  it('reports uptime and every transition over a timeline', () => {
    const { clock, breaker, transitions } = setup();
    clock.advance(4000);
    run(breaker, 'fff');
    clock.advance(500);
    expect(breaker.stats().uptimePercent).toBeCloseTo((100 * 4000) / 4500, 10);
    clock.advance(500);
    const probes = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    probes.forEach((probe) => probe.success());
    clock.advance(3000);
    breaker.forceOpen();
    clock.advance(1000);
    breaker.reset();
    clock.advance(1000);
    const stats = breaker.stats();
    expect(stats.uptimePercent).toBe(80);
    const reasons = stats.transitions.map(({ from, to, at, reason }) => [from, to, at - T0, reason]);
    expect(reasons).toEqual([
      ['closed', 'open', 4000, '3 consecutive failures'],
      ['open', 'half_open', 5000, 'recovery wait of 1000 ms elapsed'],
      ['half_open', 'closed', 5000, '2/2 probes succeeded'],
      ['closed', 'forced_open', 8000, 'forced open by operator'],
      ['forced_open', 'closed', 9000, 'reset by operator'],
    ]);
    expect(transitions).toEqual(stats.transitions);
    expect(stats).toMatchObject({ totalCalls: 5, totalFailures: 3, totalSuccesses: 2, openCount: 0 });
  });

  it('keeps the 50 most recent transitions', () => {
    const { clock, breaker, transitions } = setup();
    for (let i = 0; i < 30; i++) {
      clock.advance(1);
      breaker.forceOpen(`open ${i}`);
      breaker.reset(`reset ${i}`);
    }
    const kept = breaker.stats().transitions;
    expect(transitions).toHaveLength(60);
    expect(kept).toHaveLength(50);
    expect(kept[0]).toEqual(transitions[10]);
    expect(kept[49].reason).toBe('reset 29');
  });
});
