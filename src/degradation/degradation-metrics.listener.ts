import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { type BatchObservableCallback, metrics } from '@opentelemetry/api';
import { CortexEvent, type DegradationLevelChangedEvent, type RequestShedEvent } from '../common/events';
import { severityOf } from './degradation-levels';
import { DegradationManager } from './degradation-manager.service';

/** The two attribute sets of a cache lookup, built once: lookups are counted per client request. */
const LOOKUP_HIT = { 'cortex.result': 'hit' } as const;
const LOOKUP_MISS = { 'cortex.result': 'miss' } as const;

/**
 * Degradation's OpenTelemetry instruments, fed by its events (no-ops when telemetry is off): the
 * level as a gauge, level changes, shed requests by tier, level and reason, and cache lookups.
 * Attributes are tiers, levels and reasons only: never a client name or anything from a request.
 */
@Injectable()
export class DegradationMetricsListener implements OnModuleDestroy {
  private readonly meter = metrics.getMeter('cortex');
  private readonly level = this.meter.createObservableGauge('cortex.degradation.level', {
    description:
      'Degradation level in force: 0 healthy, 1 minor_issues, 2 major_issues, 3 critical, 4 emergency',
  });
  private readonly changes = this.meter.createCounter('cortex.degradation.level_changes', {
    description: 'Changes of the degradation level, by cause',
  });
  private readonly shed = this.meter.createCounter('cortex.degradation.shed', {
    description: 'Requests shed (503) by client tier, level and reason',
  });
  private readonly lookups = this.meter.createCounter('cortex.degradation.cache_lookups', {
    description: 'Response cache lookups while cache_responses is in force, by result',
  });
  private readonly observeLevel: BatchObservableCallback;

  constructor(manager: DegradationManager) {
    this.observeLevel = (result) => result.observe(this.level, severityOf(manager.level()));
    this.meter.addBatchObservableCallback(this.observeLevel, [this.level]);
  }

  @OnEvent(CortexEvent.DegradationLevelChanged)
  onLevelChanged(event: DegradationLevelChangedEvent): void {
    this.changes.add(1, {
      'cortex.level.from': event.from,
      'cortex.level.to': event.to,
      'cortex.cause': event.cause,
    });
  }

  @OnEvent(CortexEvent.RequestShed)
  onShed(event: RequestShedEvent): void {
    this.shed.add(1, {
      'cortex.tier': event.tier,
      'cortex.level': event.level,
      'cortex.reason': event.reason,
    });
  }

  /** Called by the cache interceptor (a lookup is not an event anyone else needs). */
  cacheLookup(hit: boolean): void {
    this.lookups.add(1, hit ? LOOKUP_HIT : LOOKUP_MISS);
  }

  onModuleDestroy(): void {
    // The meter is global: a closed application must not keep reporting (or being held) through it.
    this.meter.removeBatchObservableCallback(this.observeLevel, [this.level]);
  }
}
