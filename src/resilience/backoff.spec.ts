import { RandomSource, SeededRandom } from '../common/random';
import { Backoff, type BackoffSettings, exponentialDelay, type Jitter } from './backoff';

const SAMPLES = 10_000;
const STEPS = 6;

function settings(jitter: Jitter, overrides: Partial<BackoffSettings> = {}): BackoffSettings {
  return { max_attempts: 5, base_delay_ms: 100, max_delay_ms: 2_000, multiplier: 2, jitter, ...overrides };
}

/** SAMPLES independent retry sequences of STEPS delays each, grouped by retry index. */
function sampleSequences(config: BackoffSettings, seed = 42): number[][] {
  const random = new SeededRandom(seed);
  const byStep: number[][] = Array.from({ length: STEPS }, () => []);
  for (let i = 0; i < SAMPLES; i++) {
    const backoff = new Backoff(config, random);
    for (let n = 0; n < STEPS; n++) byStep[n].push(backoff.next());
  }
  return byStep;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Always returns the same value, to drive the formulas to their edges. */
class ConstantRandom extends RandomSource {
  constructor(private readonly value: number) {
    super();
  }
  next(): number {
    return this.value;
  }
}

describe(exponentialDelay.name, () => {
  it('grows by the multiplier from the base and stops at the cap', () => {
    const config = settings('none');
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => exponentialDelay(config, n))).toEqual([
      100, 200, 400, 800, 1_600, 2_000, 2_000,
    ]);
  });

  it('handles fractional multipliers', () => {
    const config = settings('none', { base_delay_ms: 500, max_delay_ms: 10_000, multiplier: 1.5 });
    expect(exponentialDelay(config, 2)).toBe(1_125);
  });

  it('returns the cap, never Infinity or NaN, for huge n', () => {
    const config = settings('none');
    for (const n of [1_000, 1e6, Number.MAX_SAFE_INTEGER, Infinity]) {
      expect(exponentialDelay(config, n)).toBe(2_000);
    }
    expect(exponentialDelay(settings('none', { base_delay_ms: 0 }), 1e6)).toBe(0);
  });

  it('never exceeds the cap even when the base is above it', () => {
    const config = settings('none', { base_delay_ms: 5_000 });
    expect(exponentialDelay(config, 0)).toBe(2_000);
    expect(exponentialDelay(config, 3)).toBe(2_000);
  });

  it('stays at the base with a multiplier of 1', () => {
    expect(exponentialDelay(settings('none', { multiplier: 1 }), 50)).toBe(100);
  });
});

describe(Backoff.name, () => {
  it('counts retries as next() is called', () => {
    const backoff = new Backoff(settings('none'), new SeededRandom(1));
    expect(backoff.retries).toBe(0);
    expect(backoff.next()).toBe(100);
    expect(backoff.next()).toBe(200);
    expect(backoff.retries).toBe(2);
  });

  it('none: the exponential sequence itself', () => {
    const backoff = new Backoff(settings('none'), new SeededRandom(1));
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([
      100, 200, 400, 800, 1_600, 2_000, 2_000,
    ]);
  });

  it('full: every sample in [0, expo(n)], mean expo(n)/2 within 2%', () => {
    const config = settings('full');
    sampleSequences(config).forEach((samples, n) => {
      const expo = exponentialDelay(config, n);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(expo);
      expect(Math.abs(mean(samples) - expo / 2)).toBeLessThanOrEqual(0.02 * (expo / 2));
    });
  });

  it('equal: every sample in [expo(n)/2, expo(n)], mean 3/4 expo(n) within 2%', () => {
    const config = settings('equal');
    sampleSequences(config).forEach((samples, n) => {
      const expo = exponentialDelay(config, n);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(expo / 2);
      expect(Math.max(...samples)).toBeLessThanOrEqual(expo);
      expect(Math.abs(mean(samples) - (3 * expo) / 4)).toBeLessThanOrEqual(0.02 * ((3 * expo) / 4));
    });
  });

  it('equal: 1 ms delays stay positive and finite', () => {
    const config = settings('equal', { base_delay_ms: 1, max_delay_ms: 1, multiplier: 2 });
    const backoff = new Backoff(config, new SeededRandom(7));
    const delays = Array.from({ length: 1_000 }, () => backoff.next());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1);
    expect(new Backoff(config, new ConstantRandom(0)).next()).toBe(0.5);
  });

  it('decorrelated: every sample in [base, min(cap, 3 * previous)]', () => {
    const config = settings('decorrelated');
    const random = new SeededRandom(3);
    const outOfBounds: number[][] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const backoff = new Backoff(config, random);
      let previous = config.base_delay_ms;
      for (let n = 0; n < STEPS; n++) {
        const delay = backoff.next();
        const high = Math.min(config.max_delay_ms, previous * 3);
        if (delay < config.base_delay_ms || delay > high) outOfBounds.push([previous, delay]);
        previous = delay;
      }
    }
    expect(outOfBounds).toEqual([]);
  });

  it('decorrelated: the first delay averages 2 * base within 2%', () => {
    const [first] = sampleSequences(settings('decorrelated'));
    expect(Math.abs(mean(first) - 200)).toBeLessThanOrEqual(0.02 * 200);
  });

  it('decorrelated: depends on the previous sleep, not on the retry number', () => {
    // At the top of every range each sleep is 3x the previous one until the cap.
    const top = new Backoff(settings('decorrelated'), new ConstantRandom(1));
    expect(Array.from({ length: 5 }, () => top.next())).toEqual([300, 900, 2_000, 2_000, 2_000]);
    // At the bottom it never leaves the base, whatever the retry number.
    const bottom = new Backoff(settings('decorrelated'), new ConstantRandom(0));
    expect(Array.from({ length: 5 }, () => bottom.next())).toEqual([100, 100, 100, 100, 100]);
    // Midway: U(100, 3 * prev) with u = 0.5 gives 100 + 0.5 * (3 * prev - 100).
    const middle = new Backoff(settings('decorrelated'), new ConstantRandom(0.5));
    expect(Array.from({ length: 3 }, () => middle.next())).toEqual([200, 350, 575]);
  });

  it('decorrelated: the mean of later sleeps follows the previous sleep', () => {
    const [first, second] = sampleSequences(settings('decorrelated', { max_delay_ms: 1e9 }));
    // E[second | first] = (base + 3 * first) / 2, so E[second] = (100 + 3 * 200) / 2 = 350.
    expect(Math.abs(mean(second) - 350)).toBeLessThanOrEqual(0.02 * 350);
    expect(mean(second)).toBeGreaterThan(mean(first));
  });

  it('honours the cap for every jitter over long sequences', () => {
    for (const jitter of ['none', 'full', 'equal', 'decorrelated'] as const) {
      const backoff = new Backoff(settings(jitter), new SeededRandom(9));
      const delays = Array.from({ length: 2_000 }, () => backoff.next());
      expect(delays.every((delay) => Number.isFinite(delay) && delay >= 0)).toBe(true);
      expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
    }
  });

  it('replays the same delays from the same seed', () => {
    const run = () => {
      const backoff = new Backoff(settings('full'), new SeededRandom(11));
      return Array.from({ length: 5 }, () => backoff.next());
    };
    expect(run()).toEqual(run());
  });
});
