import OpenAI from 'openai';
import type { FaultRule } from '../../src/simulator/fault-profile.types';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { startGateway, type RunningGateway } from '../support/gateway-harness';
import { simulatorConfig } from '../support/simulator-config';

/** The plain fallback chain: a retryable failure of one deployment moves the request to the next. */
describe('fallback chain', () => {
  let simulator: SimulatorHandle;
  let gateway: RunningGateway;
  const messages = [{ role: 'user' as const, content: 'hello there' }];

  /** A stream through the chain, read to its end: the text it carried and the response's headers. */
  async function streamChain(): Promise<{ text: string; response: Response }> {
    const { data, response } = await gateway.openai.chat.completions
      .create({ model: 'chain', messages, stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
    return { text, response };
  }

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
  });
  // A fresh gateway per test: keys rested or disabled by one test must not leak into the next.
  beforeEach(async () => {
    await simulator.reset();
    gateway = await startGateway(
      simulatorConfig(simulator, {
        models: {
          chain: [
            { provider: 'openai', model: 'gpt-4o-mini' },
            { provider: 'gemini', model: 'gemini-2.0-flash' },
            { provider: 'ollama', model: 'llama3.2' },
          ],
        },
        // No same-deployment retries here: this suite is about the chain itself.
        resilience: {
          retry: {
            server_error: { max_attempts: 1 },
            network: { max_attempts: 1 },
            rate_limit: { max_attempts: 1 },
          },
        },
      }),
    );
  });
  afterEach(async () => {
    await gateway?.close();
  });
  afterAll(async () => {
    await simulator?.close();
  });

  const failures: Array<[string, FaultRule, string]> = [
    ['500', { action: 'error', status: 500 }, 'service_unavailable'],
    ['503', { action: 'error', status: 503 }, 'service_unavailable'],
    [
      '429 with Retry-After',
      { action: 'error', status: 429, hint: 'retry_after', hint_ms: 2000 },
      'rate_limited',
    ],
    ['quota exhausted', { action: 'error', status: 429, variant: 'quota' }, 'quota_exceeded'],
    ['401 bad key', { action: 'error', status: 401 }, 'auth_error'],
    ['connection reset', { action: 'reset_before_headers' }, 'network_error'],
    ['truncated JSON', { action: 'malformed', kind: 'truncated_json' }, 'parse_error'],
    ['HTML page with 200', { action: 'malformed', kind: 'html' }, 'parse_error'],
    ['JSON without choices', { action: 'malformed', kind: 'no_choices' }, 'parse_error'],
    // The upstream closes the socket before the declared length: a connection failure.
    ['Content-Length mismatch', { action: 'malformed', kind: 'content_length_mismatch' }, 'network_error'],
  ];

  it.each(failures)('falls back past %s', async (_name, rule, failureClass) => {
    await simulator.setFaults('openai', { rules: [rule] });
    const { data, response } = await gateway.openai.chat.completions
      .create({ model: 'chain', messages })
      .withResponse();
    expect(data.choices[0].message.content).toBeTruthy();
    expect(response.headers.get('x-cortex-provider')).toBe('gemini');
    expect(response.headers.get('x-cortex-attempts')).toBe('2');
    expect(response.headers.get('x-cortex-route')).toBe(`openai=${failureClass},gemini=ok`);
    expect(simulator.requests({ provider: 'openai' })).toHaveLength(1);
    expect(simulator.requests({ provider: 'gemini' })).toHaveLength(1);
  });

  it('walks the whole chain down to the local Ollama', async () => {
    await simulator.setFaults('openai', { rules: [{ action: 'error', status: 503 }] });
    await simulator.setFaults('gemini', { rules: [{ action: 'error', status: 500 }] });
    const { response } = await gateway.openai.chat.completions
      .create({ model: 'chain', messages })
      .withResponse();
    expect(response.headers.get('x-cortex-provider')).toBe('ollama');
    expect(response.headers.get('x-cortex-attempts')).toBe('3');
  });

  it('falls back for a stream that fails before its first byte', async () => {
    await simulator.setFaults('openai', { rules: [{ action: 'error', status: 503 }] });
    const { text, response } = await streamChain();
    expect(text.length).toBeGreaterThan(10);
    expect(response.headers.get('x-cortex-provider')).toBe('gemini');
    expect(response.headers.get('x-cortex-route')).toBe('openai=service_unavailable,gemini=ok');
  });

  it('falls back for a stream whose first frame is broken', async () => {
    await simulator.setFaults('openai', { rules: [{ action: 'malformed', kind: 'bad_sse_line' }] });
    const { text, response } = await streamChain();
    expect(text.length).toBeGreaterThan(10);
    expect(response.headers.get('x-cortex-route')).toBe('openai=parse_error,gemini=ok');
  });

  it('answers 502 with every attempt when the whole chain fails', async () => {
    for (const provider of ['openai', 'gemini', 'ollama']) {
      await simulator.setFaults(provider, { rules: [{ action: 'error', status: 500 }] });
    }
    const error = await gateway.openai.chat.completions
      .create({ model: 'chain', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-cortex-attempts')).toBe('3');
  });
});
