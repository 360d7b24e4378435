import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { TrafficGauge } from '../common/traffic-gauge';
import { roundTo } from './report-format';

/** The `system_metrics` of GET /health. */
export interface SystemMetricsSnapshot {
  rss_bytes: number;
  heap_used_bytes: number;
  heap_total_bytes: number;
  external_bytes: number;
  /** p99 of the event-loop delay over the last check window, ms. */
  event_loop_delay_p99_ms: number;
  /** Share of the last check window the event loop was busy, 0..1. */
  event_loop_utilization: number;
  in_flight_requests: number;
  open_streams: number;
}

const NS_PER_MS = 1e6;
/** 20 ms resolution: cheap (one timer), and finer than any delay worth reporting. */
const LOOP_RESOLUTION_MS = 20;

/**
 * Process metrics for the health checks. Event-loop delay and utilization are measured over windows
 * that each scheduled check closes (sample()); memory and traffic are read live.
 */
@Injectable()
export class SystemMetrics implements OnModuleDestroy {
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();
  private window = { delayP99Ms: 0, utilization: 0 };

  constructor(private readonly traffic: TrafficGauge) {
    this.loopDelay.enable();
  }

  /** Closes the current window (called by each scheduled check) and returns the full snapshot. */
  sample(): SystemMetricsSnapshot {
    const utilization = performance.eventLoopUtilization(this.lastUtilization);
    this.lastUtilization = performance.eventLoopUtilization();
    this.window = { delayP99Ms: this.currentDelayP99Ms(), utilization: roundTo(utilization.utilization, 4) };
    this.loopDelay.reset();
    return this.current();
  }

  /** Live memory and traffic with the last closed window's event-loop figures. */
  current(): SystemMetricsSnapshot {
    const memory = process.memoryUsage();
    return {
      rss_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      heap_total_bytes: memory.heapTotal,
      external_bytes: memory.external,
      event_loop_delay_p99_ms: this.window.delayP99Ms,
      event_loop_utilization: this.window.utilization,
      in_flight_requests: this.traffic.inFlight,
      open_streams: this.traffic.openStreams,
    };
  }

  /**
   * The worse of the last closed window and the open one: a lag that started after the last check
   * shows at once, and one that just ended is not forgotten until the next check.
   */
  eventLoopDelayP99Ms(): number {
    return Math.max(this.window.delayP99Ms, this.currentDelayP99Ms());
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }

  private currentDelayP99Ms(): number {
    // An empty histogram reports a meaningless percentile: no sample means no measured delay.
    if (this.loopDelay.count === 0) return 0;
    return roundTo(this.loopDelay.percentile(99) / NS_PER_MS, 2);
  }
}
