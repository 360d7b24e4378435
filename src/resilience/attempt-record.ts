import type { FailureClass } from '../common/failure-class';

/** Why a deployment was passed over without an upstream call. */
export type SkipReason = 'circuit_open' | 'no_key' | 'busy' | 'ramping' | 'attempts_exhausted';

/** One upstream attempt (or a deployment passed over) of a client request: surfaced in headers, logs, events and the DLQ. */
export interface AttemptRecord {
  provider: string;
  model: string;
  /** The API key used, masked to its last 4 characters. */
  keySuffix?: string;
  /** `cancelled`: a hedged attempt abandoned because its twin answered first. */
  outcome: 'success' | 'failure' | 'skipped' | 'cancelled';
  failureClass?: FailureClass;
  /** Set for skipped deployments: no upstream call was made. */
  skipReason?: SkipReason;
  /** Upstream HTTP status, when one was received. */
  status?: number;
  durationMs: number;
  /** Time slept before this attempt (a backoff or the provider's hint). */
  waitedMs: number;
  message?: string;
}

/** Upstream calls actually made, the value of x-cortex-attempts. */
export function countUpstreamCalls(attempts: readonly AttemptRecord[]): number {
  let calls = 0;
  for (const attempt of attempts) if (attempt.outcome !== 'skipped') calls++;
  return calls;
}
