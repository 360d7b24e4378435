import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  type CircuitStateChangedEvent,
  CortexEvent,
  type DlqWriteFailedEvent,
  type KeyStateEvent,
} from '../../common/events';
import { ResilienceState } from '../../resilience/resilience-state.service';
import type { HealthSnapshot } from '../health-snapshot';
import { errorMessage } from '../with-timeout';
import { AlertManager } from './alert-manager.service';
import { DLQ_STORE_UNAVAILABLE } from './alert-rules';

/**
 * When each rule's condition holds. Conditions the engine announces (a circuit opening, a key
 * disabled, a dead letter write failing) raise at once from its events; every scheduled check
 * re-evaluates all of them (evaluate), raising what holds and resolving what ended, so an alert
 * resolves by itself even when no event says so.
 *
 *  - no_available_workers: the check found no healthy deployment;
 *  - circuit_breaker_open (per chat breaker): open or forced_open; resolved when closed (half_open waits);
 *  - high_dlq_size: queue size >= `threshold`;
 *  - high_memory_usage: RSS >= `threshold_bytes`;
 *  - key_disabled (per provider key): disabled in its pool; resolved when restored;
 *  - dlq_store_unavailable (built in): a write failed, or the store failed the check.
 */
@Injectable()
export class AlertConditions {
  private readonly logger = new Logger('Alerts');

  constructor(
    private readonly alerts: AlertManager,
    private readonly state: ResilienceState,
  ) {}

  /** Called by every scheduled check; never throws. */
  evaluate(snapshot: HealthSnapshot): void {
    try {
      this.evaluateWorkers(snapshot);
      this.evaluateCircuits();
      this.evaluateThresholds(snapshot);
      this.evaluateKeys();
    } catch (error) {
      this.logger.error(`alert evaluation failed: ${errorMessage(error)}`, (error as Error)?.stack);
    }
  }

  @OnEvent(CortexEvent.CircuitStateChanged)
  onCircuitStateChanged(event: CircuitStateChangedEvent): void {
    if (isProbeBreaker(event.breaker)) return;
    if (event.to === 'open' || event.to === 'forced_open') {
      this.alerts.raise(
        'circuit_breaker_open',
        event.breaker,
        `circuit ${event.breaker} is ${event.to}: ${event.reason}`,
      );
    } else if (event.to === 'closed') {
      this.alerts.resolve('circuit_breaker_open', event.breaker);
    }
  }

  @OnEvent(CortexEvent.KeyDisabled)
  onKeyDisabled(event: KeyStateEvent): void {
    this.alerts.raise(
      'key_disabled',
      keySubject(event.provider, event.keySuffix),
      `API key ${event.keySuffix} of ${event.provider} was disabled (${event.reason ?? 'unknown reason'}); ` +
        'it stays out of rotation until an operator enables it',
    );
  }

  @OnEvent(CortexEvent.KeyRestored)
  onKeyRestored(event: KeyStateEvent): void {
    this.alerts.resolve('key_disabled', keySubject(event.provider, event.keySuffix));
  }

  @OnEvent(CortexEvent.DlqWriteFailed)
  onDlqWriteFailed(event: DlqWriteFailedEvent): void {
    this.alerts.raise(
      DLQ_STORE_UNAVAILABLE,
      undefined,
      `the dead letter queue could not record request ${event.requestId}: ${event.message}`,
    );
  }

  private evaluateWorkers(snapshot: HealthSnapshot): void {
    if (snapshot.healthy > 0) {
      this.alerts.resolve('no_available_workers', undefined);
      return;
    }
    const reasons = snapshot.deployments.map((d) => `${d.name}: ${d.reason ?? 'unknown'}`).join(', ');
    this.alerts.raise(
      'no_available_workers',
      undefined,
      `no deployment is usable (${reasons || 'none configured'})`,
    );
  }

  private evaluateCircuits(): void {
    for (const breaker of this.state.breakers.all()) {
      if (isProbeBreaker(breaker.name)) continue;
      const state = breaker.state;
      if (state === 'open' || state === 'forced_open') {
        this.alerts.raise('circuit_breaker_open', breaker.name, `circuit ${breaker.name} is ${state}`);
      } else if (state === 'closed') {
        this.alerts.resolve('circuit_breaker_open', breaker.name);
      }
      // half_open: the verdict is pending; the alert stays as it is.
    }
  }

  private evaluateThresholds(snapshot: HealthSnapshot): void {
    const dlqThreshold = this.alerts.settings('high_dlq_size').threshold!;
    if (snapshot.dlq.size >= dlqThreshold) {
      this.alerts.raise(
        'high_dlq_size',
        undefined,
        `the dead letter queue holds ${snapshot.dlq.size} records (threshold ${dlqThreshold})`,
      );
    } else {
      this.alerts.resolve('high_dlq_size', undefined);
    }
    const memoryThreshold = this.alerts.settings('high_memory_usage').thresholdBytes!;
    const rss = snapshot.system.rss_bytes;
    if (rss >= memoryThreshold) {
      this.alerts.raise(
        'high_memory_usage',
        undefined,
        `resident memory is ${rss} bytes (threshold ${memoryThreshold})`,
      );
    } else {
      this.alerts.resolve('high_memory_usage', undefined);
    }
    if (snapshot.dlq.error !== undefined) {
      this.alerts.raise(
        DLQ_STORE_UNAVAILABLE,
        undefined,
        `the dead letter store (${snapshot.dlq.store}) is unavailable: ${snapshot.dlq.error}`,
      );
    } else {
      this.alerts.resolve(DLQ_STORE_UNAVAILABLE, undefined);
    }
  }

  /** Disabled keys seen in the pools (a missed event, a state restored at start-up); restored ones resolve. */
  private evaluateKeys(): void {
    const disabled = new Set<string>();
    for (const pool of this.state.allPools()) {
      for (const key of pool.snapshot()) {
        if (key.status !== 'disabled') continue;
        const subject = keySubject(pool.provider, key.keySuffix);
        disabled.add(subject);
        if (!this.alerts.isActive('key_disabled', subject)) {
          this.onKeyDisabled({
            provider: pool.provider,
            keySuffix: key.keySuffix,
            reason: key.reason,
            at: key.since,
          });
        }
      }
    }
    for (const alert of this.alerts.activeAlerts()) {
      if (alert.rule === 'key_disabled' && alert.subject !== undefined && !disabled.has(alert.subject)) {
        this.alerts.resolve('key_disabled', alert.subject);
      }
    }
  }
}

function keySubject(provider: string, keySuffix: string): string {
  return `${provider}/${keySuffix}`;
}

function isProbeBreaker(name: string): boolean {
  return name.endsWith('#probe');
}
