import { HealthHistory, type HealthHistoryEntry } from './health-history';

describe(HealthHistory.name, () => {
  const entry = (at: number): HealthHistoryEntry => ({
    at,
    status: 'healthy',
    healthy: 1,
    total: 1,
    healthyShare: 1,
    durationMs: 3,
    unhealthy: {},
  });

  it('keeps the last `capacity` checks, oldest first', () => {
    const history = new HealthHistory(3);
    expect(history.entries()).toEqual([]);
    expect(history.latest()).toBeUndefined();
    for (let at = 1; at <= 5; at++) history.push(entry(at));
    expect(history.entries().map((e) => e.at)).toEqual([3, 4, 5]);
    expect(history.length).toBe(3);
    expect(history.latest()?.at).toBe(5);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new HealthHistory(0)).toThrow(RangeError);
    expect(() => new HealthHistory(1.5)).toThrow(RangeError);
  });
});
