import { FakeClock } from '../common/fake-clock';
import { FailureClass } from '../common/failure-class';
import { KeyPool } from './key-pool';

describe('KeyPool.waitForKey (KeyWaitQueue)', () => {
  let clock: FakeClock;
  beforeEach(() => {
    jest.useFakeTimers();
    clock = new FakeClock(0);
  });
  afterEach(() => jest.useRealTimers());

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await jest.advanceTimersByTimeAsync(ms);
  }

  it('wakes one waiter per key as the keys come back, in arrival order', async () => {
    const pool = new KeyPool('p', ['k1-aaaa', 'k2-bbbb'], clock);
    pool.rest('k1-aaaa', 1000, FailureClass.RateLimited);
    pool.rest('k2-bbbb', 1500, FailureClass.RateLimited);
    const woken: string[] = [];
    const signal = new AbortController().signal;
    expect(pool.canQueue()).toBe(true);
    void pool.waitForKey(signal).then(() => woken.push('first'));
    expect(pool.canQueue()).toBe(true);
    void pool.waitForKey(signal).then(() => woken.push('second'));
    expect(pool.canQueue()).toBe(false);
    expect(pool.hasWaiters).toBe(true);
    await advance(999);
    expect(woken).toEqual([]);
    await advance(1);
    expect(woken).toEqual(['first']);
    await advance(500);
    expect(woken).toEqual(['first', 'second']);
    expect(pool.hasWaiters).toBe(false);
  });

  it('lets a waiter leave when its request is aborted', async () => {
    const pool = new KeyPool('p', ['k1-aaaa'], clock);
    pool.rest('k1-aaaa', 1000, FailureClass.RateLimited);
    const controller = new AbortController();
    const waiting = pool.waitForKey(controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(pool.hasWaiters).toBe(false);
  });

  it('does not offer a queue when every key is disabled', () => {
    const pool = new KeyPool('p', ['k1-aaaa'], clock);
    pool.disable('k1-aaaa', FailureClass.AuthError);
    expect(pool.canQueue()).toBe(false);
  });

  it('wakes a waiter at once when an operator enables a key', async () => {
    const pool = new KeyPool('p', ['k1-aaaa'], clock);
    pool.rest('k1-aaaa', 60_000, FailureClass.QuotaExceeded);
    let woken = false;
    void pool.waitForKey(new AbortController().signal).then(() => (woken = true));
    pool.enable('k1-aaaa');
    await jest.advanceTimersByTimeAsync(0);
    expect(woken).toBe(true);
  });
});
