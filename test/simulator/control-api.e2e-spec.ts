import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultProfileError, startSimulator, type SimulatorHandle } from '../../src/simulator';
import { MESSAGES, rawRequest } from './sim-test.helpers';

/** The `/_sim/` control API, the handle's equivalents, request records and the faults file. */
describe('simulator control API and request records', () => {
  let sim: SimulatorHandle;
  const control = (path: string, method = 'GET', body?: unknown) =>
    rawRequest(`${sim.url}/_sim${path}`, {
      method,
      body,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
  const chat = (name: string, headers: Record<string, string> = {}) =>
    rawRequest(`${sim.baseUrl(name)}/chat/completions`, {
      body: { model: 'gpt-4o-mini', messages: MESSAGES, max_tokens: 50 },
      headers: { authorization: 'Bearer sk-a', ...headers },
    });

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      providers: [{ name: 'b', flavour: 'openai' }],
      faults: { b: { latency_ms: 1, rules: [{ status: 503, first_n: 1 }] } },
    });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  it('reports health and lists providers with their base urls', async () => {
    const health = await control('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', providers: 7 });
    const list = JSON.parse((await control('/providers')).body) as {
      providers: Array<{ name: string; base_url: string }>;
    };
    expect(list.providers.map((p) => p.name)).toEqual([
      'openai',
      'groq',
      'gemini',
      'cohere',
      'ollama',
      'anthropic',
      'b',
    ]);
    expect(list.providers[1].base_url).toBe(`${sim.url}/groq/openai/v1`);
    expect(sim.baseUrl('b')).toBe(`${sim.url}/b/v1`);
  });

  it('declares a provider at run time, with its own faults', async () => {
    const created = await control('/providers', 'POST', {
      name: 'c',
      flavour: 'cohere',
      faults: { invalid_keys: ['bad'] },
    });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({
      name: 'c',
      flavour: 'cohere',
      base_url: `${sim.url}/c`,
    });
    const answer = await rawRequest(`${sim.url}/c/v2/chat`, {
      body: { model: 'command', messages: MESSAGES },
      headers: { authorization: 'Bearer bad' },
    });
    expect(answer.status).toBe(401);
    expect(sim.requests({ includeProbes: true, provider: 'c' })).toHaveLength(1);
    expect((await control('/providers', 'POST', { name: 'd', flavour: 'mistral' })).status).toBe(400);
  });

  it('replaces with PUT, merges with PATCH (null removes a field) and restarts counters only on PUT', async () => {
    expect(JSON.parse((await control('/providers/b/faults')).body)).toEqual({
      latency_ms: 1,
      rules: [{ action: 'error', status: 503, first_n: 1 }],
    });
    expect((await chat('b')).status).toBe(503);
    expect((await chat('b')).status).toBe(200);
    const patched = await control('/providers/b/faults', 'PATCH', { jitter_ms: 2, latency_ms: null });
    expect(JSON.parse(patched.body)).toEqual({
      jitter_ms: 2,
      rules: [{ action: 'error', status: 503, first_n: 1 }],
    });
    expect((await chat('b')).status).toBe(200);
    const put = await control('/providers/b/faults', 'PUT', { rules: [{ status: 500, first_n: 1 }] });
    expect(JSON.parse(put.body)).toEqual({ rules: [{ action: 'error', status: 500, first_n: 1 }] });
    expect((await chat('b')).status).toBe(500);
    expect(sim.faults('b')).toEqual({ rules: [{ action: 'error', status: 500, first_n: 1 }] });
  });

  it('rejects invalid profiles, naming the field, and unknown providers', async () => {
    const typo = await control('/providers/openai/faults', 'PUT', {
      rules: [{ action: 'error' }],
      latncy_ms: 5,
    });
    expect(typo.status).toBe(400);
    const message = (JSON.parse(typo.body) as { error: string }).error;
    expect(message).toContain('rules.0.status');
    expect(message).toContain('latncy_ms');
    expect((await control('/providers/nobody/faults', 'PUT', {})).status).toBe(404);
    expect(
      (await rawRequest(`${sim.url}/_sim/providers/openai/faults`, { method: 'PUT', body: '{oops' })).status,
    ).toBe(400);
    await expect(sim.setFaults('openai', { rules: [{ action: 'malformed' }] })).rejects.toThrow(
      FaultProfileError,
    );
    await expect(
      sim.setFaults('openai', { rules: [{ action: 'error', status: 429, rate: 2 }] }),
    ).rejects.toThrow(/rate/);
  });

  it('records every request with key, headers of interest, parsed body and outcome', async () => {
    const before = Date.now();
    await chat('openai', {
      'x-request-id': 'client-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-cortex-attempt': '2',
    });
    const [record] = sim.requests({ includeProbes: true, provider: 'openai' });
    expect(record).toMatchObject({
      provider: 'openai',
      flavour: 'openai',
      method: 'POST',
      path: '/openai/v1/chat/completions',
      key: 'sk-a',
      model: 'gpt-4o-mini',
      stream: false,
      maxTokens: 50,
      status: 200,
      completed: true,
      aborted: false,
    });
    expect(record.time).toBeGreaterThanOrEqual(before);
    expect(record.endedAt).toBeGreaterThanOrEqual(record.time);
    expect(record.headers).toMatchObject({ 'x-request-id': 'client-1', 'x-cortex-attempt': '2' });
    expect(record.headers.traceparent).toMatch(/^00-0af7/);
    expect(record.body).toMatchObject({ model: 'gpt-4o-mini', messages: MESSAGES });
  });

  it('filters records by provider and time, over HTTP too, and clears them', async () => {
    await chat('openai');
    const middle = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await chat('b');
    await chat('b');
    expect(sim.requests({ includeProbes: true, since: middle + 1 })).toHaveLength(2);
    const viaHttp = JSON.parse((await control(`/requests?provider=b&since=${middle + 1}`)).body) as {
      requests: unknown[];
    };
    expect(viaHttp.requests).toHaveLength(2);
    expect(sim.requests({ includeProbes: true, provider: 'openai' })).toHaveLength(1);
    expect((await control('/requests', 'DELETE')).status).toBe(200);
    expect(sim.requests({ includeProbes: true })).toEqual([]);
  });

  it('resets to the start-up profiles and clears records', async () => {
    await sim.setFaults('b', {});
    await chat('b');
    expect((await control('/reset', 'POST')).status).toBe(200);
    expect(sim.requests({ includeProbes: true })).toEqual([]);
    expect(sim.faults('b')).toEqual({ latency_ms: 1, rules: [{ action: 'error', status: 503, first_n: 1 }] });
    expect((await chat('b')).status).toBe(503);
  });

  it('answers unknown providers and unknown routes in the provider style', async () => {
    const nobody = await rawRequest(`${sim.url}/nobody/v1/models`);
    expect(nobody.status).toBe(404);
    expect(nobody.body).toContain("unknown simulated provider 'nobody'");
    const route = await rawRequest(`${sim.baseUrl('openai')}/nope`, {
      headers: { authorization: 'Bearer k' },
    });
    expect(route.status).toBe(404);
    expect(JSON.parse(route.body)).toEqual({
      error: {
        message: 'Invalid URL (GET /v1/nope)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });
});

describe('simulator start-up options', () => {
  it('keeps only the newest records beyond recordLimit', async () => {
    const sim = await startSimulator({ port: 0, recordLimit: 3 });
    try {
      for (let i = 0; i < 5; i++) await rawRequest(`${sim.baseUrl('ollama')}/api/version`);
      expect(sim.requests({ includeProbes: true }).map((r) => r.id)).toEqual([3, 4, 5]);
    } finally {
      await sim.close();
    }
  });

  it('loads providers and faults from a YAML or JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-faults-'));
    try {
      const yamlFile = join(dir, 'faults.yaml');
      writeFileSync(
        yamlFile,
        'seed: 7\nproviders:\n  - { name: a, flavour: anthropic }\nfaults:\n  a:\n    rules:\n      - { status: 529 }\n',
      );
      const sim = await startSimulator({ port: 0, faultsFile: yamlFile });
      try {
        const answer = await rawRequest(`${sim.baseUrl('a')}/v1/messages`, {
          body: { model: 'claude', max_tokens: 5, messages: MESSAGES.slice(1) },
          headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
        });
        expect(answer.status).toBe(529);
      } finally {
        await sim.close();
      }
      const jsonFile = join(dir, 'faults.json');
      writeFileSync(
        jsonFile,
        JSON.stringify({ faults: { openai: { rules: [{ action: 'error', stauts: 500 }] } } }),
      );
      await expect(startSimulator({ port: 0, faultsFile: jsonFile })).rejects.toThrow(
        /faults of 'openai'.*stauts/,
      );
      writeFileSync(jsonFile, JSON.stringify({ faults: { ghost: {} } }));
      await expect(startSimulator({ port: 0, faultsFile: jsonFile })).rejects.toThrow(/ghost/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
