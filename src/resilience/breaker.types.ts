import type { FailureClass } from '../common/failure-class';

/** The data shapes of the circuit breaker: its settings, states, transitions and statistics. */
export type BreakerState = 'closed' | 'open' | 'half_open' | 'forced_open';

export interface BreakerSettings {
  failure_threshold: number;
  failure_rate_threshold: number;
  window_ms: number;
  minimum_calls: number;
  recovery_timeout_ms: number;
  reset_timeout_ms: number;
  half_open_max_probes: number;
  /** A half-open probe with no outcome within this long counts as failed. Default: min(2 × recovery, 60 s). */
  probe_timeout_ms?: number;
  /** Cap of the growing wait: the nth consecutive open waits min(max, recovery × n). Default: recovery (no growth). */
  max_recovery_timeout_ms?: number;
}

export interface BreakerTransition {
  breaker: string;
  from: BreakerState;
  to: BreakerState;
  at: number;
  reason: string;
}

export interface BreakerStats {
  name: string;
  state: BreakerState;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  failureRate: number;
  /** Permits granted; each ends as a success, a failure, a release or (probes) a timeout. */
  totalCalls: number;
  totalFailures: number;
  totalSuccesses: number;
  totalRejected: number;
  lastFailure?: { at: number; failureClass: FailureClass };
  openedAt?: number;
  nextProbeAt?: number;
  /** Consecutive opens since the breaker was last closed. */
  openCount: number;
  transitions: BreakerTransition[];
  /** Share of time since creation spent neither open nor forced_open, 0..100. */
  uptimePercent: number;
}
