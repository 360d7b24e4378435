import { FailureClass } from '../common/failure-class';
import { UpstreamError } from '../common/upstream-error';
import { decideAfterFailure, type DecisionInput } from './retry-decision';

function input(
  failureClass: FailureClass,
  overrides: Partial<DecisionInput> = {},
  hint?: number,
): DecisionInput {
  return {
    error: new UpstreamError(failureClass, 'x', { retryAfterMs: hint }),
    hasUntriedKey: false,
    laterOption: false,
    retries: 0,
    maxAttempts: 3,
    nextBackoffMs: () => 100,
    remainingMs: 10_000,
    withdrawRetry: () => true,
    ...overrides,
  };
}

describe(decideAfterFailure.name, () => {
  it('answers a bad request at once, whatever else could be tried', () => {
    expect(
      decideAfterFailure(input(FailureClass.BadRequest, { hasUntriedKey: true, laterOption: true })),
    ).toEqual({
      kind: 'answer',
    });
  });

  it.each([FailureClass.AuthError, FailureClass.QuotaExceeded, FailureClass.RateLimited])(
    '%s rotates to another key of the pool at once',
    (failureClass) => {
      expect(decideAfterFailure(input(failureClass, { hasUntriedKey: true, laterOption: true }))).toEqual({
        kind: 'next_key',
      });
    },
  );

  it.each([FailureClass.AuthError, FailureClass.QuotaExceeded])(
    '%s with no key left falls back, never waits',
    (failureClass) => {
      expect(decideAfterFailure(input(failureClass)).kind).toBe('fallback');
    },
  );

  it('a timeout falls back at once, even when it is the last option', () => {
    expect(decideAfterFailure(input(FailureClass.Timeout))).toEqual({
      kind: 'fallback',
      reason: 'timeout: next deployment at once',
    });
  });

  it.each([
    FailureClass.ServiceUnavailable,
    FailureClass.NetworkError,
    FailureClass.ParseError,
    FailureClass.RateLimited,
  ])('%s falls back without sleeping while another deployment can serve', (failureClass) => {
    let backoffAsked = false;
    const decision = decideAfterFailure(
      input(failureClass, { laterOption: true, nextBackoffMs: () => ((backoffAsked = true), 100) }),
    );
    expect(decision.kind).toBe('fallback');
    expect(backoffAsked).toBe(false);
  });

  it.each([
    [FailureClass.ServiceUnavailable, 'server_error'],
    [FailureClass.NetworkError, 'network'],
    [FailureClass.ParseError, 'network'],
    [FailureClass.RateLimited, 'rate_limit'],
  ])('retries %s on the last option with its strategy (%s)', (failureClass, retryKind) => {
    expect(decideAfterFailure(input(failureClass))).toEqual({ kind: 'retry', delayMs: 100, retryKind });
  });

  it("treats the provider's hint as a floor on the wait", () => {
    expect(decideAfterFailure(input(FailureClass.RateLimited, {}, 2500))).toMatchObject({
      kind: 'retry',
      delayMs: 2500,
    });
    expect(
      decideAfterFailure(input(FailureClass.RateLimited, { nextBackoffMs: () => 4000 }, 2500)),
    ).toMatchObject({
      delayMs: 4000,
    });
  });

  it('does not sleep when the wait would pass the deadline', () => {
    expect(decideAfterFailure(input(FailureClass.RateLimited, { remainingMs: 2000 }, 2500))).toEqual({
      kind: 'fallback',
      reason: 'the wait would pass the deadline',
    });
  });

  it('stops at max_attempts of the strategy', () => {
    expect(
      decideAfterFailure(input(FailureClass.ServiceUnavailable, { retries: 1, maxAttempts: 3 })).kind,
    ).toBe('retry');
    expect(
      decideAfterFailure(input(FailureClass.ServiceUnavailable, { retries: 2, maxAttempts: 3 })),
    ).toEqual({
      kind: 'fallback',
      reason: 'retry attempts exhausted',
    });
  });

  it('skips the retry when the provider retry budget is spent, and asks the budget last', () => {
    const asked: string[] = [];
    const decision = decideAfterFailure(
      input(FailureClass.ServiceUnavailable, {
        nextBackoffMs: () => (asked.push('backoff'), 100),
        withdrawRetry: () => (asked.push('budget'), false),
      }),
    );
    expect(decision).toEqual({ kind: 'fallback', reason: 'retry budget exhausted' });
    expect(asked).toEqual(['backoff', 'budget']);
  });

  it('never retries what the provider said not to (x-should-retry: false, model not found)', () => {
    const error = new UpstreamError(FailureClass.ServiceUnavailable, 'not found', { shouldRetry: false });
    expect(decideAfterFailure({ ...input(FailureClass.ServiceUnavailable), error }).kind).toBe('fallback');
  });
});
