import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CortexEvent, CortexEventBus, type AlertEvent } from '../../common/events';
import { FakeClock } from '../../common/fake-clock';
import { parseConfig } from '../../config/config.loader';
import { AlertManager } from './alert-manager.service';
import type { AlertChannel, AlertNotification } from './alert.types';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

function setup(rules: Record<string, unknown> = {}, extraChannels: AlertChannel[] = []) {
  const config = parseConfig(
    {
      providers: { a: { type: 'openai', base_url: 'http://127.0.0.1:9', api_keys: ['sk-a-key-0001'] } },
      models: { m: [{ provider: 'a', model: 'x' }] },
      alerts: { channels: [], rules },
    },
    {},
  );
  const clock = new FakeClock(T0);
  const notices: Array<{ kind: AlertNotification['kind']; id: string; rule: string; at: number }> = [];
  const channel: AlertChannel = {
    name: 'test',
    deliver: ({ kind, alert, at }) => notices.push({ kind, id: alert.id, rule: alert.rule, at: at - T0 }),
  };
  const emitter = new EventEmitter2();
  const events: Array<{ name: string; payload: AlertEvent }> = [];
  for (const name of [CortexEvent.AlertRaised, CortexEvent.AlertResolved]) {
    emitter.on(name, (payload: AlertEvent) => events.push({ name, payload }));
  }
  const manager = new AlertManager(config, [...extraChannels, channel], new CortexEventBus(emitter), clock);
  return { manager, clock, notices, events };
}

describe(AlertManager.name, () => {
  let logged: jest.SpyInstance;
  let errors: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('notifies a raise once; repeats inside the cooldown stay quiet; a reminder follows once it has passed', () => {
    const { manager, clock, notices, events } = setup();
    const alert = manager.raise('circuit_breaker_open', 'a/x', 'circuit a/x is open');
    expect(notices).toEqual([{ kind: 'raised', id: alert.id, rule: 'circuit_breaker_open', at: 0 }]);
    expect(events).toEqual([
      {
        name: CortexEvent.AlertRaised,
        payload: {
          id: alert.id,
          rule: 'circuit_breaker_open',
          severity: 'warning',
          subject: 'a/x',
          message: 'circuit a/x is open',
          at: T0,
        },
      },
    ]);

    clock.advance(3 * MINUTE - 1); // cooldown_ms 180000 by default
    expect(manager.raise('circuit_breaker_open', 'a/x', 'still open')).toBe(alert);
    expect(notices).toHaveLength(1);
    clock.advance(1);
    manager.raise('circuit_breaker_open', 'a/x', 'still open');
    expect(notices.map((n) => [n.kind, n.at])).toEqual([
      ['raised', 0],
      ['reminder', 3 * MINUTE],
    ]);
    expect(alert).toMatchObject({
      occurrences: 3,
      notifications: 2,
      message: 'still open',
      status: 'active',
    });
    expect(events).toHaveLength(1);
  });

  it('one instance per rule and subject: another subject is its own alert with its own cooldown', () => {
    const { manager, notices } = setup();
    const first = manager.raise('circuit_breaker_open', 'a/x', 'open');
    const second = manager.raise('circuit_breaker_open', 'b/y', 'open');
    expect(second.id).not.toBe(first.id);
    expect(notices.map((n) => n.kind)).toEqual(['raised', 'raised']);
    expect(manager.activeAlerts()).toEqual([first, second]);
  });

  it('acknowledging silences reminders, and the resolve is still announced', () => {
    const { manager, clock, notices } = setup();
    const alert = manager.raise('no_available_workers', undefined, 'nothing usable');
    clock.advance(MINUTE);
    expect(manager.acknowledge(alert.id, 'alice')).toEqual({ outcome: 'acknowledged', alert });
    expect(logged).toHaveBeenCalledWith(`alert ${alert.id} (no_available_workers) acknowledged by alice`);
    expect(alert).toMatchObject({ acknowledgedAt: T0 + MINUTE, acknowledgedBy: 'alice' });

    clock.advance(60 * MINUTE); // far past the 5-minute cooldown
    manager.raise('no_available_workers', undefined, 'nothing usable');
    expect(notices.map((n) => n.kind)).toEqual(['raised']);

    expect(manager.resolve('no_available_workers', undefined)).toBe(alert);
    expect(notices.map((n) => [n.kind, n.at])).toEqual([
      ['raised', 0],
      ['resolved', 61 * MINUTE],
    ]);
    // A second acknowledge changes nothing; an acknowledge after the resolve is refused.
    expect(manager.acknowledge(alert.id)).toEqual({ outcome: 'resolved', alert });
    expect(alert.acknowledgedBy).toBe('alice');
    expect(manager.acknowledge('alert_unknown')).toBeUndefined();
  });

  it('resolving moves the alert to the resolved list, emits alert.resolved, and a resolve of nothing is a no-op', () => {
    const { manager, clock, events } = setup();
    expect(manager.resolve('high_dlq_size', undefined)).toBeUndefined();
    const alert = manager.raise('high_dlq_size', undefined, '60 records');
    clock.advance(5000);
    manager.resolve('high_dlq_size', undefined);
    expect(alert).toMatchObject({ status: 'resolved', resolvedAt: T0 + 5000 });
    expect(manager.activeAlerts()).toEqual([]);
    expect(manager.resolvedAlerts()).toEqual([alert]);
    expect(manager.find(alert.id)).toBe(alert);
    expect(events.map((e) => [e.name, e.payload.at - T0])).toEqual([
      [CortexEvent.AlertRaised, 0],
      [CortexEvent.AlertResolved, 5000],
    ]);
  });

  it('a condition flapping inside the cooldown raises new instances without paging again, and their resolves stay quiet', () => {
    const { manager, clock, notices } = setup();
    const first = manager.raise('circuit_breaker_open', 'a/x', 'open');
    clock.advance(10_000);
    manager.resolve('circuit_breaker_open', 'a/x');
    clock.advance(10_000);
    const second = manager.raise('circuit_breaker_open', 'a/x', 'open again');
    clock.advance(10_000);
    manager.resolve('circuit_breaker_open', 'a/x');
    expect(second.id).not.toBe(first.id);
    expect(second.notifications).toBe(0);
    expect(notices.map((n) => [n.kind, n.id])).toEqual([
      ['raised', first.id],
      ['resolved', first.id],
    ]);
    // Past the cooldown counted from the last notice, a new raise pages again.
    clock.advance(3 * MINUTE);
    const third = manager.raise('circuit_breaker_open', 'a/x', 'open once more');
    expect(notices.at(-1)).toEqual({
      kind: 'raised',
      id: third.id,
      rule: 'circuit_breaker_open',
      at: 3 * MINUTE + 30_000,
    });
  });

  it("takes each rule's severity and cooldown from that rule's own entry", () => {
    const { manager, clock, notices } = setup({
      circuit_breaker_open: { severity: 'critical', cooldown_ms: 1000 },
      key_disabled: { severity: 'info', cooldown_ms: 0 },
      high_memory_usage: { severity: 'warning', cooldown_ms: 0, threshold_bytes: 10 },
    });
    expect(manager.raise('circuit_breaker_open', 'a/x', 'open').severity).toBe('critical');
    expect(manager.raise('key_disabled', 'a/...0001', 'disabled').severity).toBe('info');
    expect(manager.raise('no_available_workers', undefined, 'none').severity).toBe('critical');
    expect(manager.raise('high_dlq_size', undefined, 'many').severity).toBe('warning');
    expect(manager.raise('dlq_store_unavailable', undefined, 'down').severity).toBe('critical');
    expect(manager.settings('high_memory_usage')).toEqual({
      severity: 'warning',
      cooldownMs: 0,
      thresholdBytes: 10,
    });
    expect(manager.settings('high_dlq_size')).toEqual({
      severity: 'warning',
      cooldownMs: 600_000,
      threshold: 50,
    });
    expect(manager.activeSeverities()).toEqual(['critical', 'info', 'critical', 'warning', 'critical']);
    clock.advance(1000);
    manager.raise('circuit_breaker_open', 'a/x', 'open');
    expect(notices.filter((n) => n.rule === 'circuit_breaker_open').map((n) => n.kind)).toEqual([
      'raised',
      'reminder',
    ]);
  });

  it('key_disabled is announced once per disabled key, never as a reminder (its cooldown is 0)', () => {
    const { manager, clock, notices } = setup();
    manager.raise('key_disabled', 'a/...0001', 'disabled');
    for (let check = 0; check < 5; check++) {
      clock.advance(30_000);
      manager.raise('key_disabled', 'a/...0001', 'disabled');
    }
    expect(notices.map((n) => n.kind)).toEqual(['raised']);
  });

  it('a throwing channel never stops the others or the caller', () => {
    const broken: AlertChannel = {
      name: 'broken',
      deliver: () => {
        throw new Error('boom');
      },
    };
    const { manager, notices } = setup({}, [broken]);
    expect(() => manager.raise('high_memory_usage', undefined, 'big')).not.toThrow();
    expect(notices.map((n) => n.kind)).toEqual(['raised']);
    expect(errors).toHaveBeenCalledWith('alert channel broken failed: boom');
  });

  it('keeps the last 100 resolved alerts', () => {
    const { manager, clock } = setup();
    for (let i = 0; i < 105; i++) {
      manager.raise('circuit_breaker_open', `p/m${i}`, 'open');
      clock.advance(1);
      manager.resolve('circuit_breaker_open', `p/m${i}`);
    }
    const resolved = manager.resolvedAlerts();
    expect(resolved).toHaveLength(100);
    expect([resolved[0].subject, resolved[99].subject]).toEqual(['p/m104', 'p/m5']);
  });
});
