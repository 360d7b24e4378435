import type { FailureClass } from '../common/failure-class';
import type { BreakerState, BreakerTransition } from './breaker.types';
import type { OutcomeWindowSnapshot } from './outcome-window';

/**
 * Everything a breaker needs to resume, as plain JSON. In-flight half-open probes are not part of it:
 * their permits live in the process that took them, so a resumed half-open breaker starts a new round.
 */
export interface BreakerSnapshot {
  version: 1;
  state: BreakerState;
  /** When the current state began (epoch ms). */
  since: number;
  generation: number;
  consecutiveFailures: number;
  window: OutcomeWindowSnapshot;
  lastFailure?: { at: number; failureClass: FailureClass };
  /** Consecutive re-opens since the breaker was last closed; drives the growing recovery wait. */
  openCount: number;
  /** When an open breaker admits its first probe; 0 outside the open state. */
  nextProbeAt: number;
  totals: { calls: number; failures: number; successes: number; rejected: number };
  createdAt: number;
  /** Time spent open or forced_open in finished periods, for uptimePercent. */
  downMs: number;
  transitions: BreakerTransition[];
}

/**
 * Where each breaker's mutable state lives between processes (and, with Redis, between replicas).
 * Synchronous on purpose: the breaker sits on every request's path, so a remote store must be a
 * local cache that syncs in the background. Snapshots are values: neither side mutates one it has
 * handed over or received.
 */
export interface BreakerStateStore {
  load(name: string): BreakerSnapshot | undefined;
  save(name: string, snapshot: BreakerSnapshot): void;
}

/** The single-process store: snapshots kept by breaker name for as long as the process lives. */
export class MemoryBreakerStateStore implements BreakerStateStore {
  private readonly snapshots = new Map<string, BreakerSnapshot>();

  load(name: string): BreakerSnapshot | undefined {
    return this.snapshots.get(name);
  }

  save(name: string, snapshot: BreakerSnapshot): void {
    this.snapshots.set(name, snapshot);
  }

  /** Names of the breakers with a saved snapshot. */
  names(): string[] {
    return [...this.snapshots.keys()];
  }
}
