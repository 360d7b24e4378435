import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { SystemMetrics } from '../system-metrics';

/** Up while the event loop's p99 delay (last and current check window) stays under a bound. */
@Injectable()
export class EventLoopHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly metrics: SystemMetrics,
  ) {}

  isHealthy(key: string, maxDelayP99Ms: number): HealthIndicatorResult {
    const session = this.indicator.check(key);
    const delay = this.metrics.eventLoopDelayP99Ms();
    const data = { delay_p99_ms: delay, max_delay_p99_ms: maxDelayP99Ms };
    return delay < maxDelayP99Ms ? session.up(data) : session.down(data);
  }
}
