import { Cohere, CohereClientV2, CohereError } from 'cohere-ai';
import { COHERE_TEMPLATE_TOKENS, startSimulator, type SimulatorHandle } from '../../src/simulator';

/** The official cohere-ai SDK (CohereClientV2) against the cohere flavour. */
describe('simulator with the cohere-ai SDK', () => {
  let sim: SimulatorHandle;
  const client = (token = 'co-test-simulator-0004') =>
    new CohereClientV2({ token, environment: sim.baseUrl('cohere'), maxRetries: 0, timeoutInSeconds: 10 });
  const request = {
    model: 'command-a-03-2025',
    messages: [
      { role: 'system' as const, content: 'You are a terse assistant.' },
      { role: 'user' as const, content: 'Say hello.' },
    ],
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  async function failure(promise: Promise<unknown>): Promise<CohereError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof CohereError)) throw new Error(`expected a CohereError, got ${String(error)}`);
    return error;
  }

  it('answers chat with billed units and template-inflated tokens', async () => {
    const response = await client().chat(request);
    expect(response.finishReason).toBe('COMPLETE');
    const text = response.message.content![0] as { type: string; text: string };
    expect(text.type).toBe('text');
    expect(text.text.split(' ')).toHaveLength(12);
    expect(response.usage!.billedUnits).toEqual({ inputTokens: 7, outputTokens: 12 });
    expect(response.usage!.tokens).toEqual({ inputTokens: 7 + COHERE_TEMPLATE_TOKENS, outputTokens: 12 });
    expect(sim.requests({ includeProbes: true })[0]).toMatchObject({
      key: 'co-test-simulator-0004',
      model: 'command-a-03-2025',
      path: '/cohere/v2/chat',
    });
  });

  it('streams message-start, content deltas and message-end in order', async () => {
    const whole = await client().chat(request);
    const types: string[] = [];
    let text = '';
    let end: Cohere.ChatMessageEndEventDelta | undefined;
    for await (const event of await client().chatStream(request)) {
      types.push(event.type);
      if (event.type === 'content-delta') text += event.delta?.message?.content?.text ?? '';
      if (event.type === 'message-end') end = event.delta;
    }
    expect(types).toEqual([
      'message-start',
      'content-start',
      ...Array<string>(12).fill('content-delta'),
      'content-end',
      'message-end',
    ]);
    expect(text).toBe((whole.message.content![0] as { text: string }).text);
    expect(end?.finishReason).toBe('COMPLETE');
    expect(end?.usage?.billedUnits).toEqual({ inputTokens: 7, outputTokens: 12 });
  });

  it('honours max_tokens with MAX_TOKENS', async () => {
    const response = await client().chat({ ...request, maxTokens: 2 });
    expect(response.finishReason).toBe('MAX_TOKENS');
    expect(response.usage!.billedUnits!.outputTokens).toBe(2);
  });

  it('maps a rejected key to UnauthorizedError and a 429 to TooManyRequestsError', async () => {
    await sim.setFaults('cohere', {
      invalid_keys: ['co-revoked'],
      rules: [{ status: 429, models: ['busy'] }],
    });
    const auth = await failure(client('co-revoked').chat(request));
    expect(auth).toBeInstanceOf(Cohere.UnauthorizedError);
    expect(auth.statusCode).toBe(401);
    expect(auth.body).toEqual({ message: 'invalid api token' });
    const limited = await failure(client().chat({ ...request, model: 'busy' }));
    expect(limited).toBeInstanceOf(Cohere.TooManyRequestsError);
    expect(limited.body).toEqual({
      message: 'You are past the per minute request limit, please wait and try again later.',
    });
  });

  it('maps 500 and 503 to their typed errors', async () => {
    await sim.setFaults('cohere', { rules: [{ status: 500, first_n: 1 }, { status: 503 }] });
    expect(await failure(client().chat(request))).toBeInstanceOf(Cohere.InternalServerError);
    expect(await failure(client().chat(request))).toBeInstanceOf(Cohere.ServiceUnavailableError);
  });

  it('ends a failed stream with finish_reason ERROR', async () => {
    await sim.setFaults('cohere', { rules: [{ action: 'stream_error', after_chunks: 2 }] });
    const events: Cohere.V2ChatStreamResponse[] = [];
    for await (const event of await client().chatStream(request)) events.push(event);
    const end = events.at(-1) as Cohere.V2ChatStreamResponse & { delta: Cohere.ChatMessageEndEventDelta };
    expect(events.filter((e) => e.type === 'content-delta')).toHaveLength(2);
    expect(end.type).toBe('message-end');
    expect(end.delta.finishReason).toBe('ERROR');
    expect(end.delta.error).toBe('internal server error, this has been reported to our developers');
  });

  it('lists models on /v1/models', async () => {
    const list = await client().models.list();
    expect(list.models.map((m) => m.name)).toEqual(['command-a-03-2025', 'command-r-08-2024']);
    expect(sim.requests({ includeProbes: true })[0].path).toBe('/cohere/v1/models');
  });
});
