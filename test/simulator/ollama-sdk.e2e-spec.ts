import { Ollama } from 'ollama';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';

/** The official ollama SDK against the ollama flavour (host `${sim}/ollama`). */
describe('simulator with the ollama SDK', () => {
  let sim: SimulatorHandle;
  const client = () => new Ollama({ host: sim.baseUrl('ollama') });
  const messages = [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Say hello.' },
  ];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  /** ollama-js does not export ResponseError; it is recognized by name and carries status_code. */
  async function responseError(
    promise: Promise<unknown>,
  ): Promise<Error & { status_code: number; error: string }> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Error) || error.name !== 'ResponseError')
      throw new Error(`expected a ResponseError, got ${String(error)}`);
    return error as Error & { status_code: number; error: string };
  }

  it('answers a non-stream chat with eval counts in nanosecond metrics', async () => {
    const response = await client().chat({ model: 'llama3.2', messages, stream: false });
    expect(response.message.role).toBe('assistant');
    expect(response.message.content.split(' ')).toHaveLength(12);
    expect(response.done).toBe(true);
    expect(response.done_reason).toBe('stop');
    expect(response.prompt_eval_count).toBe(7);
    expect(response.eval_count).toBe(12);
    expect(response.eval_duration).toBe(12 * 20_000_000);
    expect(sim.requests()[0]).toMatchObject({
      model: 'llama3.2',
      stream: false,
      path: '/ollama/api/chat',
      key: undefined,
    });
  });

  it('streams NDJSON one word per line and a final done line', async () => {
    const whole = await client().chat({ model: 'llama3.2', messages, stream: false });
    const parts = [];
    for await (const part of await client().chat({ model: 'llama3.2', messages, stream: true }))
      parts.push(part);
    expect(parts).toHaveLength(13);
    expect(parts.slice(0, 12).every((p) => p.done === false)).toBe(true);
    expect(parts.map((p) => p.message.content).join('')).toBe(whole.message.content);
    expect(parts.at(-1)).toMatchObject({
      done: true,
      done_reason: 'stop',
      eval_count: 12,
      prompt_eval_count: 7,
    });
  });

  it('streams by default when the request does not say', async () => {
    const response = await fetch(`${sim.baseUrl('ollama')}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2', messages }),
    });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    expect((await response.text()).trim().split('\n')).toHaveLength(13);
  });

  it('honours options.num_predict with done_reason length', async () => {
    const response = await client().chat({
      model: 'llama3.2',
      messages,
      stream: false,
      options: { num_predict: 5 },
    });
    expect(response.done_reason).toBe('length');
    expect(response.eval_count).toBe(5);
  });

  it('answers an unknown model with 404, which the SDK throws as ResponseError', async () => {
    await sim.setFaults('ollama', { known_models: ['llama3.2'] });
    const error = await responseError(client().chat({ model: 'llama9', messages, stream: false }));
    expect(error.status_code).toBe(404);
    expect(error.error).toBe("model 'llama9' not found");
  });

  it('throws the mid-stream error line', async () => {
    await sim.setFaults('ollama', { rules: [{ action: 'stream_error', after_chunks: 1 }] });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const part of await client().chat({ model: 'llama3.2', messages, stream: true }))
        seen.push(part.message.content);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(seen).toHaveLength(1);
    expect((error as Error).message).toBe('an error was encountered while running the model');
  });

  it('answers the health and listing endpoints', async () => {
    expect((await client().list()).models.map((m) => m.name)).toEqual(['llama3.2:latest', 'qwen2.5:0.5b']);
    expect(await client().version()).toEqual({ version: '0.12.6' });
    const root = await fetch(`${sim.baseUrl('ollama')}/`);
    expect(await root.text()).toBe('Ollama is running');
  });
});
