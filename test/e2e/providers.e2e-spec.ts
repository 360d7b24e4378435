import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { startGateway, type RunningGateway } from '../support/gateway-harness';
import { SIMULATED_PROVIDERS, simulatorConfig } from '../support/simulator-config';

/**
 * Every provider protocol end to end: the official openai SDK talks to the real gateway on a real
 * port, which talks to the simulator speaking each provider's own wire format.
 */
describe('chat completions through each provider type', () => {
  let simulator: SimulatorHandle;
  let gateway: RunningGateway;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    gateway = await startGateway(simulatorConfig(simulator));
  });
  afterAll(async () => {
    await gateway?.close();
    await simulator?.close();
  });

  const messages = [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content: 'Explain circuit breakers in one line.' },
  ];

  describe.each(SIMULATED_PROVIDERS.map((provider) => [provider.name, provider] as const))(
    '%s',
    (name, provider) => {
      it('answers a non-stream completion with usage and the routing headers', async () => {
        const { data, response } = await gateway.openai.chat.completions
          .create({ model: `via-${name}`, messages, temperature: 0.2, max_tokens: 64 })
          .withResponse();
        expect(data.object).toBe('chat.completion');
        expect(data.choices).toHaveLength(1);
        expect(data.choices[0].message.role).toBe('assistant');
        expect(data.choices[0].message.content?.length).toBeGreaterThan(10);
        expect(data.choices[0].finish_reason).toBe('stop');
        expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
        expect(data.usage!.completion_tokens).toBeGreaterThan(0);
        expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
        expect(response.headers.get('x-cortex-provider')).toBe(name);
        expect(response.headers.get('x-cortex-model')).toContain(provider.model);
        expect(response.headers.get('x-cortex-attempts')).toBe('1');
        expect(response.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
        expect(response.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

        const seen = simulator.requests({ provider: name }).at(-1)!;
        expect(seen.key).toBe(provider.key);
      });

      it('streams the same answer chunk by chunk, with usage at the end when asked', async () => {
        const whole = await gateway.openai.chat.completions.create({ model: `via-${name}`, messages });
        const { data: stream, response } = await gateway.openai.chat.completions
          .create({ model: `via-${name}`, messages, stream: true, stream_options: { include_usage: true } })
          .withResponse();
        expect(response.headers.get('content-type')).toContain('text/event-stream');
        expect(response.headers.get('x-cortex-provider')).toBe(name);

        let text = '';
        let chunks = 0;
        let finish: string | null = null;
        let usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
        const ids = new Set<string>();
        for await (const chunk of stream) {
          ids.add(chunk.id);
          if (chunk.usage) {
            usage = chunk.usage;
            expect(chunk.choices).toEqual([]);
            continue;
          }
          chunks++;
          text += chunk.choices[0]?.delta?.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        expect(chunks).toBeGreaterThan(3);
        expect(ids.size).toBe(1);
        expect(text).toBe(whole.choices[0].message.content);
        expect(finish).toBe('stop');
        expect(usage).toEqual({
          ...usage,
          prompt_tokens: whole.usage!.prompt_tokens,
          completion_tokens: whole.usage!.completion_tokens,
          total_tokens: whole.usage!.total_tokens,
        });
      });

      it('sends no usage chunk when the client did not ask for one', async () => {
        const stream = await gateway.openai.chat.completions.create({
          model: `via-${name}`,
          messages,
          stream: true,
        });
        let usageChunks = 0;
        for await (const chunk of stream) if (chunk.usage) usageChunks++;
        expect(usageChunks).toBe(0);
      });

      it('honours max_tokens with finish_reason length', async () => {
        const data = await gateway.openai.chat.completions.create({
          model: `via-${name}`,
          messages,
          max_tokens: 3,
        });
        expect(data.choices[0].finish_reason).toBe('length');
        expect(data.usage!.completion_tokens).toBe(3);
      });
    },
  );

  it('addresses a provider directly as provider/model', async () => {
    const { data, response } = await gateway.openai.chat.completions
      .create({ model: 'anthropic/claude-sonnet-4-20250514', messages })
      .withResponse();
    expect(response.headers.get('x-cortex-provider')).toBe('anthropic');
    expect(data.model).toBe('claude-sonnet-4-20250514');
    expect(simulator.requests({ provider: 'anthropic' }).at(-1)!.model).toBe('claude-sonnet-4-20250514');
  });

  it('lists the configured models in the OpenAI format', async () => {
    const models = await gateway.openai.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(SIMULATED_PROVIDERS.map((provider) => `via-${provider.name}`));
    expect(models.data[0]).toMatchObject({ object: 'model', owned_by: 'cortex' });
  });

  it('keeps the client x-request-id', async () => {
    const { response } = await gateway.openai.chat.completions
      .create({ model: 'via-openai', messages }, { headers: { 'x-request-id': 'team-search-42' } })
      .withResponse();
    expect(response.headers.get('x-request-id')).toBe('team-search-42');
  });
});
