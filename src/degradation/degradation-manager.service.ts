import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Clock } from '../common/clock';
import {
  CortexEvent,
  CortexEventBus,
  type DegradationLevel,
  type DegradationLevelChangedEvent,
  type HealthCheckedEvent,
} from '../common/events';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { RoutingAdjustments } from '../resilience/routing-adjustments';
import { type HysteresisThresholds, nextLevel, severityOf } from './degradation-levels';
import { type DegradationStrategy, REDUCED_TIMEOUT_FACTOR, strategiesFor } from './degradation-strategies';

/** What GET /admin/degradation shows. */
export interface DegradationSnapshot {
  /** The level in force: the forced one while a force lasts, else the computed one. */
  level: DegradationLevel;
  /** The level the health checks call for, kept up to date even while a level is forced. */
  computedLevel: DegradationLevel;
  forced?: { level: DegradationLevel; expiresAt: number };
  /** The healthy share of the last health check; undefined before the first one. */
  healthyShare?: number;
  /** When the level in force last changed (epoch ms). */
  changedAt: number;
  strategies: DegradationStrategy[];
}

/**
 * Owns the degradation level (CONTRACT §1 `degradation`): computed from the healthy share of each
 * health check (CortexEvent.HealthChecked, emitted by the scheduled checks) with the hysteresis of
 * degradation-levels.ts, or forced by an operator for a TTL. Every change of the level in force is
 * logged once, emitted once (DegradationLevelChanged) and applied at once to the routing knobs; the
 * load-shedding guard and the cache interceptor read the level on every request.
 * Before the first health check the level is healthy: nothing is known to be wrong, and shedding at
 * start-up would turn a cold gateway away for no reason.
 */
@Injectable()
export class DegradationManager {
  private readonly logger = new Logger('Degradation');
  private readonly thresholds: HysteresisThresholds;
  private computed: DegradationLevel = 'healthy';
  private effective: DegradationLevel = 'healthy';
  private active: ReadonlySet<DegradationStrategy> = strategiesFor('healthy');
  private forced?: { level: DegradationLevel; until: number };
  private healthyShare?: number;
  private changedAt: number;

  constructor(
    @Inject(CORTEX_CONFIG) config: CortexConfig,
    private readonly clock: Clock,
    private readonly bus: CortexEventBus,
    private readonly adjustments: RoutingAdjustments,
  ) {
    this.thresholds = {
      degradeBelow: config.degradation.degrade_below,
      recoverAbove: config.degradation.recover_above,
    };
    this.changedAt = clock.now();
  }

  @OnEvent(CortexEvent.HealthChecked)
  onHealthChecked(event: HealthCheckedEvent): void {
    if (!Number.isFinite(event.healthyShare)) {
      this.logger.warn(`ignoring a health check with healthy share ${event.healthyShare}`);
      return;
    }
    this.expireForce();
    this.healthyShare = Math.min(1, Math.max(0, event.healthyShare));
    this.computed = nextLevel(this.computed, this.healthyShare, this.thresholds);
    this.settle('computed');
  }

  /** The level in force now. */
  level(): DegradationLevel {
    this.expireForce();
    return this.effective;
  }

  /** The strategies of the level in force now. */
  strategies(): ReadonlySet<DegradationStrategy> {
    this.expireForce();
    return this.active;
  }

  /** Operator: holds `level` for `ttlSeconds`, whatever the health checks say; a new force replaces the old. */
  force(level: DegradationLevel, ttlSeconds: number): void {
    this.forced = { level, until: this.clock.now() + ttlSeconds * 1000 };
    this.settle('forced');
  }

  /** Operator: back to the computed level; false when no level was forced. */
  clearForce(): boolean {
    this.expireForce();
    if (!this.forced) return false;
    this.forced = undefined;
    this.settle('force_cleared');
    return true;
  }

  snapshot(): DegradationSnapshot {
    this.expireForce();
    return {
      level: this.effective,
      computedLevel: this.computed,
      forced: this.forced && { level: this.forced.level, expiresAt: this.forced.until },
      healthyShare: this.healthyShare,
      changedAt: this.changedAt,
      strategies: [...this.active],
    };
  }

  /**
   * A force ends lazily, at the first read after its TTL: every request and every health check
   * reads the level, so the end is seen at once under traffic, and a timer would not follow the
   * injected clock.
   */
  private expireForce(): void {
    if (this.forced && this.clock.now() >= this.forced.until) {
      this.forced = undefined;
      this.settle('force_expired');
    }
  }

  /** Recomputes the level in force; on a change, applies, logs and emits it, each exactly once. */
  private settle(cause: DegradationLevelChangedEvent['cause']): void {
    const next = this.forced?.level ?? this.computed;
    if (next === this.effective) return;
    const from = this.effective;
    const at = this.clock.now();
    this.effective = next;
    this.changedAt = at;
    this.active = strategiesFor(next);
    this.adjustments.preferFastProviders = this.active.has('prefer_fast_providers');
    this.adjustments.timeoutFactor = this.active.has('reduce_timeouts') ? REDUCED_TIMEOUT_FACTOR : 1;
    const detail =
      cause === 'forced' && this.forced
        ? ` until ${new Date(this.forced.until).toISOString()}`
        : this.healthyShare === undefined
          ? ''
          : `, healthy share ${this.healthyShare.toFixed(2)}`;
    const message = `degradation level ${from} -> ${next} (${cause}${detail}); strategies: ${[...this.active].join(', ') || 'none'}`;
    if (severityOf(next) > severityOf(from)) this.logger.warn(message);
    else this.logger.log(message);
    this.bus.emit(CortexEvent.DegradationLevelChanged, {
      from,
      to: next,
      cause,
      healthyShare: this.healthyShare,
      at,
    });
  }
}
