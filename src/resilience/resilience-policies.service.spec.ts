import { parseConfig } from '../config/config.loader';
import { ResiliencePolicies } from './resilience-policies.service';

describe(ResiliencePolicies.name, () => {
  const config = parseConfig(
    {
      providers: {
        groq: {
          type: 'openai',
          base_url: 'https://api.groq.com/openai/v1',
          resilience: {
            circuit_breaker: { failure_threshold: 2 },
            retry: { rate_limit: { max_attempts: 9 } },
          },
        },
        local: { type: 'ollama', base_url: 'http://127.0.0.1:11434' },
      },
      models: {
        chat: [{ provider: 'groq', model: 'llama' }],
        batch: [{ provider: 'local', model: 'llama3.2' }],
      },
      resilience: {
        request_timeout_ms: 30_000,
        models: {
          batch: {
            request_timeout_ms: 120_000,
            max_attempts: 2,
            retry: { server_error: { base_delay_ms: 10 } },
          },
        },
      },
    },
    {},
  );
  const policies = new ResiliencePolicies(config);

  it('layers per-model overrides over the global settings', () => {
    expect(policies.forModel('chat')).toMatchObject({ requestTimeoutMs: 30_000, maxAttempts: 5 });
    const batch = policies.forModel('batch');
    expect(batch).toMatchObject({ requestTimeoutMs: 120_000, maxAttempts: 2 });
    expect(batch.retry.server_error).toEqual({
      max_attempts: 4,
      base_delay_ms: 10,
      max_delay_ms: 20_000,
      multiplier: 2,
      jitter: 'equal',
    });
  });

  it('gives directly addressed models (provider/model) the global policy', () => {
    expect(policies.forModel('groq/llama-3.3')).toMatchObject({
      model: 'groq/llama-3.3',
      requestTimeoutMs: 30_000,
      maxAttempts: 5,
    });
  });

  it("applies a provider's breaker and retry overrides to that provider only", () => {
    expect(policies.breakerSettings('groq').failure_threshold).toBe(2);
    expect(policies.breakerSettings('groq').recovery_timeout_ms).toBe(60_000);
    expect(policies.breakerSettings('local').failure_threshold).toBe(5);
    expect(policies.retryStrategy(policies.forModel('chat'), 'groq', 'rate_limit').max_attempts).toBe(9);
    expect(policies.retryStrategy(policies.forModel('chat'), 'local', 'rate_limit').max_attempts).toBe(5);
  });

  it('lets the provider override win over the model override', () => {
    const batch = policies.forModel('batch');
    expect(policies.retryStrategy(batch, 'local', 'server_error').base_delay_ms).toBe(10);
    expect(policies.retryStrategy(batch, 'groq', 'rate_limit').max_attempts).toBe(9);
  });
});
