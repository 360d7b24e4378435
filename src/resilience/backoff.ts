import type { RandomSource } from '../common/random';

/**
 * Retry delays with the exact formulas of the AWS Architecture Blog "Exponential Backoff And
 * Jitter" (see RELIABILITY.md). Delays are fractional milliseconds: rounding would bias the means
 * and, for 1 ms values, collapse equal jitter to zero.
 */

export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

export interface BackoffSettings {
  max_attempts: number;
  base_delay_ms: number;
  max_delay_ms: number;
  multiplier: number;
  jitter: Jitter;
}

/** expo(n) = min(cap, base * multiplier^n), n = 0, 1, 2 ... */
export function exponentialDelay(settings: BackoffSettings, n: number): number {
  const { base_delay_ms: base, max_delay_ms: cap, multiplier } = settings;
  if (base <= 0 || cap <= 0) return 0;
  if (n <= 0 || multiplier <= 1) return Math.min(cap, base);
  // Cap first: multiplier^n overflows to Infinity for large n, so compare exponents before
  // multiplying. Within one step of the limit the product is finite and min() stays exact.
  const stepsToCap = Math.log(cap / base) / Math.log(multiplier);
  if (n > stepsToCap + 1) return cap;
  return Math.min(cap, base * multiplier ** n);
}

/** The delays of one retry sequence. full: U(0, expo(n)); equal: v = expo(n), v/2 + U(0, v/2); decorrelated: min(cap, U(base, prev*3)) with prev starting at base; none: expo(n). */
export class Backoff {
  private count = 0;
  private previous: number;

  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: RandomSource,
  ) {
    this.previous = settings.base_delay_ms;
  }

  /** Retries already scheduled by next(). */
  get retries(): number {
    return this.count;
  }

  /** Delay before retry number `this.retries + 1`; advances the sequence. */
  next(): number {
    const n = this.count++;
    const jitter = this.settings.jitter;
    switch (jitter) {
      case 'none':
        return exponentialDelay(this.settings, n);
      case 'full':
        return this.uniform(0, exponentialDelay(this.settings, n));
      case 'equal': {
        const v = exponentialDelay(this.settings, n);
        return v / 2 + this.uniform(0, v / 2);
      }
      case 'decorrelated': {
        const { base_delay_ms: base, max_delay_ms: cap } = this.settings;
        const sleep = Math.min(cap, this.uniform(base, this.previous * 3));
        this.previous = sleep;
        return sleep;
      }
      default: {
        const unknown: never = jitter;
        throw new Error(`unknown jitter ${String(unknown)}`);
      }
    }
  }

  private uniform(low: number, high: number): number {
    return low + this.random.next() * (high - low);
  }
}
