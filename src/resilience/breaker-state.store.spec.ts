import { FakeClock } from '../common/fake-clock';
import { FailureClass } from '../common/failure-class';
import { BREAKER_T0 as T0, breakerSettings } from '../../test/support/breaker-fixtures';
import { MemoryBreakerStateStore, type BreakerSnapshot } from './breaker-state.store';
import { CircuitBreaker, type BreakerSettings } from './circuit-breaker';

function setup() {
  const store = new MemoryBreakerStateStore();
  const saves = jest.spyOn(store, 'save');
  const clock = new FakeClock(T0);
  const create = (overrides: Partial<BreakerSettings> = {}) =>
    new CircuitBreaker('groq/llama', { ...breakerSettings, ...overrides }, clock, undefined, store);
  return { clock, store, saves, create };
}

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) breaker.tryAcquire()!.failure(FailureClass.NetworkError);
}

describe(MemoryBreakerStateStore.name, () => {
  it('returns what was saved, by name', () => {
    const store = new MemoryBreakerStateStore();
    expect(store.load('a/b')).toBeUndefined();
    const snapshot = { version: 1 } as BreakerSnapshot;
    store.save('a/b', snapshot);
    expect(store.load('a/b')).toBe(snapshot);
    expect(store.names()).toEqual(['a/b']);
  });
});

describe(`${CircuitBreaker.name} with a state store`, () => {
  it('saves on failures, transitions and new buckets, not on every success', () => {
    const { clock, saves, create } = setup();
    const breaker = create();
    expect(saves).toHaveBeenCalledTimes(0);
    breaker.tryAcquire()!.success();
    expect(saves).toHaveBeenCalledTimes(1);
    breaker.tryAcquire()!.success();
    expect(saves).toHaveBeenCalledTimes(1);
    fail(breaker, 1);
    expect(saves).toHaveBeenCalledTimes(2);
    breaker.tryAcquire()!.success();
    expect(saves).toHaveBeenCalledTimes(3);
    breaker.tryAcquire()!.success();
    expect(saves).toHaveBeenCalledTimes(3);
    clock.advance(1000);
    breaker.tryAcquire()!.success();
    expect(saves).toHaveBeenCalledTimes(4);
    fail(breaker, 3);
    expect(saves).toHaveBeenCalledTimes(7);
    expect(saves.mock.lastCall).toEqual([
      'groq/llama',
      expect.objectContaining({ state: 'open', since: T0 + 1000, consecutiveFailures: 3, openCount: 1 }),
    ]);
  });

  it('saves plain JSON', () => {
    const { store, create } = setup();
    const breaker = create();
    fail(breaker, 3);
    const snapshot = store.load('groq/llama')!;
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('resumes an open breaker with its wait, counters, totals and history', () => {
    const { clock, create } = setup();
    const first = create();
    first.tryAcquire()!.success();
    clock.advance(2000);
    fail(first, 3);
    clock.advance(400);
    const resumed = create();
    expect(resumed.stats()).toEqual(first.stats());
    expect(resumed.stats()).toMatchObject({
      state: 'open',
      nextProbeAt: T0 + 3000,
      totalCalls: 4,
      openCount: 1,
    });
    clock.advance(599);
    expect(resumed.tryAcquire()).toBeUndefined();
    clock.advance(1);
    expect(resumed.tryAcquire()!.probe).toBe(true);
  });

  it('resumes a closed breaker with its window and streak', () => {
    const { create } = setup();
    const first = create();
    first.tryAcquire()!.success();
    fail(first, 2);
    const resumed = create();
    expect(resumed.stats()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 3,
      windowFailures: 2,
      lastFailure: { at: T0, failureClass: FailureClass.NetworkError },
    });
    fail(resumed, 1);
    expect(resumed.state).toBe('open');
  });

  it('starts a new probe round when it resumes half-open: the old permits belong to the old breaker', () => {
    const { clock, create } = setup();
    const first = create();
    fail(first, 3);
    clock.advance(1000);
    expect([first.tryAcquire(), first.tryAcquire()].every(Boolean)).toBe(true);
    const resumed = create();
    expect(resumed.state).toBe('half_open');
    const probes = [resumed.tryAcquire(), resumed.tryAcquire(), resumed.tryAcquire()];
    expect(probes.map((permit) => permit?.probe)).toEqual([true, true, undefined]);
  });

  it('keeps the state but not the window when the window geometry changed', () => {
    const { create } = setup();
    fail(create(), 2);
    const resumed = create({ window_ms: 2000 });
    expect(resumed.stats()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 2,
      windowCalls: 0,
      windowFailures: 0,
    });
  });
});
