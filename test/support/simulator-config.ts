import type { SimulatorHandle } from '../../src/simulator';

/** The six providers the simulator serves out of the box, by the protocol the gateway speaks to them. */
export const SIMULATED_PROVIDERS = [
  { name: 'openai', type: 'openai', path: '/v1', model: 'gpt-4o-mini', key: 'sk-test-openai-0001' },
  {
    name: 'groq',
    type: 'openai',
    path: '/openai/v1',
    model: 'llama-3.1-8b-instant',
    key: 'gsk_test_groq_0002',
  },
  {
    name: 'gemini',
    type: 'gemini',
    path: '/v1beta',
    model: 'gemini-2.0-flash',
    key: 'AIza-test-gemini-0003',
  },
  { name: 'cohere', type: 'cohere', path: '', model: 'command-r', key: 'co-test-cohere-0004' },
  { name: 'ollama', type: 'ollama', path: '', model: 'llama3.2', key: undefined },
  {
    name: 'anthropic',
    type: 'anthropic',
    path: '',
    model: 'claude-3-5-haiku-latest',
    key: 'sk-ant-test-0005',
  },
] as const;

export type SimulatedProviderName = (typeof SIMULATED_PROVIDERS)[number]['name'];

/**
 * A gateway config whose providers all point at the simulator: one model per provider (`via-<name>`)
 * plus whatever chains and overrides a test adds.
 */
export function simulatorConfig(
  simulator: SimulatorHandle,
  extra: {
    models?: Record<string, Array<{ provider: string; model: string }>>;
    [section: string]: unknown;
  } = {},
  providerOverrides: Record<string, Record<string, unknown>> = {},
): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  const models: Record<string, Array<{ provider: string; model: string }>> = {};
  for (const provider of SIMULATED_PROVIDERS) {
    providers[provider.name] = {
      type: provider.type,
      base_url: simulator.baseUrl(provider.name),
      api_keys: provider.key ? [provider.key] : [],
      ...providerOverrides[provider.name],
    };
    models[`via-${provider.name}`] = [{ provider: provider.name, model: provider.model }];
  }
  const { models: extraModels, ...rest } = extra;
  return { providers, models: { ...models, ...extraModels }, ...rest };
}

/** Provider timeouts of the chaos and durability stages: short, so a hung upstream costs a scenario seconds. */
export const STAGE_TIMEOUTS = { timeout_ms: 5000, first_token_timeout_ms: 2000, idle_timeout_ms: 2000 };

/** Declares each of `names` in the simulator (OpenAI flavour) unless it already serves one by that name. */
export async function declareProviders(simulator: SimulatorHandle, names: Iterable<string>): Promise<void> {
  for (const name of names) {
    if (!simulator.providers().some((provider) => provider.name === name)) {
      await simulator.declareProvider({ name, flavour: 'openai' });
    }
  }
}

/**
 * The `providers` and `models` sections of a chain: each provider of `chain` at its simulator URL
 * (OpenAI flavour, one key `sk-<name>-key-0001`) with `fields(name)` over that, and one model `chat`
 * (gpt-4o-mini on each) falling back along the chain in order.
 */
export function chainSections(
  simulator: SimulatorHandle,
  chain: readonly string[],
  fields: (name: string) => Record<string, unknown> = () => ({}),
): { providers: Record<string, unknown>; models: Record<string, unknown> } {
  const providers: Record<string, unknown> = {};
  for (const name of new Set(chain)) {
    providers[name] = {
      type: 'openai',
      base_url: simulator.baseUrl(name),
      api_keys: [`sk-${name}-key-0001`],
      ...fields(name),
    };
  }
  return { providers, models: { chat: chain.map((provider) => ({ provider, model: 'gpt-4o-mini' })) } };
}
