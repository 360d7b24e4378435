import type { Clock } from '../common/clock';

/**
 * A provider's retry budget, after Finagle's RetryBudget: over a sliding window, retries may
 * reach `ratio` of the requests plus a floor of `min_per_second` for each second of the window,
 * so a failing provider cannot turn every request into several (RELIABILITY.md, Budgets).
 *
 * The window is ten buckets of a tenth each, with running totals: every call is O(1) and
 * allocation-free, and a whole bucket expires at once (the window holds 9 to 10 tenths of history).
 */

export interface RetryBudgetSettings {
  /** Share of the window's requests that may be retried. */
  ratio: number;
  /** Retries always allowed per second of the window, so a quiet provider can still retry. */
  min_per_second: number;
  /** Sliding window length; 10 s by default. */
  window_ms?: number;
}

const BUCKETS = 10;
// 0.1 * 30 is 3.0000000000000004 in binary: without slack, floor() could lose a whole retry.
const EPSILON = 1e-9;

export class RetryBudget {
  private readonly bucketMs: number;
  private readonly ratio: number;
  private readonly reserve: number;
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  private bucket: number;
  private totalRequests = 0;
  private totalRetries = 0;

  constructor(
    settings: RetryBudgetSettings,
    private readonly clock: Clock,
  ) {
    const windowMs = settings.window_ms ?? 10_000;
    this.bucketMs = Math.max(1, windowMs / BUCKETS);
    this.ratio = settings.ratio;
    this.reserve = (settings.min_per_second * windowMs) / 1000;
    this.bucket = Math.floor(clock.monotonic() / this.bucketMs);
  }

  /** Counts one request; call it for the first attempt only, never for retries. */
  recordRequest(): void {
    this.roll();
    this.requests[this.bucket % BUCKETS]++;
    this.totalRequests++;
  }

  /** Takes one retry if the budget allows. */
  tryWithdraw(): boolean {
    this.roll();
    if (this.totalRetries >= this.allowed()) return false;
    this.retries[this.bucket % BUCKETS]++;
    this.totalRetries++;
    return true;
  }

  /** Requests and retries inside the window, and the retries the window allows. */
  stats(): { requests: number; retries: number; allowed: number } {
    this.roll();
    return { requests: this.totalRequests, retries: this.totalRetries, allowed: this.allowed() };
  }

  private allowed(): number {
    return Math.floor(this.ratio * this.totalRequests + this.reserve + EPSILON);
  }

  /** Expires the buckets the clock has moved past. */
  private roll(): void {
    const current = Math.floor(this.clock.monotonic() / this.bucketMs);
    const steps = current - this.bucket;
    // A clock that steps back keeps the current bucket rather than corrupting the totals.
    if (steps <= 0) return;
    if (steps >= BUCKETS) {
      this.requests.fill(0);
      this.retries.fill(0);
      this.totalRequests = 0;
      this.totalRetries = 0;
    } else {
      for (let i = 1; i <= steps; i++) {
        const slot = (this.bucket + i) % BUCKETS;
        this.totalRequests -= this.requests[slot];
        this.totalRetries -= this.retries[slot];
        this.requests[slot] = 0;
        this.retries[slot] = 0;
      }
    }
    this.bucket = current;
  }
}
