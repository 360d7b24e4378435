import { HedgeBudget } from './hedge-budget';

describe(HedgeBudget.name, () => {
  it('allows ratio x requests hedges when every request tries to hedge', () => {
    for (const ratio of [0.05, 0.1, 0.3]) {
      const budget = new HedgeBudget(ratio);
      let hedges = 0;
      for (let i = 0; i < 10_000; i++) {
        budget.recordRequest();
        if (budget.tryTake()) hedges++;
      }
      expect(Math.abs(hedges - ratio * 10_000)).toBeLessThanOrEqual(1);
    }
  });

  it('earns the first hedge after 1 / ratio requests', () => {
    const budget = new HedgeBudget(0.05);
    for (let i = 0; i < 19; i++) budget.recordRequest();
    expect(budget.tryTake()).toBe(false);
    budget.recordRequest();
    expect(budget.tryTake()).toBe(true);
    expect(budget.tryTake()).toBe(false);
  });

  it('caps a burst at the capacity after a quiet period', () => {
    const budget = new HedgeBudget(0.05, 10);
    for (let i = 0; i < 100_000; i++) budget.recordRequest();
    let hedges = 0;
    while (budget.tryTake()) hedges++;
    expect(hedges).toBe(10);
  });

  it('stays within ratio x requests + capacity for any pattern', () => {
    const budget = new HedgeBudget(0.05, 10);
    let hedges = 0;
    for (let i = 0; i < 10_000; i++) {
      budget.recordRequest();
      // Hedge only in bursts every 1,000 requests, as a slow spell would.
      if (i % 1_000 === 999) while (budget.tryTake()) hedges++;
    }
    expect(hedges).toBeLessThanOrEqual(0.05 * 10_000 + 10);
    expect(hedges).toBe(100);
  });

  it('never hedges with a ratio of 0', () => {
    const budget = new HedgeBudget(0);
    for (let i = 0; i < 1_000; i++) {
      budget.recordRequest();
      expect(budget.tryTake()).toBe(false);
    }
  });
});
