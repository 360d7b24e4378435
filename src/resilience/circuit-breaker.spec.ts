import { FailureClass } from '../common/failure-class';
import {
  BREAKER_T0 as T0,
  closedCounters as counters,
  createBreaker as setup,
  runCalls as run,
} from '../../test/support/breaker-fixtures';
import { CircuitBreaker, countsForBreaker } from './circuit-breaker';

describe(CircuitBreaker.name, () => {
  it('counts only the upstream faults against the breaker', () => {
    const counted = Object.values(FailureClass).filter(countsForBreaker);
    expect(counted).toEqual([
      FailureClass.Timeout,
      FailureClass.ServiceUnavailable,
      FailureClass.ParseError,
      FailureClass.NetworkError,
    ]);
  });

  it('opens on failure_threshold consecutive failures', () => {
    const { clock, breaker, transitions } = setup({ minimum_calls: 100 });
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 1,
      windowCalls: 1,
      windowFailures: 1,
    });
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 2,
      windowFailures: 2,
    });
    clock.advance(10);
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'open',
      consecutiveFailures: 3,
      windowCalls: 3,
      windowFailures: 3,
    });
    expect(transitions).toEqual([
      { breaker: 'groq/llama', from: 'closed', to: 'open', at: T0 + 10, reason: '3 consecutive failures' },
    ]);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.stats()).toEqual({
      name: 'groq/llama',
      state: 'open',
      consecutiveFailures: 3,
      windowCalls: 3,
      windowFailures: 3,
      failureRate: 1,
      totalCalls: 3,
      totalFailures: 3,
      totalSuccesses: 0,
      totalRejected: 1,
      lastFailure: { at: T0 + 10, failureClass: FailureClass.ServiceUnavailable },
      openedAt: T0 + 10,
      nextProbeAt: T0 + 1010,
      openCount: 1,
      transitions,
      uptimePercent: 100,
    });
  });

  it('restarts the consecutive count after a success', () => {
    const { breaker } = setup({ minimum_calls: 100 });
    run(breaker, 'ffs');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      windowCalls: 3,
      windowFailures: 2,
    });
    run(breaker, 'ff');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 5,
      windowFailures: 4,
    });
  });

  it('opens when the failure rate reaches the threshold once the window holds minimum_calls', () => {
    const { breaker, transitions } = setup({ failure_threshold: 100 });
    run(breaker, 'sfsfs');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      windowCalls: 5,
      windowFailures: 2,
    });
    expect(breaker.stats().failureRate).toBe(0.4);
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'open',
      consecutiveFailures: 1,
      windowCalls: 6,
      windowFailures: 3,
    });
    expect(transitions.map((t) => t.reason)).toEqual(['failure rate 50% over 6 calls']);
  });

  it('does not judge a rate below minimum_calls, however bad', () => {
    const { breaker } = setup({ failure_threshold: 100 });
    run(breaker, 'fffff');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 5,
      windowCalls: 5,
      windowFailures: 5,
    });
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'open',
      consecutiveFailures: 6,
      windowCalls: 6,
      windowFailures: 6,
    });
  });

  it('never trips the rate rule on 1 of 1, even with minimum_calls 1', () => {
    const { breaker, transitions } = setup({ failure_threshold: 100, minimum_calls: 1 });
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 1,
      windowCalls: 1,
      windowFailures: 1,
    });
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'open',
      consecutiveFailures: 2,
      windowCalls: 2,
      windowFailures: 2,
    });
    expect(transitions.map((t) => t.reason)).toEqual(['failure rate 100% over 2 calls']);
  });

  it('judges the rate over the sliding window only', () => {
    const { clock, breaker } = setup({ failure_threshold: 100 });
    run(breaker, 'fff');
    clock.advance(9000);
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 3,
      windowCalls: 3,
      windowFailures: 3,
    });
    clock.advance(1000);
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 3,
      windowCalls: 0,
      windowFailures: 0,
    });
    run(breaker, 'sssff');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 5,
      windowFailures: 2,
    });
    run(breaker, 'f');
    expect(counters(breaker)).toEqual({
      state: 'open',
      consecutiveFailures: 3,
      windowCalls: 6,
      windowFailures: 3,
    });
  });

  it('forgets failures after reset_timeout_ms without one', () => {
    const { clock, breaker } = setup({ window_ms: 60_000, minimum_calls: 100 });
    run(breaker, 'ff');
    clock.advance(29_999);
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 2,
      windowFailures: 2,
    });
    clock.advance(1);
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
    });
    run(breaker, 'ff');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 2,
      windowFailures: 2,
    });
    expect(breaker.stats().lastFailure).toEqual({
      at: T0 + 30_000,
      failureClass: FailureClass.ServiceUnavailable,
    });
  });

  it('forgets on the next tryAcquire even when nobody looked', () => {
    const { clock, breaker } = setup({ window_ms: 60_000, minimum_calls: 100 });
    run(breaker, 'ff');
    clock.advance(30_000);
    run(breaker, 'ff');
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 2,
      windowFailures: 2,
    });
  });

  it.each(Object.values(FailureClass).filter((c) => !countsForBreaker(c)))(
    'treats %s as a release',
    (failureClass) => {
      const { breaker } = setup();
      for (let i = 0; i < 10; i++) breaker.tryAcquire()!.failure(failureClass);
      expect(counters(breaker)).toEqual({
        state: 'closed',
        consecutiveFailures: 0,
        windowCalls: 0,
        windowFailures: 0,
      });
      expect(breaker.stats()).toMatchObject({ totalCalls: 10, totalFailures: 0, totalSuccesses: 0 });
      expect(breaker.stats().lastFailure).toBeUndefined();
    },
  );

  it('lets exactly one outcome of a permit take effect', () => {
    const { breaker } = setup();
    const failed = breaker.tryAcquire()!;
    failed.failure(FailureClass.Timeout);
    failed.failure(FailureClass.Timeout);
    failed.success();
    failed.release();
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 1,
      windowCalls: 1,
      windowFailures: 1,
    });
    const released = breaker.tryAcquire()!;
    released.release();
    released.failure(FailureClass.NetworkError);
    released.success();
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 1,
      windowCalls: 1,
      windowFailures: 1,
    });
    const succeeded = breaker.tryAcquire()!;
    expect(succeeded.probe).toBe(false);
    succeeded.success();
    succeeded.failure(FailureClass.Timeout);
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      windowCalls: 2,
      windowFailures: 1,
    });
    expect(breaker.stats()).toMatchObject({ totalCalls: 3, totalFailures: 1, totalSuccesses: 1 });
  });

  it('keeps outcomes of permits taken before a transition out of the new state', () => {
    const { breaker } = setup({ minimum_calls: 100 });
    const early = breaker.tryAcquire()!;
    const earlyFailure = breaker.tryAcquire()!;
    run(breaker, 'fff');
    early.success();
    expect(counters(breaker)).toEqual({
      state: 'open',
      consecutiveFailures: 3,
      windowCalls: 3,
      windowFailures: 3,
    });
    breaker.reset();
    earlyFailure.failure(FailureClass.Timeout);
    expect(counters(breaker)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
    });
    // Lifetime totals still say what happened.
    expect(breaker.stats()).toMatchObject({ totalCalls: 5, totalFailures: 4, totalSuccesses: 1 });
  });
});
