import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { startGateway, type RunningGateway } from '../support/gateway-harness';
import { simulatorConfig } from '../support/simulator-config';
import { waitFor } from '../support/wait-for';

/** Every status of the CONTRACT §2 table, as a client with the official SDK (or raw HTTP) sees it. */
describe('error responses', () => {
  let simulator: SimulatorHandle;
  const gateways: RunningGateway[] = [];
  const messages = [{ role: 'user' as const, content: 'hello' }];

  async function gatewayWith(
    extra: Record<string, unknown> = {},
    overrides = {},
    clientKey?: string,
  ): Promise<RunningGateway> {
    const gateway = await startGateway(simulatorConfig(simulator, extra, overrides), clientKey);
    gateways.push(gateway);
    return gateway;
  }

  async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof OpenAI.APIError) return error;
      throw error;
    }
    throw new Error('expected the request to fail');
  }

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
  });
  beforeEach(async () => {
    await simulator.reset();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await simulator?.close();
  });

  describe('400 invalid_request_error', () => {
    it('answers malformed JSON with a clear message', async () => {
      const gateway = await gatewayWith();
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"model": "via-openai", "messages": [',
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
      expect(body.error.message).toContain('could not parse the JSON body');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    });

    it('names the missing or ill-typed field', async () => {
      const gateway = await gatewayWith();
      const missing = await rejection(
        gateway.openai.chat.completions.create({
          model: 'via-openai',
        } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming),
      );
      expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
      expect(missing.param).toBe('messages');
      expect(missing.message).toContain("Missing required parameter: 'messages'");

      const role = await rejection(
        gateway.openai.chat.completions.create({
          model: 'via-openai',
          messages: [{ role: 'robot', content: 'x' }],
        } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming),
      );
      expect(role.status).toBe(400);
      expect(role.param).toBe('messages[0].role');

      const temperature = await rejection(
        gateway.openai.chat.completions.create({ model: 'via-openai', messages, temperature: 3 }),
      );
      expect(temperature.status).toBe(400);
      expect(temperature.param).toBe('temperature');
      expect(simulator.requests()).toHaveLength(0);
    });

    it('passes the upstream bad request through at once, without fallback', async () => {
      const gateway = await gatewayWith({
        models: {
          chain: [
            { provider: 'openai', model: 'gpt-4o-mini' },
            { provider: 'groq', model: 'llama' },
          ],
        },
      });
      await simulator.setFaults('openai', {
        rules: [
          { action: 'error', status: 400, message: "This model's maximum context length is 128000 tokens." },
        ],
      });
      const error = await rejection(gateway.openai.chat.completions.create({ model: 'chain', messages }));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.message).toContain('maximum context length');
      expect(error.headers?.get('x-cortex-attempts')).toBe('1');
      expect(simulator.requests({ provider: 'openai' })).toHaveLength(1);
      expect(simulator.requests({ provider: 'groq' })).toHaveLength(0);
    });
  });

  it('401 for a missing or unknown client key', async () => {
    const clients = [{ name: 'team-search', key: 'team-search-key-1', tier: 'premium' }];
    const anonymous = await gatewayWith({ clients });
    const missing = await fetch(`${anonymous.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'via-openai', messages }),
    });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: { type: 'authentication_error', code: 'invalid_api_key' },
    });

    const wrong = new OpenAI({ baseURL: `${anonymous.url}/v1`, apiKey: 'not-a-client', maxRetries: 0 });
    const unknown = await rejection(wrong.chat.completions.create({ model: 'via-openai', messages }));
    expect(unknown).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unknown.message).toContain('Unknown client key');

    const known = new OpenAI({ baseURL: `${anonymous.url}/v1`, apiKey: 'team-search-key-1', maxRetries: 0 });
    const answer = await known.chat.completions.create({ model: 'via-openai', messages });
    expect(answer.choices[0].message.content).toBeTruthy();
  });

  it('404 for an unknown model, naming the param', async () => {
    const gateway = await gatewayWith();
    const error = await rejection(gateway.openai.chat.completions.create({ model: 'gpt-17', messages }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.param).toBe('model');
    expect(error.code).toBe('model_not_found');
    const unknownProvider = await rejection(
      gateway.openai.chat.completions.create({ model: 'mistral/large', messages }),
    );
    expect(unknownProvider.status).toBe(404);
  });

  it('413 for a body over the limit, answered before the body is fully sent', async () => {
    const gateway = await gatewayWith({ server: { body_limit_bytes: 4096 } });
    const exactly = JSON.stringify({ model: 'via-openai', messages: [{ role: 'user', content: 'x' }] });
    const padded = exactly.replace('"x"', `"${'x'.repeat(4096 - exactly.length + 1)}"`);
    expect(Buffer.byteLength(padded)).toBe(4096);
    const accepted = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: padded,
    });
    expect(accepted.status).toBe(200);

    // Declare 10 MiB, send 1 KiB, and wait: the answer must come without the rest of the body.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (part: Buffer) => (text += part.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
      request.write('{"model": "via-openai", "messages": [' + ' '.repeat(1024));
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({
      error: { type: 'invalid_request_error', code: 'request_too_large' },
    });
    expect(simulator.requests()).toHaveLength(1);
  });

  it('429 with Retry-After when a client goes over its rpm', async () => {
    const clients = [{ name: 'team-batch', key: 'team-batch-key-1', tier: 'normal', rpm: 2 }];
    const gateway = await gatewayWith({ clients }, {}, 'team-batch-key-1');
    await gateway.openai.chat.completions.create({ model: 'via-openai', messages });
    await gateway.openai.chat.completions.create({ model: 'via-openai', messages });
    const error = await rejection(gateway.openai.chat.completions.create({ model: 'via-openai', messages }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error.error as { type?: string }).type).toBe('rate_limit_error');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(simulator.requests({ provider: 'openai' })).toHaveLength(2);
  });

  it('502 upstream_error when every provider in the chain failed', async () => {
    const gateway = await gatewayWith({
      // One attempt per deployment, so the route below is the whole story.
      resilience: { retry: { server_error: { max_attempts: 1 } } },
      models: {
        chain: [
          { provider: 'openai', model: 'gpt-4o-mini' },
          { provider: 'gemini', model: 'gemini-2.0-flash' },
        ],
      },
    });
    await simulator.setFaults('openai', { rules: [{ action: 'error', status: 500 }] });
    await simulator.setFaults('gemini', { rules: [{ action: 'error', status: 503 }] });
    const error = await rejection(gateway.openai.chat.completions.create({ model: 'chain', messages }));
    expect(error.status).toBe(502);
    expect((error.error as { type?: string }).type).toBe('upstream_error');
    expect(error.message).toContain('service_unavailable');
    expect(error.headers?.get('x-cortex-attempts')).toBe('2');
    expect(error.headers?.get('x-cortex-route')).toBe(
      'openai=service_unavailable,gemini=service_unavailable',
    );
  });

  it('503 with Retry-After when no provider can take the request', async () => {
    const gateway = await gatewayWith({}, { openai: { max_concurrency: 1 } });
    await simulator.setFaults('openai', { rules: [{ action: 'hang' }] });
    const holder = new AbortController();
    const held = gateway.openai.chat.completions
      .create({ model: 'via-openai', messages }, { signal: holder.signal })
      .catch(() => 'aborted');
    await waitFor(() => simulator.requests({ provider: 'openai' }).length === 1);
    const error = await rejection(gateway.openai.chat.completions.create({ model: 'via-openai', messages }));
    expect(error.status).toBe(503);
    expect((error.error as { type?: string }).type).toBe('service_unavailable');
    expect(error.headers?.get('retry-after')).toBe('1');
    expect(error.headers?.get('x-cortex-attempts')).toBe('0');
    holder.abort();
    expect(await held).toBe('aborted');
  });

  it('504 timeout_error when request_timeout_ms passes, and the upstream request is aborted', async () => {
    const gateway = await gatewayWith({ resilience: { request_timeout_ms: 400 } });
    await simulator.setFaults('openai', { rules: [{ action: 'hang' }] });
    const started = Date.now();
    const error = await rejection(gateway.openai.chat.completions.create({ model: 'via-openai', messages }));
    expect(error.status).toBe(504);
    expect((error.error as { type?: string }).type).toBe('timeout_error');
    expect(error.code).toBe('deadline_exceeded');
    expect(Date.now() - started).toBeLessThan(3000);
    await waitFor(() => simulator.requests({ provider: 'openai' })[0]?.aborted === true);
  });
});
