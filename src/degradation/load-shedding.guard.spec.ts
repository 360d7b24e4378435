import { EventEmitter } from 'node:events';
import { type ExecutionContext, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CortexEvent, CortexEventBus, type DegradationLevel, type RequestShedEvent } from '../common/events';
import { FakeClock } from '../common/fake-clock';
import { GatewayError } from '../common/gateway-error';
import { RandomSource, SeededRandom } from '../common/random';
import { parseConfig } from '../config/config.loader';
import type { ClientTier } from '../config/config.schema';
import { RoutingAdjustments } from '../resilience/routing-adjustments';
import { ConcurrencyCap } from './concurrency-cap';
import { DEGRADATION_LEVELS } from './degradation-levels';
import { DegradationManager } from './degradation-manager.service';
import { LoadSheddingGuard } from './load-shedding.guard';

/** A Node response as far as the guard looks at it. */
class FakeResponse extends EventEmitter {
  closed = false;
  destroyed = false;
  close(): void {
    this.closed = true;
    this.emit('close');
  }
}

function httpContext(tier: ClientTier | undefined, response = new FakeResponse()): ExecutionContext {
  const request = { cortexClient: tier && { name: `team-${tier}`, tier } };
  return {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({ raw: response }) }),
  } as unknown as ExecutionContext;
}

function setup(random: RandomSource = new SeededRandom(20_240_601), maxConcurrent = 2) {
  const config = parseConfig(
    {
      providers: { p: { type: 'ollama', base_url: 'http://127.0.0.1:1' } },
      models: { m: [{ provider: 'p', model: 'x' }] },
      degradation: { retry_after_seconds: 17, max_concurrent_requests: maxConcurrent },
    },
    {},
  );
  const clock = new FakeClock();
  const emitter = new EventEmitter2();
  const shed: RequestShedEvent[] = [];
  emitter.on(CortexEvent.RequestShed, (event: RequestShedEvent) => shed.push(event));
  const bus = new CortexEventBus(emitter);
  const manager = new DegradationManager(config, clock, bus, new RoutingAdjustments());
  const cap = new ConcurrencyCap();
  const guard = new LoadSheddingGuard(manager, cap, random, bus, clock, config);
  /** One decision: true when admitted; an admitted request's response closes at once. */
  const decide = (tier: ClientTier | undefined): boolean => {
    const response = new FakeResponse();
    try {
      guard.canActivate(httpContext(tier, response));
      response.close();
      return true;
    } catch (error) {
      if (error instanceof GatewayError && error.status === 503) return false;
      throw error;
    }
  };
  return { config, manager, cap, guard, shed, decide, clock };
}

const CONTRACT_ACCEPTANCE: Record<DegradationLevel, Record<ClientTier, number>> = {
  healthy: { premium: 1, normal: 1 },
  minor_issues: { premium: 1, normal: 1 },
  major_issues: { premium: 1, normal: 0.7 },
  critical: { premium: 1, normal: 0.3 },
  emergency: { premium: 0.5, normal: 0 },
};

describe(LoadSheddingGuard.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('admits each (level, tier) at the acceptance table rate within ±2% over 10,000 seeded decisions', () => {
    const { config, manager, decide } = setup(new SeededRandom(7), 1_000_000);
    expect(config.degradation.acceptance).toEqual(CONTRACT_ACCEPTANCE);
    const rates: Record<string, Record<ClientTier, number>> = {};
    for (const level of DEGRADATION_LEVELS) {
      manager.force(level, 60);
      rates[level] = { premium: 0, normal: 0 };
      for (const tier of ['premium', 'normal'] as const) {
        let admitted = 0;
        for (let i = 0; i < 10_000; i++) if (decide(tier)) admitted++;
        rates[level][tier] = admitted / 10_000;
        expect(Math.abs(rates[level][tier] - CONTRACT_ACCEPTANCE[level][tier])).toBeLessThanOrEqual(0.02);
      }
    }
    // Certain outcomes are exact, never approximations.
    expect(rates.healthy).toEqual({ premium: 1, normal: 1 });
    expect(rates.critical.premium).toBe(1);
    expect(rates.emergency.normal).toBe(0);
  });

  it('draws from the random source only when the probability is strictly between 0 and 1', () => {
    const random = { next: jest.fn(() => 0.5) };
    const { manager, decide } = setup(random, 1_000_000);
    manager.force('critical', 60);
    expect([decide('premium'), decide('premium')]).toEqual([true, true]);
    expect(random.next).not.toHaveBeenCalled();
    expect(decide('normal')).toBe(false); // 0.5 is not < 0.3
    expect(random.next).toHaveBeenCalledTimes(1);
    manager.force('emergency', 60);
    expect(decide('normal')).toBe(false);
    expect(random.next).toHaveBeenCalledTimes(1);
  });

  it('treats a request without a configured client as normal tier', () => {
    const random = { next: jest.fn(() => 0.29) };
    const { manager, decide, shed } = setup(random);
    manager.force('emergency', 60);
    expect(decide(undefined)).toBe(false);
    expect(shed).toEqual([expect.objectContaining({ tier: 'normal', level: 'emergency' })]);
  });

  it('answers a shed request 503 service_unavailable with Retry-After from the config, and announces it by tier', () => {
    const { manager, guard, shed, clock } = setup({ next: () => 0.99 });
    manager.force('major_issues', 60);
    let thrown: unknown;
    try {
      guard.canActivate(httpContext('normal'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const error = thrown as GatewayError;
    expect([error.status, error.retryAfterSeconds]).toEqual([503, 17]);
    expect(error.toBody()).toEqual({
      error: {
        message:
          'Cortex is degraded (major_issues) and is turning away part of the traffic of your tier; retry later.',
        type: 'service_unavailable',
        code: 'load_shed',
        param: null,
        failure_class: 'shed',
      },
    });
    expect(shed).toEqual([{ tier: 'normal', level: 'major_issues', reason: 'acceptance', at: clock.now() }]);
  });

  it('caps requests in flight under limit_concurrent_requests, counting each until its response closes', () => {
    const { manager, guard, cap, shed } = setup();
    const first = new FakeResponse();
    const second = new FakeResponse();
    // Counting runs at every level, so the count is right when the cap starts to apply.
    expect(guard.canActivate(httpContext('premium', first))).toBe(true);
    manager.force('critical', 60);
    expect(guard.canActivate(httpContext('premium', second))).toBe(true);
    expect(cap.inFlight).toBe(2);
    expect(() => guard.canActivate(httpContext('premium'))).toThrow(GatewayError);
    expect(shed).toEqual([
      expect.objectContaining({ tier: 'premium', level: 'critical', reason: 'concurrency_limit' }),
    ]);
    first.close();
    first.close();
    expect(cap.inFlight).toBe(1);
    expect(guard.canActivate(httpContext('premium'))).toBe(true);
    expect(cap.inFlight).toBe(2);
  });

  it('does not cap below critical', () => {
    const { manager, guard, cap } = setup();
    manager.force('major_issues', 60);
    for (let i = 0; i < 5; i++) expect(guard.canActivate(httpContext('premium'))).toBe(true);
    expect(cap.inFlight).toBe(5);
  });

  it('releases at once the slot of a client that left before the guard ran', () => {
    const { guard, cap } = setup();
    const gone = new FakeResponse();
    gone.closed = true;
    expect(guard.canActivate(httpContext('premium', gone))).toBe(true);
    expect(cap.inFlight).toBe(0);
  });
});
