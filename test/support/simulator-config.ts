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
