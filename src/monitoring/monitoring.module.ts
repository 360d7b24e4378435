import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RandomSource } from '../common/random';
import { CORTEX_CONFIG } from '../config/config.module';
import { DeadLetterModule } from '../dead-letter/dead-letter.module';
import { ProvidersModule } from '../providers/providers.module';
import { ResilienceModule } from '../resilience/resilience.module';
import { createAlertChannels } from './alerts/alert-channels.factory';
import { AlertConditions } from './alerts/alert-conditions.service';
import { AlertManager } from './alerts/alert-manager.service';
import { ALERT_CHANNELS } from './alerts/alert.types';
import { AlertsController } from './alerts.controller';
import { DegradationLevelTracker } from './degradation-level.tracker';
import { DeploymentProber } from './deployment-prober';
import { HealthController } from './health.controller';
import { HealthMonitor } from './health-monitor.service';
import { HealthReportService } from './health-report.service';
import { DeadLetterHealthIndicator } from './indicators/dead-letter.health';
import { EventLoopHealthIndicator } from './indicators/event-loop.health';
import { LifecycleHealthIndicator } from './indicators/lifecycle.health';
import { ProvidersHealthIndicator } from './indicators/providers.health';
import { RedisHealthIndicator } from './indicators/redis.health';
import { LifecycleService } from './lifecycle.service';
import { SystemMetrics } from './system-metrics';

/**
 * Owns health and alerts: the scheduled checks (probes fused with real traffic), the Terminus
 * endpoints, the detailed /health, the process lifecycle for readiness, system metrics, and the alert
 * rules with their channels. It only reads the engine's state and listens to its events; it never
 * routes traffic and never touches the degradation module (which reads its health.checked events).
 */
@Module({
  // Failed readiness checks are answered, not logged: a load balancer polls them every few seconds.
  imports: [TerminusModule.forRoot({ logger: false }), ProvidersModule, ResilienceModule, DeadLetterModule],
  controllers: [HealthController, AlertsController],
  providers: [
    {
      provide: ALERT_CHANNELS,
      useFactory: createAlertChannels,
      inject: [CORTEX_CONFIG, RandomSource],
    },
    AlertManager,
    AlertConditions,
    DeploymentProber,
    HealthMonitor,
    HealthReportService,
    LifecycleService,
    SystemMetrics,
    DegradationLevelTracker,
    LifecycleHealthIndicator,
    ProvidersHealthIndicator,
    DeadLetterHealthIndicator,
    EventLoopHealthIndicator,
    RedisHealthIndicator,
  ],
  exports: [HealthMonitor, AlertManager, LifecycleService, SystemMetrics],
})
export class MonitoringModule {}
