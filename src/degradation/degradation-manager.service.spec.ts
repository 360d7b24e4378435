import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  CortexEvent,
  CortexEventBus,
  type DegradationLevelChangedEvent,
  type HealthCheckedEvent,
} from '../common/events';
import { FakeClock } from '../common/fake-clock';
import { parseConfig } from '../config/config.loader';
import { RoutingAdjustments } from '../resilience/routing-adjustments';
import { DegradationManager } from './degradation-manager.service';

const START = 1_700_000_000_000;

function setup(degradation: Record<string, unknown> = {}) {
  const config = parseConfig(
    {
      providers: { p: { type: 'ollama', base_url: 'http://127.0.0.1:1' } },
      models: { m: [{ provider: 'p', model: 'x' }] },
      degradation,
    },
    {},
  );
  const clock = new FakeClock(START);
  const emitter = new EventEmitter2();
  const changes: DegradationLevelChangedEvent[] = [];
  emitter.on(CortexEvent.DegradationLevelChanged, (event: DegradationLevelChangedEvent) =>
    changes.push(event),
  );
  const adjustments = new RoutingAdjustments();
  const manager = new DegradationManager(config, clock, new CortexEventBus(emitter), adjustments);
  const check = (healthy: number, of = 4): void =>
    manager.onHealthChecked(healthEvent(healthy / of, clock.now()));
  return { manager, clock, changes, adjustments, check };
}

function healthEvent(healthyShare: number, at: number): HealthCheckedEvent {
  return { at, deployments: [], healthyShare, durationMs: 1 };
}

describe(DegradationManager.name, () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('starts healthy, with no strategy and the routing knobs untouched, before any health check', () => {
    const { manager, changes, adjustments } = setup();
    expect(manager.level()).toBe('healthy');
    expect(manager.snapshot()).toEqual({
      level: 'healthy',
      computedLevel: 'healthy',
      forced: undefined,
      healthyShare: undefined,
      changedAt: START,
      strategies: [],
    });
    expect(adjustments).toMatchObject({ timeoutFactor: 1, preferFastProviders: false });
    expect(changes).toEqual([]);
  });

  it('goes through every level down and back up with hysteresis, emitting and logging each change once', () => {
    const { manager, clock, changes, check } = setup();
    const steps: Array<[healthy: number, of: number]> = [
      [10, 10], // 1.0: healthy, no change
      [7, 10], // 0.7 < 0.8: minor_issues
      [7, 10], // same share: no second event
      [4, 10], // 0.4 < 0.5: major_issues
      [1, 10], // 0.1 < 0.2: critical
      [0, 10], // 0: emergency
      [2, 10], // 0.2 < recover_above.emergency 0.3: stays emergency
      [3, 10], // 0.3: back to critical (0.3 < 0.4 stops the climb)
      [5, 10], // 0.5: major_issues (0.5 < 0.7)
      [8, 10], // 0.8: minor_issues (0.8 < 0.9), though 0.8 alone would not degrade
      [8, 10], // still minor_issues
      [9, 10], // 0.9: healthy
    ];
    const seen = steps.map(([healthy, of]) => {
      clock.advance(30_000);
      check(healthy, of);
      return manager.level();
    });
    expect(seen).toEqual([
      'healthy',
      'minor_issues',
      'minor_issues',
      'major_issues',
      'critical',
      'emergency',
      'emergency',
      'critical',
      'major_issues',
      'minor_issues',
      'minor_issues',
      'healthy',
    ]);
    const transitions = [
      ['healthy', 'minor_issues', 0.7, 2],
      ['minor_issues', 'major_issues', 0.4, 4],
      ['major_issues', 'critical', 0.1, 5],
      ['critical', 'emergency', 0, 6],
      ['emergency', 'critical', 0.3, 8],
      ['critical', 'major_issues', 0.5, 9],
      ['major_issues', 'minor_issues', 0.8, 10],
      ['minor_issues', 'healthy', 0.9, 12],
    ] as const;
    expect(changes).toEqual(
      transitions.map(([from, to, healthyShare, step]) => ({
        from,
        to,
        cause: 'computed',
        healthyShare,
        at: START + step * 30_000,
      })),
    );
    // Worse levels are warnings, better ones plain logs: one line per change, none for steady checks.
    expect(warn).toHaveBeenCalledTimes(4);
    expect(log).toHaveBeenCalledTimes(4);
    expect(warn).toHaveBeenNthCalledWith(
      3,
      'degradation level major_issues -> critical (computed, healthy share 0.10); strategies: prefer_fast_providers, reduce_timeouts, cache_responses, limit_concurrent_requests',
    );
  });

  it('sets the routing knobs of each level: prefer fast from minor_issues, halved timeouts from major_issues', () => {
    const { manager, adjustments, check } = setup();
    const knobs = (healthy: number) => {
      check(healthy, 10);
      return { level: manager.level(), ...adjustments, strategies: [...manager.strategies()] };
    };
    expect(knobs(7)).toEqual({
      level: 'minor_issues',
      timeoutFactor: 1,
      preferFastProviders: true,
      strategies: ['prefer_fast_providers'],
    });
    expect(knobs(4)).toEqual({
      level: 'major_issues',
      timeoutFactor: 0.5,
      preferFastProviders: true,
      strategies: ['prefer_fast_providers', 'reduce_timeouts', 'cache_responses'],
    });
    expect(knobs(1).strategies).toEqual([
      'prefer_fast_providers',
      'reduce_timeouts',
      'cache_responses',
      'limit_concurrent_requests',
    ]);
    expect(knobs(0).strategies).toEqual([
      'prefer_fast_providers',
      'reduce_timeouts',
      'cache_responses',
      'limit_concurrent_requests',
      'return_cached_only',
    ]);
    expect(knobs(10)).toEqual({
      level: 'healthy',
      timeoutFactor: 1,
      preferFastProviders: false,
      strategies: [],
    });
  });

  it('holds a forced level for its TTL while still tracking the computed one, then returns to it once', () => {
    const { manager, clock, changes, check } = setup();
    manager.force('emergency', 60);
    check(1, 4); // major_issues computed, emergency in force
    expect(manager.snapshot()).toMatchObject({
      level: 'emergency',
      computedLevel: 'major_issues',
      forced: { level: 'emergency', expiresAt: START + 60_000 },
    });
    clock.advance(59_999);
    expect(manager.level()).toBe('emergency');
    clock.advance(1);
    expect(manager.level()).toBe('major_issues');
    expect(manager.level()).toBe('major_issues');
    expect(manager.snapshot().forced).toBeUndefined();
    expect(changes).toEqual([
      { from: 'healthy', to: 'emergency', cause: 'forced', healthyShare: undefined, at: START },
      {
        from: 'emergency',
        to: 'major_issues',
        cause: 'force_expired',
        healthyShare: 0.25,
        at: START + 60_000,
      },
    ]);
  });

  it('notices an expired force at the next health check too, before applying the check', () => {
    const { manager, clock, changes, check } = setup();
    manager.force('critical', 10);
    clock.advance(10_000);
    check(4, 4);
    expect(manager.level()).toBe('healthy');
    expect(changes.map((change) => [change.from, change.to, change.cause])).toEqual([
      ['healthy', 'critical', 'forced'],
      ['critical', 'healthy', 'force_expired'],
    ]);
  });

  it('clears a force at once, and clearing nothing changes nothing', () => {
    const { manager, clock, changes } = setup();
    expect(manager.clearForce()).toBe(false);
    manager.force('minor_issues', 300);
    clock.advance(1000);
    expect(manager.clearForce()).toBe(true);
    expect(manager.level()).toBe('healthy');
    expect(changes.map((change) => [change.to, change.cause, change.at])).toEqual([
      ['minor_issues', 'forced', START],
      ['healthy', 'force_cleared', START + 1000],
    ]);
  });

  it('emits nothing when a force or its end leaves the level as it was, and a new force replaces the old', () => {
    const { manager, clock, changes, check } = setup();
    check(1, 4); // major_issues
    manager.force('major_issues', 5);
    expect(changes).toHaveLength(1);
    manager.force('healthy', 5); // an operator may also hold the level up, e.g. over a flapping check
    expect(manager.level()).toBe('healthy');
    clock.advance(5000);
    expect(manager.level()).toBe('major_issues');
    expect(changes.map((change) => [change.to, change.cause])).toEqual([
      ['major_issues', 'computed'],
      ['healthy', 'forced'],
      ['major_issues', 'force_expired'],
    ]);
  });

  it('ignores a health check whose share is not a number, and clamps one outside 0..1', () => {
    const { manager, changes } = setup();
    manager.onHealthChecked(healthEvent(Number.NaN, START));
    expect(manager.level()).toBe('healthy');
    expect(changes).toEqual([]);
    manager.onHealthChecked(healthEvent(-0.5, START));
    expect(manager.snapshot()).toMatchObject({ level: 'emergency', healthyShare: 0 });
    manager.onHealthChecked(healthEvent(1.5, START));
    expect(manager.snapshot()).toMatchObject({ level: 'healthy', healthyShare: 1 });
  });

  it('uses the configured thresholds: degrade_below.critical 0.3 puts 1 of 4 healthy at critical', () => {
    const { manager, check } = setup({ degrade_below: { critical: 0.3 } });
    check(1, 4);
    expect(manager.level()).toBe('critical');
    check(2, 4);
    expect(manager.level()).toBe('major_issues');
  });
});
