import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { ClientTier } from '../config/config.schema';
import type { AttemptRecord } from '../resilience/attempt-record';
import type { FailureClass } from './failure-class';
import type { GatewayError } from './gateway-error';

/**
 * The typed events the resilience engine emits. Monitoring, alerts, metrics and the dead letter
 * queue listen (`@OnEvent(CortexEvent.RequestFailed)`); the engine never calls them directly.
 */
export enum CortexEvent {
  CircuitStateChanged = 'circuit.state_changed',
  RetryScheduled = 'retry.scheduled',
  KeyRested = 'key.rested',
  KeyDisabled = 'key.disabled',
  KeyRestored = 'key.restored',
  FallbackTaken = 'fallback.taken',
  RequestSucceeded = 'request.succeeded',
  RequestFailed = 'request.failed',
  DlqItemAdded = 'dlq.item_added',
  DlqItemsEvicted = 'dlq.items_evicted',
  DlqItemsExpired = 'dlq.items_expired',
  DlqItemReplayed = 'dlq.item_replayed',
  DlqWriteFailed = 'dlq.write_failed',
  HealthChecked = 'health.checked',
  DegradationLevelChanged = 'degradation.level_changed',
  RequestShed = 'request.shed',
  AlertRaised = 'alert.raised',
  AlertResolved = 'alert.resolved',
}

export interface CircuitStateChangedEvent {
  breaker: string;
  provider: string;
  model: string;
  from: string;
  to: string;
  reason: string;
  at: number;
}

export interface RetryScheduledEvent {
  requestId: string;
  provider: string;
  model: string;
  failureClass: FailureClass;
  /** The wait before the retry, ms (0 for an immediate retry on another key). */
  delayMs: number;
  attempt: number;
}

export interface KeyStateEvent {
  provider: string;
  /** Masked to the last 4 characters; the raw key never leaves the key pool. */
  keySuffix: string;
  reason?: FailureClass;
  until?: number;
  at: number;
}

export interface FallbackTakenEvent {
  requestId: string;
  model: string;
  from: { provider: string; model: string };
  to: { provider: string; model: string };
  failureClass: FailureClass;
}

export interface RequestOutcomeEvent {
  requestId: string;
  traceId?: string;
  model: string;
  stream: boolean;
  client?: { name: string; tier: ClientTier };
  attempts: readonly AttemptRecord[];
  durationMs: number;
  /** Present on request.failed: the final class and the status answered. */
  failureClass?: FailureClass;
  status?: number;
  message?: string;
  /** On request.failed: the error about to be answered; a listener may stamp `dlqId` on it. */
  error?: GatewayError;
  /** On request.failed: the validated request body, for the dead letter queue (never headers). */
  request?: Record<string, unknown>;
}

export interface DlqItemEvent {
  id: string;
  failureClass: FailureClass;
  providers: string[];
  at: number;
}

export interface DlqCountEvent {
  count: number;
  at: number;
}

export interface DlqReplayedEvent {
  id: string;
  outcome: 'success' | 'failure';
  failureClass?: FailureClass;
  at: number;
}

export interface DlqWriteFailedEvent {
  requestId: string;
  message: string;
  at: number;
}

/** One deployment's health as the scheduled check saw it (probe fused with real traffic). */
export interface DeploymentHealth {
  /** `provider/model` */
  name: string;
  provider: string;
  model: string;
  healthy: boolean;
  /** Why not healthy: circuit_open, no_key, probe_failed:<class>, low_success_rate, ... */
  reason?: string;
  probeLatencyMs?: number;
  /** Real traffic over the recent window: share of successful attempts, and p95 latency. */
  successRate?: number;
  p95LatencyMs?: number;
}

export interface HealthCheckedEvent {
  at: number;
  deployments: DeploymentHealth[];
  /** healthy deployments / all deployments (0..1); 0 when none is configured. */
  healthyShare: number;
  durationMs: number;
}

export type DegradationLevel = 'healthy' | 'minor_issues' | 'major_issues' | 'critical' | 'emergency';

export interface DegradationLevelChangedEvent {
  from: DegradationLevel;
  to: DegradationLevel;
  /** `computed` from the healthy share, or `forced` by an operator (with its expiry). */
  cause: 'computed' | 'forced' | 'force_expired' | 'force_cleared';
  healthyShare?: number;
  at: number;
}

export interface RequestShedEvent {
  tier: ClientTier;
  level: DegradationLevel;
  reason: 'acceptance' | 'concurrency_limit' | 'cache_only';
  at: number;
}

export interface AlertEvent {
  id: string;
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  /** e.g. the breaker or provider the alert is about. */
  subject?: string;
  message: string;
  at: number;
}

export interface CortexEventMap {
  [CortexEvent.CircuitStateChanged]: CircuitStateChangedEvent;
  [CortexEvent.RetryScheduled]: RetryScheduledEvent;
  [CortexEvent.KeyRested]: KeyStateEvent;
  [CortexEvent.KeyDisabled]: KeyStateEvent;
  [CortexEvent.KeyRestored]: KeyStateEvent;
  [CortexEvent.FallbackTaken]: FallbackTakenEvent;
  [CortexEvent.RequestSucceeded]: RequestOutcomeEvent;
  [CortexEvent.RequestFailed]: RequestOutcomeEvent;
  [CortexEvent.DlqItemAdded]: DlqItemEvent;
  [CortexEvent.DlqItemsEvicted]: DlqCountEvent;
  [CortexEvent.DlqItemsExpired]: DlqCountEvent;
  [CortexEvent.DlqItemReplayed]: DlqReplayedEvent;
  [CortexEvent.DlqWriteFailed]: DlqWriteFailedEvent;
  [CortexEvent.HealthChecked]: HealthCheckedEvent;
  [CortexEvent.DegradationLevelChanged]: DegradationLevelChangedEvent;
  [CortexEvent.RequestShed]: RequestShedEvent;
  [CortexEvent.AlertRaised]: AlertEvent;
  [CortexEvent.AlertResolved]: AlertEvent;
}

/** EventEmitter2 with the payload type checked against the event name. */
@Injectable()
export class CortexEventBus {
  private readonly logger = new Logger(CortexEventBus.name);

  constructor(private readonly emitter: EventEmitter2) {}

  emit<E extends CortexEvent>(event: E, payload: CortexEventMap[E]): void {
    // A throwing listener is the listener's bug: it is logged and must never break a request.
    try {
      this.emitter.emit(event, payload);
    } catch (error) {
      this.logger.error(`a listener of ${event} threw`, error instanceof Error ? error.stack : String(error));
    }
  }

  /**
   * Emits and waits for every listener, including async ones: used where a listener's work must be
   * done before the response goes out (the dead letter queue records a failure before its 5xx).
   */
  async emitAsync<E extends CortexEvent>(event: E, payload: CortexEventMap[E]): Promise<void> {
    try {
      await this.emitter.emitAsync(event, payload);
    } catch (error) {
      this.logger.error(
        `a listener of ${event} failed`,
        error instanceof Error ? error.stack : String(error),
      );
    }
  }

  /** True when someone listens, so hot paths can skip building payloads nobody reads. */
  hasListeners(event: CortexEvent): boolean {
    return this.emitter.hasListeners(event) === true;
  }
}
