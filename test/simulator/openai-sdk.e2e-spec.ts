import OpenAI from 'openai';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { MESSAGES } from './sim-test.helpers';

/** The official openai SDK against the openai and groq flavours: proof that the wire format is faithful. */
describe('simulator with the openai SDK', () => {
  let sim: SimulatorHandle;
  const client = (name = 'openai', apiKey = 'sk-test-simulator-0001', maxRetries = 0) =>
    new OpenAI({ apiKey, baseURL: sim.baseUrl(name), maxRetries, timeout: 10_000 });

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
    return error;
  }

  describe('openai flavour', () => {
    it('answers a completion with the dated model, usage and request id', async () => {
      const { data, response } = await client()
        .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })
        .withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.model).toBe('gpt-4o-mini-2024-07-18');
      expect(data.id).toMatch(/^chatcmpl-/);
      expect(data.choices[0].message.content!.split(' ')).toHaveLength(12);
      expect(data.choices[0].finish_reason).toBe('stop');
      // "You are a terse assistant." (5 words) + "Say hello." (2 words).
      expect(data.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 });
      expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
      expect(response.headers.get('openai-version')).toBe('2020-10-01');
      const [seen] = sim.requests({ provider: 'openai' });
      expect(seen).toMatchObject({
        key: 'sk-test-simulator-0001',
        model: 'gpt-4o-mini',
        stream: false,
        status: 200,
      });
      expect(seen.headers['x-stainless-retry-count']).toBe('0');
    });

    it('streams one chunk per word and a usage chunk with empty choices when include_usage is set', async () => {
      const whole = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
      const stream = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let contentChunks = 0;
      const finishes: string[] = [];
      const usages: unknown[] = [];
      const nullUsage: boolean[] = [];
      for await (const chunk of stream) {
        if (chunk.choices.length === 0) {
          usages.push(chunk.usage);
          continue;
        }
        nullUsage.push(chunk.usage === null);
        const delta = chunk.choices[0].delta.content;
        if (delta) {
          contentChunks++;
          text += delta;
        }
        if (chunk.choices[0].finish_reason) finishes.push(chunk.choices[0].finish_reason);
      }
      expect(contentChunks).toBe(12);
      expect(text).toBe(whole.choices[0].message.content);
      expect(finishes).toEqual(['stop']);
      expect(nullUsage.every(Boolean)).toBe(true);
      expect(usages).toEqual([
        expect.objectContaining({ prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 }),
      ]);
      expect(sim.requests({ provider: 'openai' })[1]).toMatchObject({
        stream: true,
        chunks: 12,
        completed: true,
        aborted: false,
      });
    });

    it('honours max_completion_tokens with finish_reason length', async () => {
      const data = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: MESSAGES,
        max_completion_tokens: 4,
      });
      expect(data.choices[0].finish_reason).toBe('length');
      expect(data.usage!.completion_tokens).toBe(4);
      expect(sim.requests()[0].maxTokens).toBe(4);
    });

    it('turns a rejected key into AuthenticationError', async () => {
      await sim.setFaults('openai', { invalid_keys: ['sk-test-revoked-key-wxyz'] });
      const error = await failure(
        client('openai', 'sk-test-revoked-key-wxyz').chat.completions.create({
          model: 'gpt-4o-mini',
          messages: MESSAGES,
        }),
      );
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error.status).toBe(401);
      expect(error.code).toBe('invalid_api_key');
      expect(error.message).toContain('sk-test-************wxyz');
      expect(error.requestID).toMatch(/^req_/);
    });

    it('turns a 429 into RateLimitError carrying the rate-limit headers', async () => {
      await sim.setFaults('openai', { rules: [{ status: 429, hint_ms: 1500 }] });
      const error = await failure(
        client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      );
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.code).toBe('rate_limit_exceeded');
      expect(error.type).toBe('tokens');
      expect(error.message).toContain('Please try again in 1.5s');
      expect(error.headers?.get('x-ratelimit-remaining-tokens')).toBe('0');
      expect(error.headers?.get('x-ratelimit-reset-tokens')).toBe('1.5s');
      expect(error.headers?.get('retry-after')).toBe('1.5');
    });

    it('tells insufficient_quota apart from a rate limit', async () => {
      await sim.setFaults('openai', { quota: { requests_per_key: 1 } });
      await client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
      const error = await failure(
        client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      );
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.code).toBe('insufficient_quota');
      expect(error.headers?.get('retry-after')).toBeNull();
    });

    it('turns a 500 into InternalServerError', async () => {
      await sim.setFaults('openai', { rules: [{ action: 'error', status: 500 }] });
      const error = await failure(
        client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      );
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.message).toContain('The server had an error while processing your request');
    });

    it('records the SDK retry count when the SDK retries after retry-after-ms', async () => {
      await sim.setFaults('openai', {
        rules: [{ status: 503, first_n: 1, hint: 'retry_after_ms', hint_ms: 20 }],
      });
      const data = await client('openai', 'sk-test-simulator-0001', 1).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: MESSAGES,
      });
      expect(data.choices[0].message.content).toBeTruthy();
      const seen = sim.requests({ provider: 'openai' });
      expect(seen.map((r) => [r.status, r.headers['x-stainless-retry-count']])).toEqual([
        [503, '0'],
        [200, '1'],
      ]);
    });

    it('throws the in-band error event of a broken stream', async () => {
      await sim.setFaults('openai', {
        rules: [{ action: 'stream_error', after_chunks: 3, message: 'upstream model crashed' }],
      });
      const stream = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: MESSAGES,
        stream: true,
      });
      let text = '';
      const error = await (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as Error).message).toContain('upstream model crashed');
      expect(text.split(' ')).toHaveLength(3);
    });

    it('lists models', async () => {
      const models = await client().models.list();
      expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
    });
  });

  describe('groq flavour (openai SDK with the groq base url)', () => {
    const groq = (apiKey = 'gsk_test_simulator_0002') => client('groq', apiKey);

    it('answers with x_groq, timing usage and Groq headers', async () => {
      const { data, response } = await groq()
        .chat.completions.create({ model: 'llama-3.3-70b-versatile', messages: MESSAGES })
        .withResponse();
      const extra = data as unknown as {
        x_groq: { id: string };
        usage: { queue_time: number; total_time: number };
      };
      expect(data.model).toBe('llama-3.3-70b-versatile');
      expect(extra.x_groq.id).toBe(response.headers.get('x-request-id'));
      expect(extra.usage.queue_time).toBeGreaterThan(0);
      expect(data.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 });
      expect(response.headers.get('x-groq-region')).toBe('us-west-1');
      expect(sim.requests()[0].path).toBe('/groq/openai/v1/chat/completions');
    });

    it('streams with the usage in the final chunk x_groq', async () => {
      const stream = await groq().chat.completions.create({
        model: 'llama-3.3-70b-versatile',
        messages: MESSAGES,
        stream: true,
      });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks).toHaveLength(14);
      const last = chunks.at(-1) as unknown as {
        x_groq: { usage: Record<string, number> };
        choices: Array<{ finish_reason: string }>;
      };
      expect(last.choices[0].finish_reason).toBe('stop');
      expect(last.x_groq.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 });
      expect(chunks.every((c) => c.usage === undefined)).toBe(true);
    });

    it('maps 401, 429 with retry-after and 498', async () => {
      await sim.setFaults('groq', {
        invalid_keys: ['gsk_bad'],
        rules: [
          { status: 429, models: ['rate-limited'], hint_ms: 4000 },
          { status: 498, models: ['flex'] },
        ],
      });
      const auth = await failure(groq('gsk_bad').chat.completions.create({ model: 'x', messages: MESSAGES }));
      expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(auth.message).toContain('Invalid API Key');
      const limited = await failure(
        groq().chat.completions.create({ model: 'rate-limited', messages: MESSAGES }),
      );
      expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
      expect(limited.headers?.get('retry-after')).toBe('4');
      expect(limited.headers?.get('x-ratelimit-reset-requests')).toBe('4s');
      const flex = await failure(groq().chat.completions.create({ model: 'flex', messages: MESSAGES }));
      expect(flex.status).toBe(498);
      expect(flex.code).toBe('capacity_exceeded');
    });
  });
});
