import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CortexEvent, CortexEventBus, type HealthCheckedEvent } from '../common/events';
import { FakeClock } from '../common/fake-clock';
import { parseConfig } from '../config/config.loader';
import type { DeadLetterService } from '../dead-letter/dead-letter.service';
import type { AlertConditions } from './alerts/alert-conditions.service';
import { AlertManager } from './alerts/alert-manager.service';
import { assessDeployment, type DeploymentCheck } from './deployment-health';
import type { DeploymentProber } from './deployment-prober';
import { HEALTH_CHECK_INTERVAL, HealthMonitor } from './health-monitor.service';
import { LifecycleService } from './lifecycle.service';
import type { SystemMetrics, SystemMetricsSnapshot } from './system-metrics';

const SYSTEM = { rss_bytes: 100 } as SystemMetricsSnapshot;

function deployment(model: string, healthy: boolean): DeploymentCheck {
  return assessDeployment({
    provider: 'a',
    model,
    circuitState: healthy ? 'closed' : 'open',
    chatAllows: healthy,
    keyAvailable: true,
    probe: { kind: 'reachable', latencyMs: 4 },
    traffic: { calls: 0 },
  });
}

function setup(checkAll: (signal: AbortSignal) => Promise<DeploymentCheck[]>) {
  const config = parseConfig(
    {
      providers: { a: { type: 'openai', base_url: 'http://127.0.0.1:9' } },
      models: { m: [{ provider: 'a', model: 'x' }] },
      health: { check_interval_ms: 30_000, history_size: 3 },
      alerts: { channels: [] },
    },
    {},
  );
  const clock = new FakeClock();
  const emitter = new EventEmitter2();
  const bus = new CortexEventBus(emitter);
  const checked: HealthCheckedEvent[] = [];
  emitter.on(CortexEvent.HealthChecked, (event: HealthCheckedEvent) => checked.push(event));
  const scheduler = new SchedulerRegistry();
  const prober = { checkAll: jest.fn(checkAll) };
  const dlq = {
    check: jest.fn(async () => undefined),
    stats: jest.fn(async () => ({ currentSize: 7, store: 'memory' })),
  };
  const evaluate = jest.fn();
  const lifecycle = new LifecycleService(clock);
  const monitor = new HealthMonitor(
    config,
    scheduler,
    prober as unknown as DeploymentProber,
    { sample: () => SYSTEM } as unknown as SystemMetrics,
    dlq as unknown as DeadLetterService,
    new AlertManager(config, [], bus, clock),
    { evaluate } as unknown as AlertConditions,
    lifecycle,
    bus,
    clock,
  );
  return { monitor, scheduler, prober, dlq, evaluate, lifecycle, checked, clock };
}

describe(HealthMonitor.name, () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('at bootstrap registers the interval and runs the first check at once; ready once it finished', async () => {
    const { monitor, scheduler, prober, lifecycle, checked, evaluate } = setup(async () => [
      deployment('x', true),
      deployment('y', false),
    ]);
    monitor.onApplicationBootstrap();
    expect(scheduler.getIntervals()).toEqual([HEALTH_CHECK_INTERVAL]);
    expect(prober.checkAll).toHaveBeenCalledTimes(1);
    expect(lifecycle.state).toBe('starting');

    const snapshot = await monitor.latestOrFirst();
    expect(lifecycle.state).toBe('ready');
    expect(snapshot).toMatchObject({
      healthy: 1,
      total: 2,
      healthyShare: 0.5,
      dlq: { size: 7, store: 'memory' },
    });
    expect(checked).toEqual([
      {
        at: snapshot.at,
        durationMs: 0,
        healthyShare: 0.5,
        deployments: [
          { name: 'a/x', provider: 'a', model: 'x', healthy: true, probeLatencyMs: 4 },
          {
            name: 'a/y',
            provider: 'a',
            model: 'y',
            healthy: false,
            reason: 'circuit_open',
            probeLatencyMs: 4,
          },
        ],
      },
    ]);
    expect(evaluate).toHaveBeenCalledWith(snapshot);
    expect(monitor.status()).toBe('warning');

    await jest.advanceTimersByTimeAsync(29_999);
    expect(prober.checkAll).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(prober.checkAll).toHaveBeenCalledTimes(2);
    monitor.onModuleDestroy();
  });

  it('setIntervalMs replaces the registered interval at run time', async () => {
    const { monitor, scheduler, prober } = setup(async () => [deployment('x', true)]);
    monitor.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    const before: unknown = scheduler.getInterval(HEALTH_CHECK_INTERVAL);

    monitor.setIntervalMs(5000);
    expect(monitor.checkIntervalMs).toBe(5000);
    expect(scheduler.getInterval(HEALTH_CHECK_INTERVAL)).not.toBe(before);
    expect(scheduler.getIntervals()).toEqual([HEALTH_CHECK_INTERVAL]);

    await jest.advanceTimersByTimeAsync(30_000);
    // 1 at bootstrap + 6 at 5 s; the old 30 s interval is gone.
    expect(prober.checkAll).toHaveBeenCalledTimes(7);
    expect(() => monitor.setIntervalMs(0)).toThrow(RangeError);
    monitor.onModuleDestroy();
    expect(scheduler.getIntervals()).toEqual([]);
  });

  it('checks never overlap: a tick during a running check joins it', async () => {
    let finish!: (checks: DeploymentCheck[]) => void;
    const { monitor, prober } = setup(() => new Promise((resolve) => (finish = resolve)));
    monitor.onApplicationBootstrap();
    monitor.setIntervalMs(10);
    await jest.advanceTimersByTimeAsync(100);
    const joined = monitor.runCheck();
    expect(prober.checkAll).toHaveBeenCalledTimes(1);
    finish([deployment('x', true)]);
    await expect(joined).resolves.toMatchObject({ healthy: 1 });
    monitor.onModuleDestroy();
  });

  it('keeps the last history_size checks and their overall status', async () => {
    let healthy = true;
    const { monitor, clock } = setup(async () => [deployment('x', healthy), deployment('y', true)]);
    for (let i = 0; i < 4; i++) {
      healthy = i % 2 === 0;
      clock.advance(1000);
      await monitor.runCheck();
    }
    expect(
      monitor.history().map((entry) => [entry.at - 1_700_000_000_000, entry.status, entry.unhealthy]),
    ).toEqual([
      [2000, 'warning', { 'a/x': 'circuit_open' }],
      [3000, 'healthy', {}],
      [4000, 'warning', { 'a/x': 'circuit_open' }],
    ]);
  });

  it('a dead letter store that does not answer is reported, not waited for', async () => {
    const { monitor, dlq } = setup(async () => [deployment('x', true)]);
    dlq.check.mockImplementation(() => new Promise(() => undefined));
    const running = monitor.runCheck();
    await jest.advanceTimersByTimeAsync(2000);
    await expect(running).resolves.toMatchObject({
      dlq: { size: 0, store: 'sqlite', error: 'the dead letter store did not answer within 2000 ms' },
    });
  });

  it('shutdown aborts the probes of a running check, which then announces nothing, and stops scheduling', async () => {
    let seen: AbortSignal | undefined;
    const { monitor, scheduler, prober, checked, evaluate, lifecycle } = setup((signal) => {
      seen = signal;
      return Promise.resolve([deployment('x', false)]);
    });
    monitor.onApplicationBootstrap();
    const running = monitor.runCheck();
    monitor.onModuleDestroy();
    expect(seen?.aborted).toBe(true);
    expect(scheduler.getIntervals()).toEqual([]);
    await running;
    expect([checked, evaluate.mock.calls, monitor.latest(), lifecycle.state]).toEqual([
      [],
      [],
      undefined,
      'starting',
    ]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(prober.checkAll).toHaveBeenCalledTimes(1);
  });
});
