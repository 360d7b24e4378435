import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import type { BreakerStats } from '../resilience/circuit-breaker';
import { ResilienceState } from '../resilience/resilience-state.service';
import { toAlertView } from './alerts/alert.types';
import { AlertManager } from './alerts/alert-manager.service';
import { DegradationLevelTracker } from './degradation-level.tracker';
import type { DeploymentCheck } from './deployment-health';
import { DeploymentProber } from './deployment-prober';
import { HealthMonitor } from './health-monitor.service';
import type { HealthSnapshot } from './health-snapshot';
import { RedisHealthIndicator } from './indicators/redis.health';
import { LifecycleService } from './lifecycle.service';
import { isUnavailableStatus, type OverallStatus } from './overall-status';
import { isoOrNull, roundTo } from './report-format';
import { SystemMetrics } from './system-metrics';

export interface HealthReport {
  httpStatus: 200 | 503;
  body: Record<string, unknown> & { status: OverallStatus };
}

/**
 * The detailed GET /health of CONTRACT §4: status, degradation_level, timestamp, workers, circuits,
 * system_metrics, active_alerts, dlq_size, check_duration_ms, uptime_seconds (plus lifecycle,
 * last_check_at, check_interval_ms and stores). Deployments and dlq_size come from the last
 * scheduled check (probing on every GET would hammer the upstreams); circuits, alerts, memory and
 * traffic are read live.
 */
@Injectable()
export class HealthReportService {
  constructor(
    private readonly monitor: HealthMonitor,
    private readonly prober: DeploymentProber,
    private readonly alerts: AlertManager,
    private readonly state: ResilienceState,
    private readonly metrics: SystemMetrics,
    private readonly lifecycle: LifecycleService,
    private readonly degradation: DegradationLevelTracker,
    private readonly redis: RedisHealthIndicator,
    private readonly clock: Clock,
  ) {}

  async build(): Promise<HealthReport> {
    const snapshot = await this.monitor.latestOrFirst();
    const status = this.monitor.statusOf(snapshot);
    const body = {
      status,
      degradation_level: this.degradation.level,
      timestamp: new Date(this.clock.now()).toISOString(),
      workers: {
        total: snapshot.total,
        healthy: snapshot.healthy,
        healthy_share: roundTo(snapshot.healthyShare, 4),
        deployments: snapshot.deployments.map(workerView),
      },
      circuits: this.circuits(),
      system_metrics: this.metrics.current(),
      active_alerts: this.alerts.activeAlerts().map(toAlertView),
      dlq_size: snapshot.dlq.size,
      check_duration_ms: snapshot.durationMs,
      uptime_seconds: this.lifecycle.uptimeSeconds(),
      lifecycle: this.lifecycle.state,
      last_check_at: new Date(snapshot.at).toISOString(),
      check_interval_ms: this.monitor.checkIntervalMs,
      stores: await this.stores(snapshot),
    };
    return { httpStatus: isUnavailableStatus(status) ? 503 : 200, body };
  }

  /** Every breaker, chat and probe; the chat breaker of each configured deployment always appears. */
  private circuits(): Record<string, Record<string, unknown>> {
    for (const { provider, model } of this.prober.list()) this.state.breakers.get(provider, model);
    const out: Record<string, Record<string, unknown>> = {};
    for (const breaker of this.state.breakers.all()) out[breaker.name] = circuitView(breaker.stats());
    return out;
  }

  private async stores(snapshot: HealthSnapshot): Promise<Record<string, Record<string, unknown>>> {
    const { dlq } = snapshot;
    const stores: Record<string, Record<string, unknown>> = {
      dead_letter_queue: {
        status: dlq.error === undefined ? 'up' : 'down',
        store: dlq.store,
        error: dlq.error ?? null,
      },
    };
    if (this.redis.configured) {
      const result = await this.redis.isHealthy('redis');
      stores.redis = { ...result.redis };
    }
    return stores;
  }
}

function workerView(check: DeploymentCheck): Record<string, unknown> {
  const { probe } = check;
  return {
    name: check.name,
    provider: check.provider,
    model: check.model,
    healthy: check.healthy,
    reason: check.reason ?? null,
    circuit_state: check.circuitState,
    key_available: check.keyAvailable,
    probe: {
      outcome: probe.kind,
      failure_class: probe.kind === 'skipped' ? null : (probe.failureClass ?? null),
      skipped_because: probe.kind === 'skipped' ? probe.reason : null,
      latency_ms: check.probeLatencyMs ?? null,
    },
    success_rate: check.successRate ?? null,
    traffic_calls: check.trafficCalls,
    p95_latency_ms: check.p95LatencyMs ?? null,
  };
}

function circuitView(stats: BreakerStats): Record<string, unknown> {
  return {
    state: stats.state,
    failure_rate: roundTo(stats.failureRate, 4),
    window_calls: stats.windowCalls,
    window_failures: stats.windowFailures,
    consecutive_failures: stats.consecutiveFailures,
    total_calls: stats.totalCalls,
    total_successes: stats.totalSuccesses,
    total_failures: stats.totalFailures,
    total_rejected: stats.totalRejected,
    open_count: stats.openCount,
    opened_at: isoOrNull(stats.openedAt),
    next_probe_at: isoOrNull(stats.nextProbeAt),
    last_failure: stats.lastFailure
      ? { at: new Date(stats.lastFailure.at).toISOString(), failure_class: stats.lastFailure.failureClass }
      : null,
    uptime_percent: roundTo(stats.uptimePercent, 2),
  };
}
