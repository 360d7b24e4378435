import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CortexEvent, CortexEventBus } from '../../common/events';
import { FailureClass } from '../../common/failure-class';
import { FakeClock } from '../../common/fake-clock';
import { parseConfig } from '../../config/config.loader';
import { ResiliencePolicies } from '../../resilience/resilience-policies.service';
import { ResilienceState } from '../../resilience/resilience-state.service';
import type { HealthSnapshot } from '../health-snapshot';
import type { SystemMetricsSnapshot } from '../system-metrics';
import { AlertConditions } from './alert-conditions.service';
import { AlertManager } from './alert-manager.service';

const KEY = 'sk-provider-a-0001';

function setup({ wireEvents = true } = {}) {
  const config = parseConfig(
    {
      providers: {
        a: { type: 'openai', base_url: 'http://127.0.0.1:9', api_keys: [KEY, 'sk-provider-a-0002'] },
      },
      models: { m: [{ provider: 'a', model: 'x' }] },
      resilience: { circuit_breaker: { failure_threshold: 2 } },
      alerts: {
        channels: [],
        rules: {
          high_dlq_size: { severity: 'warning', cooldown_ms: 0, threshold: 50 },
          high_memory_usage: { severity: 'warning', cooldown_ms: 0, threshold_bytes: 1000 },
        },
      },
    },
    {},
  );
  const clock = new FakeClock();
  const emitter = new EventEmitter2();
  const bus = new CortexEventBus(emitter);
  const state = new ResilienceState(config, new ResiliencePolicies(config), clock, bus);
  const manager = new AlertManager(config, [], bus, clock);
  const conditions = new AlertConditions(manager, state);
  if (wireEvents) {
    // What @OnEvent does in the application.
    emitter.on(CortexEvent.CircuitStateChanged, (e) => conditions.onCircuitStateChanged(e));
    emitter.on(CortexEvent.KeyDisabled, (e) => conditions.onKeyDisabled(e));
    emitter.on(CortexEvent.KeyRestored, (e) => conditions.onKeyRestored(e));
  }
  const active = () =>
    manager.activeAlerts().map((alert) => `${alert.rule}${alert.subject ? ` ${alert.subject}` : ''}`);
  return { state, manager, conditions, active };
}

function snapshot(
  overrides: { healthy?: number; dlqSize?: number; dlqError?: string; rss?: number } = {},
): HealthSnapshot {
  const healthy = overrides.healthy ?? 1;
  return {
    at: 0,
    deployments: [
      {
        name: 'a/x',
        provider: 'a',
        model: 'x',
        healthy: healthy > 0,
        reason: healthy > 0 ? undefined : 'probe_failed:timeout',
        circuitState: 'closed',
        keyAvailable: true,
        probe: { kind: 'failed', failureClass: FailureClass.Timeout },
        trafficCalls: 0,
      },
    ],
    healthy,
    total: 1,
    healthyShare: healthy,
    durationMs: 1,
    system: { rss_bytes: overrides.rss ?? 10 } as SystemMetricsSnapshot,
    dlq: {
      size: overrides.dlqSize ?? 0,
      store: 'memory',
      ...(overrides.dlqError ? { error: overrides.dlqError } : {}),
    },
  };
}

function openChatBreaker(state: ResilienceState, operation: 'chat' | 'probe' = 'chat'): void {
  const breaker = state.breakers.get('a', 'x', operation);
  for (let i = 0; i < 2; i++) breaker.tryAcquire()!.failure(FailureClass.ServiceUnavailable);
}

describe(AlertConditions.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('no_available_workers holds while the check finds no healthy deployment', () => {
    const { conditions, active, manager } = setup();
    conditions.evaluate(snapshot({ healthy: 0 }));
    expect(active()).toEqual(['no_available_workers']);
    expect(manager.activeAlerts()[0].message).toBe('no deployment is usable (a/x: probe_failed:timeout)');
    conditions.evaluate(snapshot({ healthy: 1 }));
    expect(active()).toEqual([]);
    expect(manager.resolvedAlerts().map((alert) => alert.rule)).toEqual(['no_available_workers']);
  });

  it('a chat circuit opening raises circuit_breaker_open at once; closing resolves it; probe breakers never alert', () => {
    const { state, conditions, active, manager } = setup();
    openChatBreaker(state, 'probe');
    expect(active()).toEqual([]);
    openChatBreaker(state);
    expect(active()).toEqual(['circuit_breaker_open a/x']);
    expect(manager.activeAlerts()[0].message).toBe('circuit a/x is open: 2 consecutive failures');
    conditions.evaluate(snapshot());
    expect(active()).toEqual(['circuit_breaker_open a/x']);
    state.breakers.get('a', 'x').reset();
    expect(active()).toEqual([]);
  });

  it('the scheduled check raises and resolves circuit alerts even when no event was heard', () => {
    const { state, conditions, active } = setup({ wireEvents: false });
    openChatBreaker(state);
    state.breakers.get('b', 'y').forceOpen();
    conditions.evaluate(snapshot());
    expect(active()).toEqual(['circuit_breaker_open a/x', 'circuit_breaker_open b/y']);
    state.breakers.get('a', 'x').reset();
    conditions.evaluate(snapshot());
    expect(active()).toEqual(['circuit_breaker_open b/y']);
  });

  it('high_dlq_size and high_memory_usage hold at or above their thresholds', () => {
    const { conditions, active, manager } = setup();
    conditions.evaluate(snapshot({ dlqSize: 49, rss: 999 }));
    expect(active()).toEqual([]);
    conditions.evaluate(snapshot({ dlqSize: 50, rss: 1000 }));
    expect(active()).toEqual(['high_dlq_size', 'high_memory_usage']);
    expect(manager.activeAlerts().map((alert) => alert.message)).toEqual([
      'the dead letter queue holds 50 records (threshold 50)',
      'resident memory is 1000 bytes (threshold 1000)',
    ]);
    conditions.evaluate(snapshot({ dlqSize: 3, rss: 10 }));
    expect(active()).toEqual([]);
  });

  it('a disabled key raises key_disabled for that key; restoring it resolves the alert', () => {
    const { state, active, manager } = setup();
    state.pool('a').disable(KEY, FailureClass.AuthError);
    expect(active()).toEqual(['key_disabled a/...0001']);
    expect(manager.activeAlerts()[0]).toMatchObject({
      severity: 'critical',
      message:
        'API key ...0001 of a was disabled (auth_error); it stays out of rotation until an operator enables it',
    });
    state.pool('a').enable(KEY);
    expect(active()).toEqual([]);
  });

  it('the scheduled check catches up on keys disabled or restored without an event', () => {
    const { state, conditions, active } = setup({ wireEvents: false });
    state.pool('a').disable(KEY, FailureClass.AuthError);
    conditions.evaluate(snapshot());
    expect(active()).toEqual(['key_disabled a/...0001']);
    state.pool('a').enable(KEY);
    conditions.evaluate(snapshot());
    expect(active()).toEqual([]);
  });

  it('a failed dead letter write raises dlq_store_unavailable; a store answering the next check resolves it', () => {
    const { conditions, active, manager } = setup();
    conditions.onDlqWriteFailed({ requestId: 'req-1', message: 'disk I/O error', at: 0 });
    expect(manager.activeAlerts().map((a) => [a.rule, a.severity, a.message])).toEqual([
      [
        'dlq_store_unavailable',
        'critical',
        'the dead letter queue could not record request req-1: disk I/O error',
      ],
    ]);
    conditions.evaluate(snapshot({ dlqError: 'database is locked' }));
    expect(manager.activeAlerts()[0].message).toBe(
      'the dead letter store (memory) is unavailable: database is locked',
    );
    conditions.evaluate(snapshot());
    expect(active()).toEqual([]);
  });
});
