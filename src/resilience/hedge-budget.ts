/**
 * Caps hedged (duplicate) requests at `maxExtraRatio` of requests ("The Tail at Scale": about 5%
 * extra load). A token bucket: each request adds `maxExtraRatio` tokens up to `capacity`, a hedge
 * costs one. It starts empty, so a cold start or a restart under load never opens with a burst.
 */

// Tokens are counted in millionths so the sum of many 0.05 steps stays exact integers.
const SCALE = 1_000_000;

export class HedgeBudget {
  private readonly perRequest: number;
  private readonly max: number;
  private tokens = 0;

  constructor(maxExtraRatio: number, capacity = 10) {
    this.perRequest = Math.round(Math.max(0, maxExtraRatio) * SCALE);
    this.max = Math.round(Math.max(0, capacity) * SCALE);
  }

  /** Counts one client request (not hedges), earning a share of a hedge. */
  recordRequest(): void {
    this.tokens = Math.min(this.max, this.tokens + this.perRequest);
  }

  /** Takes one hedge if the budget allows. */
  tryTake(): boolean {
    if (this.tokens < SCALE) return false;
    this.tokens -= SCALE;
    return true;
  }
}
