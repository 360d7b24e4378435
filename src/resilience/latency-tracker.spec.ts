import { SeededRandom } from '../common/random';
import { LatencyTracker } from './latency-tracker';

describe(LatencyTracker.name, () => {
  function filled(values: number[], capacity?: number): LatencyTracker {
    const tracker = new LatencyTracker(capacity);
    for (const v of values) tracker.record(v);
    return tracker;
  }

  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('answers undefined below the minimum sample count', () => {
    const tracker = filled(oneToHundred.slice(0, 19));
    expect(tracker.count).toBe(19);
    expect(tracker.quantile(0.95)).toBeUndefined();
    expect(tracker.quantile(0.95, 10)).toBe(19);
    tracker.record(20);
    expect(tracker.quantile(0.5)).toBe(10);
  });

  it('answers undefined with no samples even when no minimum is asked for', () => {
    const tracker = new LatencyTracker();
    expect(tracker.quantile(0.5, 0)).toBeUndefined();
    expect(tracker.mean()).toBeUndefined();
  });

  it('uses the nearest rank', () => {
    const tracker = filled([...oneToHundred].reverse());
    expect(tracker.quantile(0.95)).toBe(95);
    expect(tracker.quantile(0.5)).toBe(50);
    expect(tracker.quantile(0.99)).toBe(99);
    expect(tracker.quantile(1)).toBe(100);
    expect(tracker.quantile(0)).toBe(1);
    expect(tracker.quantile(-1)).toBe(1);
    expect(tracker.quantile(2)).toBe(100);
  });

  it('keeps only the most recent capacity samples', () => {
    const tracker = filled(oneToHundred, 50);
    expect(tracker.count).toBe(50);
    expect(tracker.quantile(0)).toBe(51);
    expect(tracker.quantile(1)).toBe(100);
    expect(tracker.mean()).toBe(75.5);
  });

  it('computes the mean of the window exactly over many laps', () => {
    const random = new SeededRandom(5);
    const tracker = new LatencyTracker(64);
    const all: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const v = random.next() * 1_000;
      all.push(v);
      tracker.record(v);
    }
    const recent = all.slice(-64);
    expect(tracker.mean()).toBeCloseTo(recent.reduce((s, v) => s + v, 0) / 64, 9);
  });

  it('refreshes its sorted copy at most every capacity/16 records', () => {
    const tracker = filled(Array.from({ length: 256 }, () => 10));
    expect(tracker.quantile(1)).toBe(10);
    for (let i = 0; i < 15; i++) tracker.record(1_000);
    expect(tracker.quantile(1)).toBe(10);
    tracker.record(1_000);
    expect(tracker.quantile(1)).toBe(1_000);
  });

  it('tracks a shift in latency within a refresh period', () => {
    const tracker = new LatencyTracker(256);
    for (let i = 0; i < 256; i++) tracker.record(100);
    for (let i = 0; i < 256; i++) {
      tracker.record(500);
      tracker.quantile(0.95);
    }
    expect(tracker.quantile(0.95)).toBe(500);
    // The copy may still hold up to 15 of the old samples, but no more.
    expect(tracker.quantile(0)).toBe(100);
    for (let i = 0; i < 16; i++) tracker.record(500);
    expect(tracker.quantile(0)).toBe(500);
  });

  it('ignores negative and non-finite values', () => {
    const tracker = filled([Number.NaN, -1, Infinity, 5]);
    expect(tracker.count).toBe(1);
    expect(tracker.mean()).toBe(5);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new LatencyTracker(0)).toThrow(RangeError);
    expect(() => new LatencyTracker(1.5)).toThrow(RangeError);
  });
});
