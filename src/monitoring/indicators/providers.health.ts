import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { HealthMonitor } from '../health-monitor.service';

/** Up when the last scheduled check found at least one usable deployment. */
@Injectable()
export class ProvidersHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly monitor: HealthMonitor,
  ) {}

  isHealthy(key = 'providers'): HealthIndicatorResult {
    const session = this.indicator.check(key);
    const last = this.monitor.latest();
    if (!last) return session.down({ message: 'no health check has finished yet' });
    const data = { usable: last.healthy, total: last.total, checked_at: new Date(last.at).toISOString() };
    if (last.healthy > 0) return session.up(data);
    const unhealthy: Record<string, string> = {};
    for (const deployment of last.deployments) unhealthy[deployment.name] = deployment.reason ?? 'unknown';
    return session.down({ ...data, unhealthy });
  }
}
