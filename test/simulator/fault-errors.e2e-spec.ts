import { startSimulator, type FaultProfile, type SimulatorHandle } from '../../src/simulator';
import { MESSAGES, rawRequest } from './sim-test.helpers';

/** Error faults: each retry-hint format, bad keys, quotas, per-key rate limits, downtime and rule selectors. */
describe('simulator error faults', () => {
  let sim: SimulatorHandle;
  const openai = (key = 'sk-a', model = 'gpt-4o-mini') =>
    rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: { model, messages: MESSAGES },
      headers: { authorization: `Bearer ${key}` },
    });
  const statuses = async (count: number, send = () => openai()) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((await send()).status);
    return out;
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, providers: [{ name: 'a', flavour: 'openai' }] });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  describe('429 retry hints', () => {
    const with429 = (hint: NonNullable<FaultProfile['rules']>[number]['hint'], hint_ms = 2500) =>
      sim.setFaults('openai', { rules: [{ status: 429, hint, hint_ms }] });

    it('retry-after in seconds, decimal when not whole', async () => {
      await with429('retry_after');
      const response = await openai();
      expect(response.headers['retry-after']).toBe('2.5');
      expect(response.headers['retry-after-ms']).toBeUndefined();
    });

    it('retry-after as an HTTP-date, rounded up to the next second', async () => {
      await with429('retry_after_date');
      const before = Date.now();
      const value = (await openai()).headers['retry-after'] as string;
      expect(value).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      expect(Date.parse(value)).toBeGreaterThanOrEqual(Math.floor((before + 2500) / 1000) * 1000);
      expect(Date.parse(value)).toBeLessThanOrEqual(Date.now() + 3500);
    });

    it("OpenAI's retry-after-ms", async () => {
      await with429('retry_after_ms');
      expect((await openai()).headers['retry-after-ms']).toBe('2500');
    });

    it('x-ratelimit-remaining 0 with Go-duration resets', async () => {
      await with429('ratelimit_reset', 61_500);
      const { headers } = await openai();
      expect(headers).toMatchObject({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-requests': '1m1.5s',
        'x-ratelimit-reset-tokens': '1m1.5s',
      });
      expect(headers['retry-after']).toBeUndefined();
    });

    it("Gemini's RetryInfo in the body", async () => {
      await sim.setFaults('gemini', { rules: [{ status: 429, hint_ms: 2500 }] });
      const response = await rawRequest(`${sim.baseUrl('gemini')}/models/gemini-2.0-flash:generateContent`, {
        body: { contents: [{ parts: [{ text: 'hi' }] }] },
        headers: { 'x-goog-api-key': 'k' },
      });
      const body = JSON.parse(response.body) as { error: { details: Array<Record<string, string>> } };
      expect(body.error.details.at(-1)).toEqual({
        '@type': 'type.googleapis.com/google.rpc.RetryInfo',
        retryDelay: '2.5s',
      });
      expect(response.headers['retry-after']).toBeUndefined();
    });

    it("Anthropic's anthropic-ratelimit reset as RFC 3339", async () => {
      await sim.setFaults('anthropic', {
        rules: [{ status: 429, hint: 'anthropic_ratelimit', hint_ms: 2500 }],
      });
      const before = Date.now();
      const response = await rawRequest(`${sim.baseUrl('anthropic')}/v1/messages`, {
        body: { model: 'claude', max_tokens: 5, messages: MESSAGES.slice(1) },
        headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      });
      const reset = response.headers['anthropic-ratelimit-requests-reset'] as string;
      expect(reset).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Date.parse(reset)).toBeGreaterThanOrEqual(before + 2500);
      expect(response.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
      expect(response.headers['retry-after']).toBeUndefined();
    });

    it('several hints at once, or none', async () => {
      await with429(['retry_after', 'retry_after_ms'], 1000);
      expect((await openai()).headers).toMatchObject({ 'retry-after': '1', 'retry-after-ms': '1000' });
      await with429('none');
      const { headers } = await openai();
      expect(headers['retry-after']).toBeUndefined();
      expect(headers['x-ratelimit-remaining-requests']).toBe('4999');
    });
  });

  it('rejects named keys in each provider style: 401, Gemini 400 API_KEY_INVALID', async () => {
    for (const name of ['openai', 'groq', 'gemini', 'cohere', 'anthropic'])
      await sim.setFaults(name, { invalid_keys: ['bad'] });
    expect((await openai('bad')).status).toBe(401);
    expect((await openai('good')).status).toBe(200);
    const gemini = await rawRequest(`${sim.baseUrl('gemini')}/models`, {
      headers: { 'x-goog-api-key': 'bad' },
    });
    expect(gemini.status).toBe(400);
    expect(gemini.body).toContain('API_KEY_INVALID');
    const anthropic = await rawRequest(`${sim.baseUrl('anthropic')}/v1/models`, {
      headers: { 'x-api-key': 'bad' },
    });
    expect(anthropic.status).toBe(401);
    expect(sim.requests({ includeProbes: true }).map((r) => r.fault)).toEqual([
      'invalid_key',
      undefined,
      'invalid_key',
      'invalid_key',
    ]);
  });

  it('answers a missing key like each provider does', async () => {
    expect((await rawRequest(`${sim.baseUrl('openai')}/models`)).status).toBe(401);
    expect((await rawRequest(`${sim.baseUrl('gemini')}/models`)).status).toBe(403);
    expect((await rawRequest(`${sim.baseUrl('ollama')}/api/tags`)).status).toBe(200);
  });

  it('exhausts a quota per key after N requests', async () => {
    await sim.setFaults('openai', { quota: { requests_per_key: 2 } });
    expect(await statuses(3, () => openai('k1'))).toEqual([200, 200, 429]);
    expect((await openai('k2')).status).toBe(200);
    expect(sim.requests({ includeProbes: true }).map((r) => r.fault)).toEqual([
      undefined,
      undefined,
      'quota',
      undefined,
    ]);
    await sim.setFaults('anthropic', { quota: { requests_per_key: 0 } });
    const anthropic = await rawRequest(`${sim.baseUrl('anthropic')}/v1/messages`, {
      body: { model: 'claude', max_tokens: 5, messages: MESSAGES.slice(1) },
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(anthropic.status).toBe(429);
    expect(JSON.parse(anthropic.body)).toMatchObject({ error: { type: 'rate_limit_error' } });
  });

  it('limits each key to N requests per window, answering 429 with Retry-After', async () => {
    await sim.setFaults('openai', { rate_limit: { requests: 2, window_ms: 300 } });
    const first = await Promise.all([openai('k1'), openai('k1'), openai('k1'), openai('k2')]);
    expect(first.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    const limited = first.find((r) => r.status === 429)!;
    expect(limited.headers['retry-after']).toBe('1');
    expect(JSON.parse(limited.body)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    await new Promise((resolve) => setTimeout(resolve, 320));
    expect((await openai('k1')).status).toBe(200);
  });

  it('answers every request, model lists included, until down_until', async () => {
    await sim.setFaults('openai', { down_until: Date.now() + 60_000 });
    expect((await openai()).status).toBe(503);
    expect(
      (await rawRequest(`${sim.baseUrl('openai')}/models`, { headers: { authorization: 'Bearer k' } }))
        .status,
    ).toBe(503);
    await sim.setFaults('openai', { down_until: Date.now() - 1, down_status: 500 });
    expect((await openai()).status).toBe(200);
  });

  it('renders 500, 503, 529 and 498 in each provider style', async () => {
    await sim.setFaults('groq', { rules: [{ status: 498 }] });
    const groq = await rawRequest(`${sim.baseUrl('groq')}/chat/completions`, {
      body: { model: 'llama', messages: MESSAGES },
      headers: { authorization: 'Bearer k' },
    });
    expect(groq.status).toBe(498);
    await sim.setFaults('anthropic', { rules: [{ status: 529 }] });
    const anthropic = await rawRequest(`${sim.baseUrl('anthropic')}/v1/messages`, {
      body: { model: 'claude', max_tokens: 5, messages: MESSAGES.slice(1) },
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(JSON.parse(anthropic.body)).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    await sim.setFaults('ollama', { rules: [{ status: 503 }] });
    const ollama = await rawRequest(`${sim.baseUrl('ollama')}/api/chat`, {
      body: { model: 'llama3.2', messages: MESSAGES },
    });
    expect(ollama.status).toBe(503);
    expect(Object.keys(JSON.parse(ollama.body) as object)).toEqual(['error']);
    await sim.setFaults('openai', { rules: [{ status: 503 }] });
    expect(JSON.parse((await openai()).body)).toMatchObject({ error: { type: 'server_error', code: null } });
  });

  describe('rule selectors', () => {
    it('first_n, after_n and every_nth count chat requests since the profile was set', async () => {
      await sim.setFaults('openai', { rules: [{ status: 500, first_n: 2 }] });
      expect(await statuses(4)).toEqual([500, 500, 200, 200]);
      await sim.setFaults('openai', { rules: [{ status: 503, after_n: 2 }] });
      expect(await statuses(4)).toEqual([200, 200, 503, 503]);
      await sim.setFaults('openai', { rules: [{ status: 503, every_nth: 3 }] });
      expect(await statuses(6)).toEqual([200, 200, 503, 200, 200, 503]);
    });

    it('keys and models narrow a rule; the first matching rule wins', async () => {
      await sim.setFaults('openai', {
        rules: [
          { status: 401, keys: ['k-bad'] },
          { status: 404, models: ['gpt-9'] },
          { status: 500, keys: ['k-bad', 'k-flaky'] },
        ],
      });
      expect((await openai('k-bad')).status).toBe(401);
      expect((await openai('k-flaky')).status).toBe(500);
      const missing = await openai('k-ok', 'gpt-9');
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'model_not_found' } });
      expect((await openai('k-ok')).status).toBe(200);
    });

    it('a rate replays identically for the same seed and differs for another', async () => {
      const run = async (seed: number) => {
        await sim.setFaults('openai', { seed, rules: [{ status: 500, rate: 0.5 }] });
        return statuses(40);
      };
      const first = await run(11);
      expect(await run(11)).toEqual(first);
      expect(await run(12)).not.toEqual(first);
      const failures = first.filter((s) => s === 500).length;
      expect(failures).toBeGreaterThan(8);
      expect(failures).toBeLessThan(32);
    });

    it('cycle windows and from/until bound a rule in time', async () => {
      await sim.setFaults('openai', { rules: [{ status: 503, cycle_ms: 60_000, active_ms: 60_000 }] });
      expect((await openai()).status).toBe(503);
      await sim.setFaults('openai', { rules: [{ status: 503, cycle_ms: 60_000, active_ms: 0 }] });
      expect((await openai()).status).toBe(200);
      await sim.setFaults('openai', {
        rules: [
          { status: 503, from: Date.now() + 60_000 },
          { status: 500, until: Date.now() + 60_000 },
        ],
      });
      expect((await openai()).status).toBe(500);
    });

    it('leaves model lists alone unless the rule has scope all', async () => {
      const models = () =>
        rawRequest(`${sim.baseUrl('a')}/models`, { headers: { authorization: 'Bearer k' } });
      await sim.setFaults('a', { rules: [{ status: 500 }] });
      expect((await models()).status).toBe(200);
      await sim.setFaults('a', { rules: [{ status: 500, scope: 'all' }] });
      expect((await models()).status).toBe(500);
    });
  });
});
