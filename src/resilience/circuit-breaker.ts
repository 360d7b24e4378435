import type { Clock } from '../common/clock';
import { FailureClass } from '../common/failure-class';
import { Permit, type BreakerPermit, type PermitOutcome, type SettlePermit } from './breaker-permit';
import type { BreakerSnapshot, BreakerStateStore } from './breaker-state.store';
import type { BreakerSettings, BreakerState, BreakerStats, BreakerTransition } from './breaker.types';
import { OutcomeWindow } from './outcome-window';

// The breaker's public vocabulary, importable from here.
export { countsForBreaker, type BreakerPermit } from './breaker-permit';
export type { BreakerSettings, BreakerState, BreakerStats, BreakerTransition } from './breaker.types';

const TRANSITIONS_KEPT = 50;
const PROBE_TIMEOUT_CAP_MS = 60_000;

/**
 * The circuit breaker of one deployment (resilience4j's state machine, RELIABILITY.md). Admission
 * (`tryAcquire`) is split from the outcome (the permit), because a stream's outcome is known long
 * after it started. It owns only its own state: it never calls upstreams, never sleeps, sets no
 * timers; time-based moves happen when the breaker is next used or observed.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly rateThreshold: number;
  /** The rate rule needs a sample: it never trips on 1 of 1, whatever minimum_calls says. */
  private readonly minimumCalls: number;
  private readonly recoveryMs: number;
  private readonly maxRecoveryMs: number;
  private readonly resetMs: number;
  private readonly maxProbes: number;
  private readonly probeTimeoutMs: number;

  private current: BreakerState = 'closed';
  private since: number;
  /** Bumped on every transition and reset: outcomes of older permits no longer steer the state. */
  private generation = 0;
  private consecutiveFailures = 0;
  private readonly window: OutcomeWindow;
  private lastFailure: { at: number; failureClass: FailureClass } | undefined;
  private openCount = 0;
  private nextProbeAt = 0;
  private readonly probes: (Permit | undefined)[];
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private totalCalls = 0;
  private totalFailures = 0;
  private totalSuccesses = 0;
  private totalRejected = 0;
  private createdAt: number;
  private downMs = 0;
  private transitions: BreakerTransition[] = [];

  constructor(
    readonly name: string,
    settings: BreakerSettings,
    private readonly clock: Clock,
    private readonly onTransition?: (transition: BreakerTransition) => void,
    private readonly store?: BreakerStateStore,
  ) {
    this.failureThreshold = settings.failure_threshold;
    this.rateThreshold = settings.failure_rate_threshold;
    this.minimumCalls = Math.max(2, settings.minimum_calls);
    this.recoveryMs = settings.recovery_timeout_ms;
    this.maxRecoveryMs = Math.max(this.recoveryMs, settings.max_recovery_timeout_ms ?? this.recoveryMs);
    this.resetMs = settings.reset_timeout_ms;
    this.maxProbes = Math.max(1, Math.floor(settings.half_open_max_probes));
    this.probeTimeoutMs = settings.probe_timeout_ms ?? Math.min(2 * this.recoveryMs, PROBE_TIMEOUT_CAP_MS);
    this.window = new OutcomeWindow(settings.window_ms);
    this.probes = new Array<Permit | undefined>(this.maxProbes).fill(undefined);
    this.createdAt = this.since = clock.now();
    const saved = store?.load(name);
    if (saved?.version === 1) this.restore(saved);
  }

  /**
   * The state as of now. Lazy expiries are applied first (an overdue probe fails, old failures are
   * forgotten), but an open breaker whose wait has passed still reports `open`: only the next
   * tryAcquire moves it to half_open. `stats().nextProbeAt` says when that becomes possible.
   */
  get state(): BreakerState {
    this.observe(this.clock.now());
    return this.current;
  }

  /** A permit for one call, or undefined: rejected at once (circuit_open), never queued. */
  tryAcquire(): BreakerPermit | undefined {
    if (this.current === 'closed') {
      if (this.consecutiveFailures > 0 || this.window.failed > 0) this.forgetOldFailures(this.clock.now());
      this.totalCalls++;
      return new Permit(this.settle, this.generation, false, -1, 0);
    }
    return this.acquireProbe(this.clock.now());
  }

  /** Whether tryAcquire would grant a permit now, without taking one or moving the state. */
  allowsRequests(): boolean {
    const now = this.clock.now();
    this.observe(now);
    if (this.current === 'closed') return true;
    if (this.current === 'open') return now >= this.nextProbeAt;
    return this.current === 'half_open' && this.probeSuccesses + this.probesInFlight < this.maxProbes;
  }

  stats(): BreakerStats {
    const now = this.clock.now();
    this.observe(now);
    this.window.advance(now);
    const down = this.current === 'open' || this.current === 'forced_open';
    const elapsed = now - this.createdAt;
    const downMs = this.downMs + (down ? now - this.since : 0);
    return {
      name: this.name,
      state: this.current,
      consecutiveFailures: this.consecutiveFailures,
      windowCalls: this.window.total,
      windowFailures: this.window.failed,
      failureRate: this.window.total > 0 ? this.window.failed / this.window.total : 0,
      totalCalls: this.totalCalls,
      totalFailures: this.totalFailures,
      totalSuccesses: this.totalSuccesses,
      totalRejected: this.totalRejected,
      lastFailure: this.lastFailure && { ...this.lastFailure },
      openedAt: down ? this.since : undefined,
      nextProbeAt: this.current === 'open' ? this.nextProbeAt : undefined,
      openCount: this.openCount,
      transitions: this.transitions.slice(),
      uptimePercent: elapsed > 0 ? Math.min(100, Math.max(0, 100 * (1 - downMs / elapsed))) : down ? 0 : 100,
    };
  }

  /** Operator: reject everything until reset(). */
  forceOpen(reason = 'forced open by operator'): void {
    if (this.current === 'forced_open') return;
    this.nextProbeAt = 0;
    this.transition('forced_open', reason, this.clock.now());
  }

  /** Operator: closed with its counters cleared; lifetime totals, transitions and uptime stay. */
  reset(reason = 'reset by operator'): void {
    this.clearCounters();
    if (this.current !== 'closed') return this.transition('closed', reason, this.clock.now());
    this.generation++;
    this.persist();
  }

  private readonly settle: SettlePermit = (permit, outcome, failureClass) => {
    if (outcome === 'success') this.totalSuccesses++;
    else if (outcome === 'failure') this.totalFailures++;
    // A permit from before a transition: its outcome is history, not evidence about the new state.
    if (permit.generation !== this.generation) return;
    const now = this.clock.now();
    if (permit.probe) return this.settleProbe(permit, outcome, failureClass, now);
    if (outcome === 'release') return;
    const forgot =
      this.consecutiveFailures > 0 || this.window.failed > 0 ? this.forgetOldFailures(now) : false;
    if (outcome === 'success') {
      const moved = this.window.record(now, false);
      const brokeStreak = this.consecutiveFailures > 0;
      this.consecutiveFailures = 0;
      // Plain successes are saved at most once per bucket: the hot path stays allocation-free.
      if (moved || brokeStreak || forgot) this.persist();
      return;
    }
    this.window.record(now, true);
    this.consecutiveFailures++;
    this.lastFailure = { at: now, failureClass: failureClass! };
    if (this.consecutiveFailures >= this.failureThreshold) {
      return this.open(now, `${this.consecutiveFailures} consecutive failures`);
    }
    const { total, failed } = this.window;
    if (total >= this.minimumCalls && failed / total >= this.rateThreshold) {
      return this.open(now, `failure rate ${Math.round((100 * failed) / total)}% over ${total} calls`);
    }
    this.persist();
  };

  private settleProbe(
    permit: Permit,
    outcome: PermitOutcome,
    failureClass: FailureClass | undefined,
    now: number,
  ): void {
    this.probes[permit.slot] = undefined;
    this.probesInFlight--;
    if (outcome === 'release') return;
    if (outcome === 'failure') {
      this.lastFailure = { at: now, failureClass: failureClass! };
      return this.open(now, `probe failed: ${failureClass}`);
    }
    this.probeSuccesses++;
    if (this.probeSuccesses >= this.maxProbes) {
      this.clearCounters();
      this.transition('closed', `${this.maxProbes}/${this.maxProbes} probes succeeded`, now);
    }
  }

  private acquireProbe(now: number): BreakerPermit | undefined {
    if (this.current === 'open' && now >= this.nextProbeAt) {
      this.transition('half_open', `recovery wait of ${this.nextProbeAt - this.since} ms elapsed`, now);
    }
    if (this.current === 'half_open') {
      this.expireProbes(now);
      if (this.current === 'half_open' && this.probeSuccesses + this.probesInFlight < this.maxProbes) {
        const slot = this.probes.indexOf(undefined);
        const permit = new Permit(this.settle, this.generation, true, slot, now);
        this.probes[slot] = permit;
        this.probesInFlight++;
        this.totalCalls++;
        return permit;
      }
    }
    this.totalRejected++;
    return undefined;
  }

  /** The lazy time rules: an overdue probe fails, failures older than reset_timeout are forgotten. */
  private observe(now: number): void {
    if (this.current === 'half_open') this.expireProbes(now);
    else if (this.current === 'closed' && (this.consecutiveFailures > 0 || this.window.failed > 0)) {
      this.forgetOldFailures(now);
    }
  }

  private expireProbes(now: number): void {
    for (const permit of this.probes) {
      if (permit && now - permit.startedAt >= this.probeTimeoutMs) {
        // The probe's own late outcome must not count a second time.
        permit.settled = true;
        this.totalFailures++;
        this.lastFailure = { at: now, failureClass: FailureClass.Timeout };
        return this.open(now, `probe timed out after ${this.probeTimeoutMs} ms`);
      }
    }
  }

  private forgetOldFailures(now: number): boolean {
    if (this.lastFailure === undefined || now - this.lastFailure.at < this.resetMs) return false;
    this.consecutiveFailures = 0;
    this.window.clear();
    this.persist();
    return true;
  }

  /** Envoy-like growth for flapping upstreams: the nth consecutive open waits recovery × n, capped. */
  private open(now: number, reason: string): void {
    this.openCount++;
    this.nextProbeAt = now + Math.min(this.maxRecoveryMs, this.recoveryMs * this.openCount);
    this.transition('open', reason, now);
  }

  private clearCounters(): void {
    this.consecutiveFailures = 0;
    this.window.clear();
    this.openCount = 0;
    this.nextProbeAt = 0;
  }

  private transition(to: BreakerState, reason: string, now: number): void {
    const from = this.current;
    if (from === 'open' || from === 'forced_open') this.downMs += now - this.since;
    this.current = to;
    this.since = now;
    this.generation++;
    // Probes of an earlier round are stale now; drop them so their slots and memory are free.
    this.probes.fill(undefined);
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    const transition: BreakerTransition = { breaker: this.name, from, to, at: now, reason };
    this.transitions.push(transition);
    if (this.transitions.length > TRANSITIONS_KEPT) this.transitions.shift();
    this.persist();
    this.onTransition?.(transition);
  }

  private persist(): void {
    if (!this.store) return;
    this.store.save(this.name, {
      version: 1,
      state: this.current,
      since: this.since,
      generation: this.generation,
      consecutiveFailures: this.consecutiveFailures,
      window: this.window.snapshot(),
      lastFailure: this.lastFailure && { ...this.lastFailure },
      openCount: this.openCount,
      nextProbeAt: this.nextProbeAt,
      totals: {
        calls: this.totalCalls,
        failures: this.totalFailures,
        successes: this.totalSuccesses,
        rejected: this.totalRejected,
      },
      createdAt: this.createdAt,
      downMs: this.downMs,
      transitions: this.transitions.slice(),
    });
  }

  private restore(saved: BreakerSnapshot): void {
    this.current = saved.state;
    this.since = saved.since;
    this.generation = saved.generation;
    this.consecutiveFailures = saved.consecutiveFailures;
    this.window.restore(saved.window);
    this.lastFailure = saved.lastFailure && { ...saved.lastFailure };
    this.openCount = saved.openCount;
    this.nextProbeAt = saved.nextProbeAt;
    this.totalCalls = saved.totals.calls;
    this.totalFailures = saved.totals.failures;
    this.totalSuccesses = saved.totals.successes;
    this.totalRejected = saved.totals.rejected;
    this.createdAt = saved.createdAt;
    this.downMs = saved.downMs;
    this.transitions = saved.transitions.slice(-TRANSITIONS_KEPT);
  }
}
