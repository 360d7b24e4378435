import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus } from '../common/events';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { DeadLetterService } from '../dead-letter/dead-letter.service';
import { AlertConditions } from './alerts/alert-conditions.service';
import { AlertManager } from './alerts/alert-manager.service';
import { toDeploymentHealth } from './deployment-health';
import { DeploymentProber } from './deployment-prober';
import { HealthHistory, type HealthHistoryEntry } from './health-history';
import type { DlqFinding, HealthSnapshot } from './health-snapshot';
import { LifecycleService } from './lifecycle.service';
import { overallStatus, type OverallStatus } from './overall-status';
import { roundTo } from './report-format';
import { SystemMetrics } from './system-metrics';
import { errorMessage, withTimeout } from './with-timeout';

/** The SchedulerRegistry name of the scheduled check. */
export const HEALTH_CHECK_INTERVAL = 'cortex-health-check';
const STORE_CHECK_TIMEOUT_MS = 2000;

/**
 * The scheduled health check: every `health.check_interval_ms` (changeable at run time with
 * setIntervalMs, through SchedulerRegistry) it probes every deployment, samples the system metrics
 * and the dead letter store, keeps the result in a ring of `health.history_size` checks, announces
 * it (health.checked, which the degradation module reads), lets the alerts evaluate it, and marks
 * the process ready after the first one. Checks never overlap.
 */
@Injectable()
export class HealthMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('HealthMonitor');
  private readonly ring: HealthHistory;
  private readonly shutdown = new AbortController();
  private intervalMs: number;
  private scheduled = false;
  private running: Promise<HealthSnapshot> | undefined;
  private last: HealthSnapshot | undefined;
  private lastStatus: OverallStatus | undefined;

  constructor(
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly prober: DeploymentProber,
    private readonly metrics: SystemMetrics,
    private readonly dlq: DeadLetterService,
    private readonly alerts: AlertManager,
    private readonly conditions: AlertConditions,
    private readonly lifecycle: LifecycleService,
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
  ) {
    this.intervalMs = config.health.check_interval_ms;
    this.ring = new HealthHistory(config.health.history_size);
  }

  /** Schedules the checks and fires the first one without waiting: readiness says starting until it ends. */
  onApplicationBootstrap(): void {
    this.schedule();
    this.fire();
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
    this.scheduled = false;
    if (this.scheduler.doesExist('interval', HEALTH_CHECK_INTERVAL)) {
      this.scheduler.deleteInterval(HEALTH_CHECK_INTERVAL);
    }
  }

  get checkIntervalMs(): number {
    return this.intervalMs;
  }

  /** Changes the interval at run time: the registered interval is replaced, the next check is `ms` away. */
  setIntervalMs(ms: number): void {
    if (!Number.isInteger(ms) || ms < 1)
      throw new RangeError(`check interval must be a positive integer, got ${ms}`);
    this.intervalMs = ms;
    if (this.scheduled) this.schedule();
    this.logger.log(`health checks now every ${ms} ms`);
  }

  /** The last finished check, if any. */
  latest(): HealthSnapshot | undefined {
    return this.last;
  }

  /** The last finished check, or the one in progress (start-up): /health never reports an empty view. */
  latestOrFirst(): Promise<HealthSnapshot> {
    return this.last ? Promise.resolve(this.last) : this.runCheck();
  }

  /** The last `health.history_size` checks, oldest first. */
  history(): HealthHistoryEntry[] {
    return this.ring.entries();
  }

  /** The overall status of the last check with the alerts active now; undefined before any check. */
  status(): OverallStatus | undefined {
    return this.last && this.statusOf(this.last);
  }

  /** The overall status of a check's findings with the alerts active now. */
  statusOf(snapshot: HealthSnapshot): OverallStatus {
    return overallStatus(
      {
        healthy: snapshot.healthy,
        total: snapshot.total,
        activeAlertSeverities: this.alerts.activeSeverities(),
      },
      this.config.degradation.degrade_below,
    );
  }

  /** Runs a check now, or joins the one in progress. */
  runCheck(): Promise<HealthSnapshot> {
    this.running ??= this.check().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.scheduler.doesExist('interval', HEALTH_CHECK_INTERVAL)) {
      this.scheduler.deleteInterval(HEALTH_CHECK_INTERVAL);
    }
    const handle = setInterval(() => this.fire(), this.intervalMs);
    // The HTTP server keeps the process alive; this timer alone must not.
    handle.unref();
    this.scheduler.addInterval(HEALTH_CHECK_INTERVAL, handle);
    this.scheduled = true;
  }

  /** A check from a timer: nobody awaits it, so its failure is logged here. */
  private fire(): void {
    if (this.shutdown.signal.aborted) return;
    this.runCheck().catch((error: unknown) =>
      this.logger.error(`health check failed: ${errorMessage(error)}`, (error as Error)?.stack),
    );
  }

  private async check(): Promise<HealthSnapshot> {
    const at = this.clock.now();
    const started = this.clock.monotonic();
    const [deployments, dlq] = await Promise.all([
      this.prober.checkAll(this.shutdown.signal),
      this.dlqFinding(),
    ]);
    const system = this.metrics.sample();
    const healthy = deployments.filter((deployment) => deployment.healthy).length;
    const total = deployments.length;
    const snapshot: HealthSnapshot = {
      at,
      deployments,
      healthy,
      total,
      healthyShare: total === 0 ? 0 : healthy / total,
      durationMs: roundTo(this.clock.monotonic() - started, 2),
      system,
      dlq,
    };
    // A check cut short by shutdown saw aborted probes, not sick providers: it must not page anyone.
    if (this.shutdown.signal.aborted) return snapshot;
    this.last = snapshot;
    this.bus.emit(CortexEvent.HealthChecked, {
      at,
      deployments: deployments.map(toDeploymentHealth),
      healthyShare: snapshot.healthyShare,
      durationMs: snapshot.durationMs,
    });
    this.conditions.evaluate(snapshot);
    this.record(snapshot);
    this.lifecycle.markChecked();
    return snapshot;
  }

  private record(snapshot: HealthSnapshot): void {
    const status = this.statusOf(snapshot);
    const unhealthy: Record<string, string> = {};
    for (const deployment of snapshot.deployments) {
      if (!deployment.healthy) unhealthy[deployment.name] = deployment.reason ?? 'unknown';
    }
    this.ring.push({
      at: snapshot.at,
      status,
      healthy: snapshot.healthy,
      total: snapshot.total,
      healthyShare: snapshot.healthyShare,
      durationMs: snapshot.durationMs,
      unhealthy,
    });
    if (status !== this.lastStatus) {
      const detail = `${snapshot.healthy}/${snapshot.total} deployments healthy`;
      if (status === 'healthy') this.logger.log(`status ${status}: ${detail}`);
      else this.logger.warn(`status ${status}: ${detail} ${JSON.stringify(unhealthy)}`);
      this.lastStatus = status;
    }
  }

  /** The store's check and its size, each bounded in time: a hung store must not hang the check. */
  private async dlqFinding(): Promise<DlqFinding> {
    const finding: DlqFinding = { size: 0, store: this.config.dlq.store };
    try {
      await withTimeout(this.dlq.check(), STORE_CHECK_TIMEOUT_MS, 'the dead letter store');
      const stats = await withTimeout(this.dlq.stats(), STORE_CHECK_TIMEOUT_MS, 'the dead letter store');
      finding.size = stats.currentSize;
      finding.store = stats.store;
      if (stats.storeError !== undefined) finding.error = stats.storeError;
    } catch (error) {
      finding.error = errorMessage(error);
    }
    return finding;
  }
}
