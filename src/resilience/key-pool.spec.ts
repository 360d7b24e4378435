import { FakeClock } from '../common/fake-clock';
import { FailureClass } from '../common/failure-class';
import { KeyPool, type KeyEvent } from './key-pool';
import { type KeyState, keyStateId, MemoryKeyStateStore } from './key-state.store';

describe(KeyPool.name, () => {
  const k1 = 'sk-test-alpha-0001';
  const k2 = 'sk-test-bravo-0002';
  const k3 = 'sk-test-charlie-0003';
  const keys = [k1, k2, k3];
  const t0 = 1_700_000_000_000;

  let clock: FakeClock;
  let events: KeyEvent[];
  let store: MemoryKeyStateStore;

  beforeEach(() => {
    clock = new FakeClock(t0);
    events = [];
    store = new MemoryKeyStateStore();
  });

  function pool(poolKeys: readonly string[] = keys): KeyPool {
    return new KeyPool('groq', poolKeys, clock, (event) => events.push(event), store);
  }

  function takeMany(keyPool: KeyPool, times: number): Array<string | undefined> {
    return Array.from({ length: times }, () => keyPool.take());
  }

  it('spreads requests round-robin over the keys', () => {
    const keyPool = pool();
    expect(keyPool.provider).toBe('groq');
    expect(keyPool.keyless).toBe(false);
    expect(takeMany(keyPool, 6)).toEqual([k1, k2, k3, k1, k2, k3]);
  });

  it('skips the keys a request already tried', () => {
    const keyPool = pool();
    expect(keyPool.take(new Set([k1]))).toBe(k2);
    expect(keyPool.take(new Set([k1, k3]))).toBe(k2);
    expect(keyPool.take(new Set(keys))).toBeUndefined();
    expect(keyPool.take()).toBe(k3);
  });

  it('rests a key until its time, then brings it back with an event', () => {
    const keyPool = pool();
    keyPool.rest(k2, t0 + 5_000, FailureClass.RateLimited);
    expect(events).toEqual([
      {
        provider: 'groq',
        keySuffix: '...0002',
        status: 'resting',
        reason: 'rate_limited',
        until: t0 + 5_000,
        at: t0,
      },
    ]);
    expect(takeMany(keyPool, 4)).toEqual([k1, k3, k1, k3]);
    clock.advance(4_999);
    expect(keyPool.take(new Set([k1, k3]))).toBeUndefined();
    clock.advance(1);
    expect(keyPool.take(new Set([k1, k3]))).toBe(k2);
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ provider: 'groq', keySuffix: '...0002', status: 'healthy', at: t0 + 5_000 });
  });

  it('emits one event per rest, extending a rest quietly and never shortening it', () => {
    const keyPool = pool();
    keyPool.rest(k1, t0 + 5_000, FailureClass.RateLimited);
    keyPool.rest(k1, t0 + 3_000, FailureClass.RateLimited);
    keyPool.rest(k1, t0 + 5_000, FailureClass.RateLimited);
    keyPool.rest(k1, t0 + 8_000, FailureClass.QuotaExceeded);
    expect(events).toHaveLength(1);
    expect(keyPool.snapshot()[0]).toMatchObject({
      status: 'resting',
      until: t0 + 8_000,
      reason: 'quota_exceeded',
    });
    clock.advance(5_000);
    expect(keyPool.take(new Set([k2, k3]))).toBeUndefined();
    clock.advance(3_000);
    expect(keyPool.take(new Set([k2, k3]))).toBe(k1);
  });

  it('treats a rest on a key whose rest has expired as a new transition', () => {
    const keyPool = pool();
    keyPool.rest(k1, t0 + 1_000, FailureClass.RateLimited);
    clock.advance(2_000);
    keyPool.rest(k1, t0 + 4_000, FailureClass.RateLimited);
    expect(events.map((e) => [e.status, e.until])).toEqual([
      ['resting', t0 + 1_000],
      ['resting', t0 + 4_000],
    ]);
  });

  it('ignores a rest that is already over', () => {
    const keyPool = pool();
    keyPool.rest(k1, t0, FailureClass.RateLimited);
    expect(events).toEqual([]);
    expect(keyPool.take()).toBe(k1);
  });

  it('disables a key for good until an operator enables it', () => {
    const keyPool = pool();
    keyPool.disable(k1, FailureClass.AuthError);
    keyPool.disable(k1, FailureClass.AuthError);
    keyPool.rest(k1, t0 + 1_000, FailureClass.RateLimited);
    clock.advance(365 * 24 * 3_600_000);
    expect(takeMany(keyPool, 4)).toEqual([k2, k3, k2, k3]);
    keyPool.enable(k1);
    keyPool.enable(k1);
    expect(keyPool.take()).toBe(k1);
    expect(events.map((e) => [e.status, e.reason])).toEqual([
      ['disabled', 'auth_error'],
      ['healthy', undefined],
    ]);
  });

  it('reports no key available while all rest, and when the first one returns', () => {
    const keyPool = pool();
    keyPool.rest(k1, t0 + 3_000, FailureClass.RateLimited);
    keyPool.rest(k2, t0 + 1_000, FailureClass.QuotaExceeded);
    expect(keyPool.available()).toBe(true);
    expect(keyPool.nextAvailableAt()).toBeUndefined();
    keyPool.disable(k3, FailureClass.AuthError);
    expect(keyPool.available()).toBe(false);
    expect(keyPool.take()).toBeUndefined();
    expect(keyPool.nextAvailableAt()).toBe(t0 + 1_000);
    clock.advance(1_000);
    expect(keyPool.available()).toBe(true);
    expect(keyPool.nextAvailableAt()).toBeUndefined();
    expect(keyPool.take()).toBe(k2);
  });

  it('has no next time when every key is disabled', () => {
    const keyPool = pool([k1]);
    keyPool.disable(k1, FailureClass.AuthError);
    expect(keyPool.available()).toBe(false);
    expect(keyPool.nextAvailableAt()).toBeUndefined();
  });

  it('is usable without keys, handing out none', () => {
    const keyPool = pool([]);
    expect(keyPool.keyless).toBe(true);
    expect(keyPool.available()).toBe(true);
    expect(keyPool.take()).toBeUndefined();
    expect(keyPool.nextAvailableAt()).toBeUndefined();
    keyPool.recordSuccess(undefined);
    keyPool.recordFailure(undefined);
    expect(keyPool.snapshot()).toEqual([]);
  });

  it('uses a key listed twice once, and drops empty keys', () => {
    const keyPool = pool([k1, k2, k1, '', k2]);
    expect(takeMany(keyPool, 4)).toEqual([k1, k2, k1, k2]);
    expect(keyPool.snapshot().map((s) => s.keySuffix)).toEqual(['...0001', '...0002']);
    expect(pool(['']).keyless).toBe(true);
  });

  it('counts successes and failures per key and ignores unknown keys', () => {
    const keyPool = pool();
    keyPool.recordSuccess(k1);
    keyPool.recordSuccess(k1);
    keyPool.recordFailure(k2);
    keyPool.recordFailure('sk-unknown-9999');
    keyPool.rest('sk-unknown-9999', t0 + 1, FailureClass.RateLimited);
    expect(keyPool.snapshot()).toEqual([
      { keySuffix: '...0001', status: 'healthy', since: t0, successes: 2, failures: 0 },
      { keySuffix: '...0002', status: 'healthy', since: t0, successes: 0, failures: 1 },
      { keySuffix: '...0003', status: 'healthy', since: t0, successes: 0, failures: 0 },
    ]);
    expect(events).toEqual([]);
  });

  it('shows expired rests as healthy in the snapshot', () => {
    const keyPool = pool();
    keyPool.rest(k3, t0 + 10, FailureClass.RateLimited);
    clock.advance(10);
    expect(keyPool.snapshot()[2]).toMatchObject({ status: 'healthy', since: t0 + 10 });
  });

  it('never puts a raw key in events, snapshots or the store', () => {
    const saved: string[] = [];
    const recording = {
      load: (provider: string, keyId: string) => store.load(provider, keyId),
      save: (provider: string, keyId: string, state: KeyState) => {
        saved.push(JSON.stringify([provider, keyId, state]));
        store.save(provider, keyId, state);
      },
    };
    const keyPool = new KeyPool('groq', keys, clock, (event) => events.push(event), recording);
    keyPool.rest(k1, t0 + 100, FailureClass.RateLimited);
    keyPool.disable(k2, FailureClass.AuthError);
    keyPool.recordSuccess(k3);
    clock.advance(100);
    keyPool.take();
    keyPool.enable(k2);
    const texts = [...events.map((e) => JSON.stringify(e)), JSON.stringify(keyPool.snapshot()), ...saved];
    expect(events).toHaveLength(4);
    expect(saved).toHaveLength(4);
    for (const text of texts) for (const key of keys) expect(text).not.toContain(key);
    expect(saved[0]).toContain(keyStateId(k1));
  });

  it('keeps key states across a new pool on the same store', () => {
    const first = pool();
    first.recordSuccess(k1);
    first.rest(k1, t0 + 60_000, FailureClass.QuotaExceeded);
    first.disable(k2, FailureClass.AuthError);

    const second = pool();
    expect(second.snapshot()).toEqual([
      {
        keySuffix: '...0001',
        status: 'resting',
        until: t0 + 60_000,
        reason: 'quota_exceeded',
        since: t0,
        successes: 1,
        failures: 0,
      },
      {
        keySuffix: '...0002',
        status: 'disabled',
        reason: 'auth_error',
        since: t0,
        successes: 0,
        failures: 0,
      },
      { keySuffix: '...0003', status: 'healthy', since: t0, successes: 0, failures: 0 },
    ]);
    expect(takeMany(second, 2)).toEqual([k3, k3]);
    clock.advance(60_000);
    expect(second.take(new Set([k3]))).toBe(k1);
  });

  it('keeps providers apart in the store', () => {
    pool().disable(k1, FailureClass.AuthError);
    const other = new KeyPool('gemini', [k1], clock, undefined, store);
    expect(other.take()).toBe(k1);
  });

  it('works without a listener or a store', () => {
    const keyPool = new KeyPool('groq', [k1], clock);
    keyPool.rest(k1, t0 + 10, FailureClass.RateLimited);
    expect(keyPool.take()).toBeUndefined();
    clock.advance(10);
    expect(keyPool.take()).toBe(k1);
  });
});

describe(MemoryKeyStateStore.name, () => {
  it('stores copies, so later changes do not leak in', () => {
    const store = new MemoryKeyStateStore();
    const state: KeyState = { status: 'healthy', since: 1, successes: 0, failures: 0 };
    store.save('p', 'id', state);
    state.successes = 5;
    const loaded = store.load('p', 'id')!;
    expect(loaded.successes).toBe(0);
    loaded.successes = 7;
    expect(store.load('p', 'id')!.successes).toBe(0);
    expect(store.load('p', 'other')).toBeUndefined();
  });
});

describe(keyStateId.name, () => {
  it('is a stable 16 hex digit hash that does not contain the key', () => {
    expect(keyStateId('sk-abc')).toBe(keyStateId('sk-abc'));
    expect(keyStateId('sk-abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(keyStateId('sk-abc')).not.toBe(keyStateId('sk-abd'));
  });
  it('hasUntried says whether an untried usable key remains, without moving the round robin', () => {
    const clock = new FakeClock();
    const pool = new KeyPool('p', ['k-one-1111', 'k-two-2222'], clock);
    expect(pool.hasUntried(new Set(['k-one-1111']))).toBe(true);
    expect(pool.take()).toBe('k-one-1111');
    pool.rest('k-two-2222', clock.now() + 1000, FailureClass.RateLimited);
    expect(pool.hasUntried(new Set(['k-one-1111']))).toBe(false);
    expect(pool.take()).toBe('k-one-1111');
  });
});
