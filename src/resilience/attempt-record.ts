import type { FailureClass } from '../common/failure-class';

/** One upstream attempt of a client request, as surfaced in headers, logs, events and the DLQ. */
export interface AttemptRecord {
  provider: string;
  model: string;
  /** The API key used, masked to its last 4 characters. */
  keySuffix?: string;
  outcome: 'success' | 'failure';
  failureClass?: FailureClass;
  /** Upstream HTTP status, when one was received. */
  status?: number;
  durationMs: number;
  message?: string;
  /** True when no upstream call was made (the provider was at its concurrency limit). */
  skipped?: boolean;
}

/** Upstream calls actually made, the value of x-cortex-attempts. */
export function countUpstreamCalls(attempts: readonly AttemptRecord[]): number {
  let calls = 0;
  for (const attempt of attempts) if (!attempt.skipped) calls++;
  return calls;
}
