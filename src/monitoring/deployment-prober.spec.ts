import { EventEmitter2 } from '@nestjs/event-emitter';
import { CortexEvent, CortexEventBus, type KeyStateEvent } from '../common/events';
import { FailureClass } from '../common/failure-class';
import { FakeClock } from '../common/fake-clock';
import { UpstreamError } from '../common/upstream-error';
import { parseConfig } from '../config/config.loader';
import type { ProviderRegistry } from '../providers/provider-registry.service';
import { ResiliencePolicies } from '../resilience/resilience-policies.service';
import { ResilienceState } from '../resilience/resilience-state.service';
import { DeploymentProber } from './deployment-prober';

const K1 = 'sk-openai-key-0001';
const K2 = 'sk-openai-key-0002';

type ProbeOptions = { apiKey?: string; signal?: AbortSignal; timeoutMs?: number };

function setup(keys: string[] = [K1, K2]) {
  const config = parseConfig(
    {
      providers: {
        openai: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_keys: keys, timeout_ms: 4000 },
        ollama: { type: 'ollama', base_url: 'http://127.0.0.1:9', timeout_ms: 60_000 },
      },
      models: {
        fast: [
          { provider: 'openai', model: 'gpt-4o-mini' },
          { provider: 'ollama', model: 'llama3.2' },
        ],
        // The same deployment in a second chain is probed once.
        other: [{ provider: 'openai', model: 'gpt-4o-mini' }],
      },
      resilience: { circuit_breaker: { failure_threshold: 2, recovery_timeout_ms: 10_000 } },
    },
    {},
  );
  const clock = new FakeClock();
  const emitter = new EventEmitter2();
  const disabled: KeyStateEvent[] = [];
  emitter.on(CortexEvent.KeyDisabled, (event: KeyStateEvent) => disabled.push(event));
  const state = new ResilienceState(
    config,
    new ResiliencePolicies(config),
    clock,
    new CortexEventBus(emitter),
  );
  const probes = {
    openai: jest.fn(async (_options: ProbeOptions): Promise<void> => {
      clock.advance(25);
    }),
    ollama: jest.fn(async (_options: ProbeOptions): Promise<void> => undefined),
  };
  const registry = {
    adapter: (name: 'openai' | 'ollama') => ({ config: config.providers[name], probe: probes[name] }),
  } as unknown as ProviderRegistry;
  const prober = new DeploymentProber(config, registry, state, clock);
  const signal = new AbortController().signal;
  const openai = () => prober.check({ provider: 'openai', model: 'gpt-4o-mini' }, signal);
  return { prober, state, clock, probes, disabled, signal, openai };
}

describe(DeploymentProber.name, () => {
  it('probes each deployment once, through its probe breaker with a key from the pool, never the chat breaker', async () => {
    const { prober, state, probes, signal } = setup();
    expect(prober.list()).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'ollama', model: 'llama3.2' },
    ]);
    const checks = await prober.checkAll(signal);
    expect(checks.map((c) => [c.name, c.healthy, c.probe])).toEqual([
      ['openai/gpt-4o-mini', true, { kind: 'reachable', latencyMs: 25 }],
      ['ollama/llama3.2', true, { kind: 'reachable', latencyMs: 0 }],
    ]);
    // The probe timeout is the provider's, capped at 10 s; keyless Ollama gets no key.
    expect(probes.openai.mock.calls).toEqual([[{ apiKey: K1, signal, timeoutMs: 4000 }]]);
    expect(probes.ollama.mock.calls).toEqual([[{ apiKey: undefined, signal, timeoutMs: 10_000 }]]);
    expect(state.breakers.get('openai', 'gpt-4o-mini', 'probe').stats()).toMatchObject({
      totalCalls: 1,
      totalSuccesses: 1,
    });
    expect(state.breakers.get('openai', 'gpt-4o-mini').stats().totalCalls).toBe(0);
  });

  it('a probe rejected with auth_error disables that key like a real request; another key keeps the deployment healthy', async () => {
    const { state, probes, disabled, openai } = setup();
    probes.openai.mockRejectedValueOnce(
      new UpstreamError(FailureClass.AuthError, 'bad key', { status: 401 }),
    );
    const check = await openai();
    expect(disabled).toEqual([
      { provider: 'openai', keySuffix: '...0001', reason: 'auth_error', at: 1_700_000_000_000 },
    ]);
    expect(
      state
        .pool('openai')
        .snapshot()
        .map((key) => [key.keySuffix, key.status]),
    ).toEqual([
      ['...0001', 'disabled'],
      ['...0002', 'healthy'],
    ]);
    expect([check.healthy, check.probe]).toEqual([
      true,
      { kind: 'reachable', latencyMs: 0, failureClass: FailureClass.AuthError },
    ]);
    // The probe breaker saw a reachable upstream, not a failure.
    expect(state.breakers.get('openai', 'gpt-4o-mini', 'probe').stats().totalFailures).toBe(0);
    await openai();
    expect(probes.openai.mock.calls[1][0].apiKey).toBe(K2);
  });

  it('with its only key rejected the deployment has no key, and the next check sends no probe', async () => {
    const { probes, openai } = setup([K1]);
    probes.openai.mockRejectedValueOnce(
      new UpstreamError(FailureClass.AuthError, 'bad key', { status: 401 }),
    );
    expect(await openai()).toMatchObject({ healthy: false, reason: 'no_key', keyAvailable: false });
    expect(await openai()).toMatchObject({
      healthy: false,
      reason: 'no_key',
      probe: { kind: 'skipped', reason: 'probe_no_key' },
    });
    expect(probes.openai).toHaveBeenCalledTimes(1);
  });

  it('a rate-limited probe rests the key for the hinted time', async () => {
    const { state, clock, probes, openai } = setup([K1]);
    probes.openai.mockRejectedValueOnce(
      new UpstreamError(FailureClass.RateLimited, 'slow down', { status: 429, retryAfterMs: 5000 }),
    );
    expect(await openai()).toMatchObject({ healthy: false, reason: 'no_key' });
    expect(state.pool('openai').snapshot()[0]).toMatchObject({
      status: 'resting',
      reason: 'rate_limited',
      until: clock.now() + 5000,
    });
    clock.advance(5000);
    expect(await openai()).toMatchObject({ healthy: true });
  });

  it('upstream faults open the probe breaker, which then spares the upstream; the chat breaker is untouched', async () => {
    const { state, probes, openai } = setup();
    probes.openai.mockRejectedValue(
      new UpstreamError(FailureClass.ServiceUnavailable, 'down', { status: 503 }),
    );
    expect(await openai()).toMatchObject({ healthy: false, reason: 'probe_failed:service_unavailable' });
    await openai();
    expect(state.breakers.get('openai', 'gpt-4o-mini', 'probe').state).toBe('open');
    expect(await openai()).toMatchObject({
      healthy: false,
      reason: 'probe_circuit_open',
      probe: { kind: 'skipped', reason: 'probe_circuit_open' },
    });
    expect(probes.openai).toHaveBeenCalledTimes(2);
    expect(state.breakers.get('openai', 'gpt-4o-mini').state).toBe('closed');
  });

  it('fuses real traffic: recent successes keep a deployment healthy while its probe fails', async () => {
    const { state, clock, probes, openai } = setup();
    const chat = state.breakers.get('openai', 'gpt-4o-mini');
    const latency = state.latency('openai', 'gpt-4o-mini');
    for (let i = 0; i < 20; i++) {
      chat.tryAcquire()!.success();
      latency.record(100 + i);
    }
    clock.advance(1);
    probes.openai.mockRejectedValue(new UpstreamError(FailureClass.Timeout, 'slow'));
    expect(await openai()).toMatchObject({
      healthy: true,
      successRate: 1,
      trafficCalls: 20,
      p95LatencyMs: 118,
      probe: { kind: 'failed', failureClass: FailureClass.Timeout },
    });
  });

  it('an aborted check (shutdown) sends no probe and counts nothing', async () => {
    const { prober, state, probes } = setup();
    const controller = new AbortController();
    controller.abort();
    const checks = await prober.checkAll(controller.signal);
    expect(checks.map((c) => c.reason)).toEqual(['probe_aborted', 'probe_aborted']);
    expect(probes.openai).not.toHaveBeenCalled();
    expect(state.breakers.get('openai', 'gpt-4o-mini', 'probe').stats().totalCalls).toBe(0);
  });
});
