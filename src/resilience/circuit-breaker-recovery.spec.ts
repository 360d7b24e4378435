import { FailureClass } from '../common/failure-class';
import { BREAKER_T0 as T0, createBreaker, recoveryView as view } from '../../test/support/breaker-fixtures';
import { CircuitBreaker, type BreakerSettings } from './circuit-breaker';

/** A breaker that has just opened at T0 on three consecutive failures. */
function opened(overrides: Partial<BreakerSettings> = {}) {
  const setup = createBreaker(overrides);
  for (let i = 0; i < 3; i++) setup.breaker.tryAcquire()!.failure(FailureClass.ServiceUnavailable);
  return setup;
}

describe(`${CircuitBreaker.name} recovery`, () => {
  it('rejects at once while open, then moves to half_open on the first call after the wait', () => {
    const { clock, breaker, transitions } = opened();
    clock.advance(999);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.allowsRequests()).toBe(false);
    expect(view(breaker)).toEqual({
      state: 'open',
      openCount: 1,
      nextProbeAt: 1000,
      totalCalls: 3,
      totalRejected: 1,
    });
    clock.advance(1);
    // The wait has passed but nobody called: the state is still reported as open.
    expect(breaker.state).toBe('open');
    expect(breaker.allowsRequests()).toBe(true);
    const probe = breaker.tryAcquire()!;
    expect(probe.probe).toBe(true);
    expect(view(breaker)).toEqual({
      state: 'half_open',
      openCount: 1,
      nextProbeAt: undefined,
      totalCalls: 4,
      totalRejected: 1,
    });
    expect(transitions.map((t) => [t.to, t.at - T0, t.reason])).toEqual([
      ['open', 0, '3 consecutive failures'],
      ['half_open', 1000, 'recovery wait of 1000 ms elapsed'],
    ]);
  });

  it('admits half_open_max_probes and closes when every one of them succeeds', () => {
    const { clock, breaker, transitions } = opened();
    clock.advance(1000);
    const [first, second] = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.allowsRequests()).toBe(false);
    first.success();
    expect(view(breaker)).toEqual({
      state: 'half_open',
      openCount: 1,
      nextProbeAt: undefined,
      totalCalls: 5,
      totalRejected: 1,
    });
    // A finished probe keeps its slot: the round is exactly two probes.
    expect(breaker.tryAcquire()).toBeUndefined();
    second.success();
    expect(view(breaker)).toEqual({
      state: 'closed',
      openCount: 0,
      nextProbeAt: undefined,
      totalCalls: 5,
      totalRejected: 2,
    });
    expect(breaker.stats()).toMatchObject({ consecutiveFailures: 0, windowCalls: 0, windowFailures: 0 });
    expect(transitions.at(-1)).toEqual({
      breaker: 'groq/llama',
      from: 'half_open',
      to: 'closed',
      at: T0 + 1000,
      reason: '2/2 probes succeeded',
    });
    expect(breaker.tryAcquire()!.probe).toBe(false);
  });

  it('reopens on any probe failure and ignores the rest of that round', () => {
    const { clock, breaker, transitions } = opened();
    clock.advance(1000);
    const [first, second] = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    clock.advance(200);
    first.failure(FailureClass.Timeout);
    const reopened = view(breaker);
    expect(reopened).toEqual({
      state: 'open',
      openCount: 2,
      nextProbeAt: 2200,
      totalCalls: 5,
      totalRejected: 0,
    });
    // The round's other outcome changes nothing.
    second.success();
    expect(view(breaker)).toEqual(reopened);
    expect(breaker.stats()).toMatchObject({
      totalFailures: 4,
      totalSuccesses: 1,
      lastFailure: { at: T0 + 1200, failureClass: FailureClass.Timeout },
    });
    expect(transitions.at(-1)).toMatchObject({
      from: 'half_open',
      to: 'open',
      reason: 'probe failed: timeout',
    });
    clock.advance(999);
    expect(breaker.tryAcquire()).toBeUndefined();
    clock.advance(1);
    expect(breaker.tryAcquire()!.probe).toBe(true);
  });

  it('frees the slot of a released probe, and of one ending in a class that does not count', () => {
    const { clock, breaker } = opened();
    clock.advance(1000);
    const [first, second] = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    first.release();
    second.failure(FailureClass.RateLimited);
    expect(view(breaker)).toEqual({
      state: 'half_open',
      openCount: 1,
      nextProbeAt: undefined,
      totalCalls: 5,
      totalRejected: 0,
    });
    const [third, fourth] = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    expect(breaker.tryAcquire()).toBeUndefined();
    third.success();
    fourth.success();
    expect(view(breaker)).toEqual({
      state: 'closed',
      openCount: 0,
      nextProbeAt: undefined,
      totalCalls: 7,
      totalRejected: 1,
    });
  });

  it('fails a probe with no outcome within the default bound of 2 × recovery', () => {
    const { clock, breaker, transitions } = opened();
    clock.advance(1000);
    const [stuck, late] = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    clock.advance(1999);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.state).toBe('half_open');
    clock.advance(1);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(view(breaker)).toEqual({
      state: 'open',
      openCount: 2,
      nextProbeAt: 4000,
      totalCalls: 5,
      totalRejected: 2,
    });
    expect(transitions.at(-1)).toMatchObject({ from: 'half_open', to: 'open', at: T0 + 3000 });
    expect(transitions.at(-1)!.reason).toBe('probe timed out after 2000 ms');
    // The timed-out probe already counted as a failure; its late outcome changes nothing.
    stuck.failure(FailureClass.ServiceUnavailable);
    late.success();
    expect(breaker.stats()).toMatchObject({
      totalFailures: 4,
      totalSuccesses: 1,
      lastFailure: { at: T0 + 3000, failureClass: FailureClass.Timeout },
    });
  });

  it('applies an explicit probe_timeout_ms, noticed by stats() as well', () => {
    const { clock, breaker } = opened({ probe_timeout_ms: 500, half_open_max_probes: 1 });
    clock.advance(1000);
    breaker.tryAcquire();
    clock.advance(499);
    expect(breaker.stats().state).toBe('half_open');
    clock.advance(1);
    expect(view(breaker)).toEqual({
      state: 'open',
      openCount: 2,
      nextProbeAt: 2500,
      totalCalls: 4,
      totalRejected: 0,
    });
  });

  it('grows the wait linearly with each consecutive open, up to the cap, and starts over once closed', () => {
    const { clock, breaker } = opened({ max_recovery_timeout_ms: 3500, half_open_max_probes: 1 });
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      const { openedAt, nextProbeAt } = breaker.stats();
      waits.push(nextProbeAt! - openedAt!);
      clock.advance(nextProbeAt! - clock.now());
      breaker.tryAcquire()!.failure(FailureClass.NetworkError);
    }
    expect(waits).toEqual([1000, 2000, 3000, 3500]);
    expect(breaker.stats()).toMatchObject({ state: 'open', openCount: 5 });
    clock.advance(3500);
    breaker.tryAcquire()!.success();
    expect(breaker.stats()).toMatchObject({ state: 'closed', openCount: 0 });
    for (let i = 0; i < 3; i++) breaker.tryAcquire()!.failure(FailureClass.NetworkError);
    const { openedAt, nextProbeAt } = breaker.stats();
    expect(nextProbeAt! - openedAt!).toBe(1000);
  });

  it('grants exactly P permits to 200 synchronous acquires at the half-open instant', () => {
    for (const probes of [1, 2, 5]) {
      const { clock, breaker } = opened({ half_open_max_probes: probes });
      clock.advance(1000);
      const permits = Array.from({ length: 200 }, () => breaker.tryAcquire());
      expect(permits.filter(Boolean)).toHaveLength(probes);
      expect(view(breaker)).toEqual({
        state: 'half_open',
        openCount: 1,
        nextProbeAt: undefined,
        totalCalls: 3 + probes,
        totalRejected: 200 - probes,
      });
    }
  });

  it('grants exactly P permits to 200 concurrent async tasks at the half-open instant', async () => {
    const { clock, breaker } = opened();
    clock.advance(1000);
    const permits = await Promise.all(
      Array.from({ length: 200 }, async () => {
        await Promise.resolve();
        const permit = breaker.tryAcquire();
        await Promise.resolve();
        return permit;
      }),
    );
    const granted = permits.filter((permit) => permit !== undefined);
    expect(granted.map((permit) => permit.probe)).toEqual([true, true]);
    expect(view(breaker)).toEqual({
      state: 'half_open',
      openCount: 1,
      nextProbeAt: undefined,
      totalCalls: 5,
      totalRejected: 198,
    });
    await Promise.all(granted.map(async (permit) => permit.success()));
    expect(breaker.state).toBe('closed');
  });

  it('ignores an outcome from a probe of an earlier half-open round', () => {
    const { clock, breaker } = opened();
    clock.advance(1000);
    const [failing, slow] = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    failing.failure(FailureClass.ServiceUnavailable);
    clock.advance(2000);
    const [first, second] = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    slow.failure(FailureClass.ServiceUnavailable);
    expect(view(breaker)).toEqual({
      state: 'half_open',
      openCount: 2,
      nextProbeAt: undefined,
      totalCalls: 7,
      totalRejected: 0,
    });
    first.success();
    second.success();
    expect(breaker.stats()).toMatchObject({ state: 'closed', totalFailures: 5, totalSuccesses: 2 });
  });
});
