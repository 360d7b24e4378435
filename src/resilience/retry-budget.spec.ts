import { FakeClock } from '../common/fake-clock';
import { RetryBudget } from './retry-budget';

describe(RetryBudget.name, () => {
  const settings = { ratio: 0.2, min_per_second: 3 };

  function withdrawAll(budget: RetryBudget): number {
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    return granted;
  }

  it('allows ratio x requests plus the per-second floor over the window', () => {
    const clock = new FakeClock(0);
    const budget = new RetryBudget(settings, clock);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    expect(budget.stats()).toEqual({ requests: 100, retries: 0, allowed: 50 });
    expect(withdrawAll(budget)).toBe(50);
    expect(budget.stats()).toEqual({ requests: 100, retries: 50, allowed: 50 });
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('grants only the floor without requests', () => {
    const budget = new RetryBudget(settings, new FakeClock(0));
    expect(withdrawAll(budget)).toBe(30);
  });

  it('gives new retries as new requests arrive', () => {
    const budget = new RetryBudget({ ratio: 0.2, min_per_second: 0 }, new FakeClock(0));
    expect(budget.tryWithdraw()).toBe(false);
    for (let i = 0; i < 4; i++) budget.recordRequest();
    expect(budget.tryWithdraw()).toBe(false);
    budget.recordRequest();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('expires requests and retries once the window slides past them', () => {
    const clock = new FakeClock(1_700_000_000_000);
    const budget = new RetryBudget(settings, clock);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    expect(withdrawAll(budget)).toBe(50);
    clock.advance(9_999);
    expect(budget.stats()).toEqual({ requests: 100, retries: 50, allowed: 50 });
    expect(budget.tryWithdraw()).toBe(false);
    clock.advance(1);
    expect(budget.stats()).toEqual({ requests: 0, retries: 0, allowed: 30 });
    expect(withdrawAll(budget)).toBe(30);
  });

  it('expires one bucket at a time', () => {
    const clock = new FakeClock(0);
    const budget = new RetryBudget({ ratio: 1, min_per_second: 0 }, clock);
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 10; i++) budget.recordRequest();
      clock.advance(1_000);
    }
    // Now at t = 10 s: the first second's requests have left the window.
    expect(budget.stats().requests).toBe(90);
    clock.advance(4_000);
    expect(budget.stats().requests).toBe(50);
    clock.advance(100_000);
    expect(budget.stats().requests).toBe(0);
  });

  it('keeps steady load near ratio x rate + floor', () => {
    const clock = new FakeClock(0);
    const budget = new RetryBudget(settings, clock);
    let granted = 0;
    // 50 requests/s for 60 s, each trying one retry: the allowance is 0.2 * 50 + 3 = 13 per second.
    for (let ms = 0; ms < 60_000; ms += 20) {
      budget.recordRequest();
      if (budget.tryWithdraw()) granted++;
      clock.advance(20);
    }
    expect(Math.abs(granted / 60 - 13)).toBeLessThanOrEqual(1);
  });

  it('honours a custom window', () => {
    const clock = new FakeClock(0);
    const budget = new RetryBudget({ ratio: 0.5, min_per_second: 2, window_ms: 2_000 }, clock);
    for (let i = 0; i < 10; i++) budget.recordRequest();
    expect(budget.stats().allowed).toBe(9);
    clock.advance(2_000);
    expect(budget.stats()).toEqual({ requests: 0, retries: 0, allowed: 4 });
  });

  it('does not lose a retry to floating point', () => {
    const budget = new RetryBudget({ ratio: 0.1, min_per_second: 0.3 }, new FakeClock(0));
    for (let i = 0; i < 30; i++) budget.recordRequest();
    expect(budget.stats().allowed).toBe(6);
  });

  it('ignores a clock that steps back', () => {
    const clock = new FakeClock(10_000);
    const budget = new RetryBudget(settings, clock);
    budget.recordRequest();
    clock.set(5_000);
    budget.recordRequest();
    expect(budget.stats().requests).toBe(2);
  });
});
