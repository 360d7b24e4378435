import { ApiError, FinishReason, GoogleGenAI } from '@google/genai';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';

/** The official @google/genai SDK against the gemini flavour (base URL `${sim}/gemini`, apiVersion v1beta). */
describe('simulator with the @google/genai SDK', () => {
  let sim: SimulatorHandle;
  // `fetch` is passed explicitly because under jest the SDK's own undici dispatcher lookup fails
  // (Node sets the global dispatcher on the real global, not on jest's sandbox); the request
  // building and response parsing are the SDK's own either way.
  // The SDK appends `/{apiVersion}/models/...` to baseUrl; 3.3 defaults to v1, the gateway uses v1beta.
  const ai = (apiKey = 'AIza-test-simulator-0003', apiVersion = 'v1beta') =>
    new GoogleGenAI({ apiKey, httpOptions: { baseUrl: `${sim.url}/gemini`, apiVersion, fetch } });
  const request = {
    model: 'gemini-2.0-flash',
    contents: 'Say hello.',
    config: { systemInstruction: 'You are a terse assistant.' },
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  async function failure(promise: Promise<unknown>): Promise<ApiError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
    return error;
  }

  it('answers generateContent with usage metadata, model version and response id', async () => {
    const response = await ai().models.generateContent(request);
    expect(response.text!.split(' ')).toHaveLength(12);
    expect(response.candidates![0].finishReason).toBe(FinishReason.STOP);
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: 7,
      candidatesTokenCount: 12,
      totalTokenCount: 19,
    });
    expect(response.modelVersion).toBe('gemini-2.0-flash');
    expect(response.responseId).toHaveLength(24);
    const [seen] = sim.requests({ provider: 'gemini' });
    expect(seen).toMatchObject({
      key: 'AIza-test-simulator-0003',
      model: 'gemini-2.0-flash',
      stream: false,
      path: '/gemini/v1beta/models/gemini-2.0-flash:generateContent',
    });
  });

  it('streams one chunk per word, the last with the finish reason and final counts', async () => {
    const whole = await ai().models.generateContent(request);
    const chunks = [];
    for await (const chunk of await ai().models.generateContentStream(request)) chunks.push(chunk);
    expect(chunks).toHaveLength(12);
    expect(chunks.map((c) => c.text).join('')).toBe(whole.text);
    expect(chunks[0].usageMetadata).toMatchObject({ promptTokenCount: 7, totalTokenCount: 7 });
    expect(chunks[0].candidates![0].finishReason).toBeUndefined();
    expect(chunks.at(-1)!.candidates![0].finishReason).toBe(FinishReason.STOP);
    expect(chunks.at(-1)!.usageMetadata).toMatchObject({ candidatesTokenCount: 12, totalTokenCount: 19 });
    const streamed = sim.requests({ provider: 'gemini' })[1];
    expect(streamed).toMatchObject({ stream: true, chunks: 12, completed: true, query: 'alt=sse' });
  });

  it("serves the SDK's default v1 paths too", async () => {
    const response = await ai(undefined, 'v1').models.generateContent(request);
    expect(response.text!.split(' ')).toHaveLength(12);
    expect(sim.requests()[0].path).toBe('/gemini/v1/models/gemini-2.0-flash:generateContent');
  });

  it('honours maxOutputTokens with MAX_TOKENS', async () => {
    const response = await ai().models.generateContent({
      ...request,
      config: { ...request.config, maxOutputTokens: 3 },
    });
    expect(response.candidates![0].finishReason).toBe(FinishReason.MAX_TOKENS);
    expect(response.usageMetadata!.candidatesTokenCount).toBe(3);
  });

  it('answers a rejected key with 400 API_KEY_INVALID, not 401', async () => {
    await sim.setFaults('gemini', { invalid_keys: ['AIza-revoked'] });
    const error = await failure(ai('AIza-revoked').models.generateContent(request));
    expect(error.status).toBe(400);
    expect(error.message).toContain('API_KEY_INVALID');
    expect(error.message).toContain('API key not valid');
  });

  it('puts the retry delay of a 429 in RetryInfo', async () => {
    await sim.setFaults('gemini', { rules: [{ status: 429, hint_ms: 41_000 }] });
    const error = await failure(ai().models.generateContent(request));
    expect(error.status).toBe(429);
    expect(error.message).toContain('RESOURCE_EXHAUSTED');
    expect(error.message).toContain('"retryDelay":"41s"');
  });

  it('fails a stream request with the error status before any chunk', async () => {
    await sim.setFaults('gemini', { rules: [{ status: 503 }] });
    const error = await failure(
      (async () => {
        for await (const chunk of await ai().models.generateContentStream(request)) void chunk;
      })(),
    );
    expect(error.status).toBe(503);
    expect(error.message).toContain('The model is overloaded');
  });

  it('lists models', async () => {
    const pager = await ai().models.list();
    const names: string[] = [];
    for await (const model of pager) names.push(model.name!);
    expect(names).toEqual(['models/gemini-2.0-flash', 'models/gemini-2.5-flash']);
  });
});
