import { Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { FakeClock } from '../../common/fake-clock';
import { parseConfig } from '../../config/config.loader';
import type { DeadLetterService } from '../../dead-letter/dead-letter.service';
import { assessDeployment } from '../deployment-health';
import type { HealthMonitor } from '../health-monitor.service';
import type { HealthSnapshot } from '../health-snapshot';
import { LifecycleService } from '../lifecycle.service';
import type { SystemMetrics } from '../system-metrics';
import { DeadLetterHealthIndicator } from './dead-letter.health';
import { EventLoopHealthIndicator } from './event-loop.health';
import { LifecycleHealthIndicator } from './lifecycle.health';
import { ProvidersHealthIndicator } from './providers.health';

const indicators = new HealthIndicatorService();

describe(LifecycleHealthIndicator.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('is up only while ready', () => {
    const lifecycle = new LifecycleService(new FakeClock());
    const indicator = new LifecycleHealthIndicator(indicators, lifecycle);
    expect(indicator.isReady()).toEqual({ lifecycle: { status: 'down', state: 'starting' } });
    lifecycle.markChecked();
    expect(indicator.isReady()).toEqual({ lifecycle: { status: 'up', state: 'ready' } });
    lifecycle.markDraining();
    expect(indicator.isReady()).toEqual({ lifecycle: { status: 'down', state: 'draining' } });
  });
});

describe(ProvidersHealthIndicator.name, () => {
  const deployment = (model: string, healthy: boolean) =>
    assessDeployment({
      provider: 'a',
      model,
      circuitState: 'closed',
      chatAllows: true,
      keyAvailable: healthy,
      probe: { kind: 'reachable', latencyMs: 1 },
      traffic: { calls: 0 },
    });
  const withSnapshot = (snapshot: Partial<HealthSnapshot> | undefined) =>
    new ProvidersHealthIndicator(indicators, { latest: () => snapshot } as unknown as HealthMonitor);

  it('is down before the first check, up with one usable deployment, down with none', () => {
    expect(withSnapshot(undefined).isHealthy()).toEqual({
      providers: { status: 'down', message: 'no health check has finished yet' },
    });
    const at = Date.UTC(2026, 0, 1);
    expect(
      withSnapshot({
        at,
        healthy: 1,
        total: 2,
        deployments: [deployment('x', true), deployment('y', false)],
      }).isHealthy(),
    ).toEqual({ providers: { status: 'up', usable: 1, total: 2, checked_at: '2026-01-01T00:00:00.000Z' } });
    expect(
      withSnapshot({ at, healthy: 0, total: 1, deployments: [deployment('y', false)] }).isHealthy(),
    ).toEqual({
      providers: {
        status: 'down',
        usable: 0,
        total: 1,
        checked_at: '2026-01-01T00:00:00.000Z',
        unhealthy: { 'a/y': 'no_key' },
      },
    });
  });
});

describe(DeadLetterHealthIndicator.name, () => {
  const config = parseConfig({ providers: {}, models: {}, dlq: { store: 'memory' } }, {});

  it('is up when the store answers its check, down with the reason when it throws or hangs', async () => {
    const check = jest.fn<Promise<void>, []>();
    const indicator = new DeadLetterHealthIndicator(
      indicators,
      { check } as unknown as DeadLetterService,
      config,
    );
    check.mockResolvedValueOnce(undefined);
    await expect(indicator.isHealthy()).resolves.toEqual({
      dead_letter_queue: { status: 'up', store: 'memory' },
    });
    check.mockRejectedValueOnce(new Error('SQLITE_CANTOPEN'));
    await expect(indicator.isHealthy()).resolves.toEqual({
      dead_letter_queue: { status: 'down', store: 'memory', message: 'SQLITE_CANTOPEN' },
    });
    jest.useFakeTimers();
    try {
      check.mockReturnValueOnce(new Promise(() => undefined));
      const pending = indicator.isHealthy();
      await jest.advanceTimersByTimeAsync(2000);
      await expect(pending).resolves.toEqual({
        dead_letter_queue: {
          status: 'down',
          store: 'memory',
          message: 'the dead letter store did not answer within 2000 ms',
        },
      });
    } finally {
      jest.useRealTimers();
    }
  });
});

describe(EventLoopHealthIndicator.name, () => {
  it('is down once the p99 delay reaches the bound', () => {
    let delay = 12.5;
    const indicator = new EventLoopHealthIndicator(indicators, {
      eventLoopDelayP99Ms: () => delay,
    } as unknown as SystemMetrics);
    expect(indicator.isHealthy('event_loop', 1000)).toEqual({
      event_loop: { status: 'up', delay_p99_ms: 12.5, max_delay_p99_ms: 1000 },
    });
    delay = 1000;
    expect(indicator.isHealthy('event_loop', 1000)).toEqual({
      event_loop: { status: 'down', delay_p99_ms: 1000, max_delay_p99_ms: 1000 },
    });
  });
});
