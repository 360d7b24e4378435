import { TrafficGauge } from '../common/traffic-gauge';
import { SystemMetrics } from './system-metrics';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(SystemMetrics.name, () => {
  let metrics: SystemMetrics;
  afterEach(() => metrics.onModuleDestroy());

  it('reports memory and traffic live, and the event loop over the window each sample closes', async () => {
    const traffic = new TrafficGauge();
    metrics = new SystemMetrics(traffic);
    traffic.inFlight = 3;
    traffic.openStreams = 2;
    expect(metrics.current()).toMatchObject({
      event_loop_delay_p99_ms: 0,
      event_loop_utilization: 0,
      in_flight_requests: 3,
      open_streams: 2,
    });

    await pause(50);
    // Block the loop for 200 ms: the delay monitor's next tick is that late.
    const until = performance.now() + 200;
    while (performance.now() < until);
    await pause(50);
    const window = metrics.sample();
    expect(window.event_loop_delay_p99_ms).toBeGreaterThanOrEqual(100);
    expect(window.event_loop_utilization).toBeGreaterThan(0.3);
    expect(window.event_loop_utilization).toBeLessThanOrEqual(1);
    expect(window.rss_bytes).toBeGreaterThan(window.heap_used_bytes);
    expect(window.heap_total_bytes).toBeGreaterThanOrEqual(window.heap_used_bytes);

    // The closed window is kept until the next sample; the open one starts empty.
    expect(metrics.eventLoopDelayP99Ms()).toBe(window.event_loop_delay_p99_ms);
    expect(metrics.current().event_loop_delay_p99_ms).toBe(window.event_loop_delay_p99_ms);
  });
});
