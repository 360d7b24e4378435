import { ClientRateLimiter } from './client-rate-limiter';

describe(ClientRateLimiter.name, () => {
  const minute = 60_000;

  it('admits rpm requests in a minute, then answers with the wait', () => {
    const limiter = new ClientRateLimiter(3);
    const start = 10 * minute;
    expect(limiter.tryAcquire(start).allowed).toBe(true);
    expect(limiter.tryAcquire(start + 1).allowed).toBe(true);
    expect(limiter.tryAcquire(start + 2).allowed).toBe(true);
    const denied = limiter.tryAcquire(start + 3);
    expect(denied).toEqual({ allowed: false, retryAfterSeconds: 60 });
  });

  it('weights the previous minute by how much of it is still inside the last 60 seconds', () => {
    const limiter = new ClientRateLimiter(10);
    const start = 10 * minute;
    for (let i = 0; i < 10; i++) expect(limiter.tryAcquire(start + i).allowed).toBe(true);
    // A quarter into the next minute, 75% of the previous 10 still count: 7.5, so 2 more fit.
    const quarter = start + minute + minute / 4;
    expect(limiter.tryAcquire(quarter).allowed).toBe(true);
    expect(limiter.tryAcquire(quarter).allowed).toBe(true);
    const denied = limiter.tryAcquire(quarter);
    expect(denied.allowed).toBe(false);
    // 7.5 + 2 + 1 - 10 = 0.5 of the previous window's 10 must decay: 3 seconds.
    expect(denied).toEqual({ allowed: false, retryAfterSeconds: 3 });
    expect(limiter.tryAcquire(quarter + 3_000).allowed).toBe(true);
  });

  it('forgets everything after two quiet minutes', () => {
    const limiter = new ClientRateLimiter(1);
    expect(limiter.tryAcquire(0).allowed).toBe(true);
    expect(limiter.tryAcquire(1).allowed).toBe(false);
    expect(limiter.tryAcquire(2 * minute + 1).allowed).toBe(true);
  });
});
