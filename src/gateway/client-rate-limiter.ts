/**
 * Requests per minute for one client, as a sliding window counter: the current minute's count plus
 * the previous minute's, weighted by how much of it still lies inside the last 60 seconds. Constant
 * memory per client and accurate to a few percent, which is what a per-team quota needs.
 */
export class ClientRateLimiter {
  private windowStart = 0;
  private current = 0;
  private previous = 0;

  constructor(private readonly rpm: number) {}

  /** Counts the request if allowed; otherwise returns the seconds to wait. */
  tryAcquire(now: number): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const window = Math.floor(now / 60_000) * 60_000;
    if (window !== this.windowStart) {
      this.previous = window - this.windowStart === 60_000 ? this.current : 0;
      this.current = 0;
      this.windowStart = window;
    }
    const elapsed = (now - window) / 60_000;
    const estimate = this.previous * (1 - elapsed) + this.current;
    if (estimate + 1 <= this.rpm) {
      this.current++;
      return { allowed: true };
    }
    // Time until the weighted previous window has decayed enough to admit one more request.
    const excess = estimate + 1 - this.rpm;
    const waitMs =
      this.previous > 0
        ? Math.min(60_000 - (now - window), (excess / this.previous) * 60_000)
        : 60_000 - (now - window);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}
