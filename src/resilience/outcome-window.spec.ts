import { OutcomeWindow } from './outcome-window';

const T0 = 1_700_000_000_000;

describe(OutcomeWindow.name, () => {
  it('uses 1 s buckets, never fewer than 10 nor more than 60 per window', () => {
    expect(new OutcomeWindow(60_000).snapshot().calls).toHaveLength(60);
    expect(new OutcomeWindow(60_000).bucketMs).toBe(1000);
    expect(new OutcomeWindow(10_000).bucketMs).toBe(1000);
    expect(new OutcomeWindow(2_000).bucketMs).toBe(200);
    expect(new OutcomeWindow(2_000).snapshot().calls).toHaveLength(10);
    expect(new OutcomeWindow(600_000).bucketMs).toBe(10_000);
    expect(new OutcomeWindow(600_000).snapshot().calls).toHaveLength(60);
    expect(new OutcomeWindow(1).bucketMs).toBe(1);
  });

  it('counts outcomes and reports when a new bucket starts', () => {
    const window = new OutcomeWindow(10_000);
    expect(window.record(T0, false)).toBe(true);
    expect(window.record(T0 + 999, true)).toBe(false);
    expect(window.record(T0 + 1000, true)).toBe(true);
    expect([window.total, window.failed]).toEqual([3, 2]);
  });

  it('drops each bucket once it leaves the window', () => {
    const window = new OutcomeWindow(10_000);
    window.record(T0, true);
    window.record(T0 + 3000, false);
    window.advance(T0 + 9999);
    expect([window.total, window.failed]).toEqual([2, 1]);
    window.advance(T0 + 10_000);
    expect([window.total, window.failed]).toEqual([1, 0]);
    window.advance(T0 + 13_000);
    expect([window.total, window.failed]).toEqual([0, 0]);
  });

  it('clears everything after a gap longer than the window', () => {
    const window = new OutcomeWindow(10_000);
    window.record(T0, true);
    window.record(T0 + 5000, true);
    expect(window.advance(T0 + 3_600_000)).toBe(true);
    expect([window.total, window.failed]).toEqual([0, 0]);
    window.record(T0 + 3_600_000, false);
    expect([window.total, window.failed]).toEqual([1, 0]);
  });

  it('records into the newest bucket when the clock steps back', () => {
    const window = new OutcomeWindow(10_000);
    window.record(T0 + 5000, false);
    expect(window.record(T0, true)).toBe(false);
    window.advance(T0 + 14_999);
    expect([window.total, window.failed]).toEqual([2, 1]);
    window.advance(T0 + 15_000);
    expect([window.total, window.failed]).toEqual([0, 0]);
  });

  it('restores a snapshot of the same geometry and ignores any other', () => {
    const window = new OutcomeWindow(10_000);
    window.record(T0, true);
    window.record(T0 + 2000, false);
    const copy = new OutcomeWindow(10_000);
    copy.restore(JSON.parse(JSON.stringify(window.snapshot())));
    expect([copy.total, copy.failed]).toEqual([2, 1]);
    copy.advance(T0 + 10_000);
    expect([copy.total, copy.failed]).toEqual([1, 0]);
    const other = new OutcomeWindow(2_000);
    other.restore(window.snapshot());
    expect([other.total, other.failed]).toEqual([0, 0]);
  });
});
