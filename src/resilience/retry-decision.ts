import { FailureClass } from '../common/failure-class';
import type { UpstreamError } from '../common/upstream-error';
import type { RetryKind } from './resilience-policies.service';

/** What the router does after a failed attempt. */
export type AttemptDecision =
  | { kind: 'answer' } // bad request: no retry, no fallback
  | { kind: 'next_key' } // same deployment at once, with another key of the pool
  | { kind: 'retry'; delayMs: number; retryKind: RetryKind } // same deployment after a backoff
  | { kind: 'fallback'; reason: string }; // next deployment at once

export interface DecisionInput {
  error: UpstreamError;
  /** The provider's pool still has a key this request has not tried. */
  hasUntriedKey: boolean;
  /** A later deployment in the chain could take the request now (circuit not open, a key available). */
  laterOption: boolean;
  /** Same-deployment retries made so far (key rotations excluded). */
  retries: number;
  /** max_attempts of the class's strategy (1 = no retry). */
  maxAttempts: number;
  /** The next backoff of the class's strategy; called only when a retry is considered. */
  nextBackoffMs: () => number;
  /** Time left before the request's deadline. */
  remainingMs: number;
  /** Takes one retry from the provider's retry budget; called only as the last check. */
  withdrawRetry: () => boolean;
}

/** The retry strategy (CONTRACT §1) each retryable class waits with. */
export function retryKindOf(failureClass: FailureClass): RetryKind | undefined {
  switch (failureClass) {
    case FailureClass.RateLimited:
      return 'rate_limit';
    case FailureClass.ServiceUnavailable:
      return 'server_error';
    case FailureClass.NetworkError:
    case FailureClass.ParseError:
      return 'network';
    default:
      return undefined;
  }
}

/**
 * The per-class handling of CONTRACT §3, with one rule on top: a wait is only worth it when nothing
 * else can serve now. Key problems rotate to another key at once; otherwise a later deployment is
 * tried at once (no sleeping while an alternative is idle); only the last option is retried, after
 * max(backoff, the provider's hint), and only if that wait ends before the deadline and the
 * provider's retry budget allows it.
 */
export function decideAfterFailure(input: DecisionInput): AttemptDecision {
  const { error } = input;
  switch (error.failureClass) {
    case FailureClass.BadRequest:
      return { kind: 'answer' };
    case FailureClass.AuthError:
    case FailureClass.QuotaExceeded:
      return input.hasUntriedKey ? { kind: 'next_key' } : { kind: 'fallback', reason: 'no usable key left' };
    case FailureClass.RateLimited:
      if (input.hasUntriedKey) return { kind: 'next_key' };
      break;
    case FailureClass.Timeout:
      return { kind: 'fallback', reason: 'timeout: next deployment at once' };
    default:
      break;
  }
  if (input.laterOption) return { kind: 'fallback', reason: 'another deployment can serve now' };
  const retryKind = retryKindOf(error.failureClass);
  if (!retryKind || error.shouldRetry === false) return { kind: 'fallback', reason: 'not retryable here' };
  if (input.retries + 1 >= input.maxAttempts) return { kind: 'fallback', reason: 'retry attempts exhausted' };
  const delayMs = Math.max(input.nextBackoffMs(), error.retryAfterMs ?? 0);
  if (delayMs >= input.remainingMs) return { kind: 'fallback', reason: 'the wait would pass the deadline' };
  if (!input.withdrawRetry()) return { kind: 'fallback', reason: 'retry budget exhausted' };
  return { kind: 'retry', delayMs, retryKind };
}
