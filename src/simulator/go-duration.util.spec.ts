import { formatGoDuration, formatRfc3339Seconds } from './go-duration.util';

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [12, '12ms'],
    [135, '135ms'],
    [1000, '1s'],
    [1200, '1.2s'],
    [3300, '3.3s'],
    [360_000, '6m0s'],
    [250_020, '4m10.02s'],
    [3_723_500, '1h2m3.5s'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});

describe('formatRfc3339Seconds', () => {
  it('rounds up to the next whole second so a client never comes back early', () => {
    expect(formatRfc3339Seconds(Date.UTC(2025, 9, 21, 9, 41, 17, 1))).toBe('2025-10-21T09:41:18Z');
    expect(formatRfc3339Seconds(Date.UTC(2025, 9, 21, 9, 41, 17, 0))).toBe('2025-10-21T09:41:17Z');
  });
});
