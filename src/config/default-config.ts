import type { Environment } from './config.loader';

/** Providers the built-in default enables when their standard key variable is set, in fallback order. */
const KNOWN_PROVIDERS = [
  {
    name: 'groq',
    type: 'openai',
    base_url: 'https://api.groq.com/openai/v1',
    env: 'GROQ_API_KEY',
    model: 'llama-3.1-8b-instant',
  },
  {
    name: 'openai',
    type: 'openai',
    base_url: 'https://api.openai.com/v1',
    env: 'OPENAI_API_KEY',
    model: 'gpt-4o-mini',
  },
  {
    name: 'gemini',
    type: 'gemini',
    base_url: 'https://generativelanguage.googleapis.com/v1beta',
    env: 'GEMINI_API_KEY',
    model: 'gemini-2.0-flash',
  },
  {
    name: 'cohere',
    type: 'cohere',
    base_url: 'https://api.cohere.com',
    env: 'COHERE_API_KEY',
    model: 'command-r',
  },
  {
    name: 'anthropic',
    type: 'anthropic',
    base_url: 'https://api.anthropic.com',
    env: 'ANTHROPIC_API_KEY',
    model: 'claude-3-5-haiku-latest',
  },
] as const;

/**
 * The configuration used when there is no file (CONTRACT §1): a local Ollama as the last resort,
 * plus every hosted provider whose key variable is set. One model, `default`, falls back across them.
 */
export function builtInDefaultConfig(env: Environment): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  const chain: Array<{ provider: string; model: string }> = [];
  for (const known of KNOWN_PROVIDERS) {
    if (!env[known.env]) continue;
    providers[known.name] = { type: known.type, base_url: known.base_url, api_keys: [`\${${known.env}}`] };
    chain.push({ provider: known.name, model: known.model });
  }
  providers.ollama = { type: 'ollama', base_url: 'http://127.0.0.1:11434' };
  chain.push({ provider: 'ollama', model: 'llama3.2' });
  return { providers, models: { default: chain } };
}
