import Anthropic from '@anthropic-ai/sdk';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';

/** The official @anthropic-ai/sdk against the anthropic flavour (baseURL `${sim}/anthropic`). */
describe('simulator with the @anthropic-ai/sdk SDK', () => {
  let sim: SimulatorHandle;
  const client = (apiKey = 'sk-ant-test-simulator-0005') =>
    new Anthropic({ apiKey, baseURL: sim.baseUrl('anthropic'), maxRetries: 0, timeout: 10_000 });
  const request = {
    model: 'claude-sonnet-4-20250514',
    max_tokens: 64,
    system: 'You are a terse assistant.',
    messages: [{ role: 'user' as const, content: 'Say hello.' }],
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Anthropic.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
    return error;
  }

  it('answers messages.create with usage and the request-id header', async () => {
    const { data, response } = await client().messages.create(request).withResponse();
    expect(data.type).toBe('message');
    expect(data.id).toMatch(/^msg_01/);
    expect(data.stop_reason).toBe('end_turn');
    const block = data.content[0];
    expect(block.type === 'text' && block.text.split(' ')).toHaveLength(12);
    expect(data.usage).toMatchObject({ input_tokens: 7, output_tokens: 12 });
    expect(response.headers.get('request-id')).toMatch(/^req_011C/);
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    const [seen] = sim.requests();
    expect(seen).toMatchObject({
      key: 'sk-ant-test-simulator-0005',
      maxTokens: 64,
      path: '/anthropic/v1/messages',
    });
    // SDK 1.14 sends its own pinned version date and the key as `Authorization: Bearer`.
    expect(seen.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(seen.headers.authorization).toBe('Bearer sk-ant-test-simulator-0005');
  });

  it('streams the named events and assembles the same text', async () => {
    const whole = await client().messages.create(request);
    const stream = client().messages.stream(request);
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(12).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(final.content).toEqual(whole.content);
    expect(final.usage.output_tokens).toBe(12);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('stops at max_tokens', async () => {
    const data = await client().messages.create({ ...request, max_tokens: 3 });
    expect(data.stop_reason).toBe('max_tokens');
    expect(data.usage.output_tokens).toBe(3);
  });

  it('turns a 429 into RateLimitError with retry-after and an RFC 3339 reset', async () => {
    await sim.setFaults('anthropic', { rules: [{ status: 429, hint_ms: 19_000 }] });
    const before = Date.now();
    const error = await failure(client().messages.create(request));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.headers?.get('retry-after')).toBe('19');
    expect(error.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    const reset = Date.parse(error.headers!.get('anthropic-ratelimit-requests-reset')!);
    expect(reset).toBeGreaterThanOrEqual(before + 19_000);
    expect(reset).toBeLessThanOrEqual(Date.now() + 20_000);
    expect(error.requestID).toMatch(/^req_011C/);
    expect((error.error as { error: { type: string } }).error.type).toBe('rate_limit_error');
  });

  it('turns a 529 into OverloadedError, an InternalServerError with status 529', async () => {
    await sim.setFaults('anthropic', { rules: [{ status: 529 }] });
    const error = await failure(client().messages.create(request));
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(529);
    expect(error.message).toContain('Overloaded');
  });

  it('turns a rejected key into AuthenticationError', async () => {
    await sim.setFaults('anthropic', { invalid_keys: ['sk-ant-revoked'] });
    const error = await failure(client('sk-ant-revoked').messages.create(request));
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.message).toContain('invalid x-api-key');
  });

  it('throws the error event that arrives mid-stream', async () => {
    await sim.setFaults('anthropic', { rules: [{ action: 'stream_error', after_chunks: 2 }] });
    const stream = client().messages.stream(request);
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const error = await stream.finalMessage().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as Error).message).toContain('Overloaded');
    expect(text.split(' ')).toHaveLength(2);
  });

  it('lists models', async () => {
    const page = await client().models.list();
    expect(page.data.map((m) => m.id)).toEqual(['claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022']);
  });
});
