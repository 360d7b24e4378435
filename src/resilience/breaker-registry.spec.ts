import { FakeClock } from '../common/fake-clock';
import { FailureClass } from '../common/failure-class';
import { BreakerRegistry } from './breaker-registry';
import { MemoryBreakerStateStore } from './breaker-state.store';
import type { BreakerSettings, BreakerTransition } from './circuit-breaker';

const settings: BreakerSettings = {
  failure_threshold: 2,
  failure_rate_threshold: 0.5,
  window_ms: 10_000,
  minimum_calls: 10,
  recovery_timeout_ms: 1000,
  reset_timeout_ms: 30_000,
  half_open_max_probes: 1,
};

function setup() {
  const clock = new FakeClock();
  const transitions: BreakerTransition[] = [];
  const settingsFor = jest.fn((provider: string) =>
    provider === 'groq' ? settings : { ...settings, failure_threshold: 5 },
  );
  const store = new MemoryBreakerStateStore();
  const registry = new BreakerRegistry(settingsFor, clock, (t) => transitions.push(t), store);
  return { clock, transitions, settingsFor, store, registry };
}

describe(BreakerRegistry.name, () => {
  it('creates one breaker per deployment and operation, lazily', () => {
    const { registry, settingsFor } = setup();
    expect(registry.all()).toEqual([]);
    const chat = registry.get('groq', 'llama');
    expect(registry.get('groq', 'llama', 'chat')).toBe(chat);
    const probe = registry.get('groq', 'llama', 'probe');
    const other = registry.get('gemini', 'meta/llama-3');
    expect([chat.name, probe.name, other.name]).toEqual([
      'groq/llama',
      'groq/llama#probe',
      'gemini/meta/llama-3',
    ]);
    expect(probe).not.toBe(chat);
    expect(registry.all()).toEqual([chat, probe, other]);
    expect(settingsFor.mock.calls).toEqual([['groq'], ['groq'], ['gemini']]);
  });

  it('names breakers the way get() does', () => {
    expect(BreakerRegistry.nameOf('groq', 'llama')).toBe('groq/llama');
    expect(BreakerRegistry.nameOf('groq', 'llama', 'probe')).toBe('groq/llama#probe');
  });

  it('finds a breaker by name, for the admin endpoints', () => {
    const { registry } = setup();
    const probe = registry.get('groq', 'llama', 'probe');
    expect(registry.find('groq/llama#probe')).toBe(probe);
    expect(registry.find('groq/llama')).toBeUndefined();
  });

  it("applies each provider's settings and reports every transition by breaker name", () => {
    const { registry, transitions } = setup();
    for (const provider of ['groq', 'gemini']) {
      for (let i = 0; i < 2; i++) registry.get(provider, 'm').tryAcquire()!.failure(FailureClass.Timeout);
    }
    expect(registry.get('groq', 'm').state).toBe('open');
    expect(registry.get('gemini', 'm').state).toBe('closed');
    expect(transitions.map((t) => [t.breaker, t.from, t.to])).toEqual([['groq/m', 'closed', 'open']]);
  });

  it('gives its breakers the shared store, so a new registry resumes them', () => {
    const { clock, registry, store, settingsFor } = setup();
    registry.get('groq', 'm').forceOpen();
    expect(store.names()).toEqual(['groq/m']);
    const next = new BreakerRegistry(settingsFor, clock, () => undefined, store);
    expect(next.get('groq', 'm').state).toBe('forced_open');
  });
});
