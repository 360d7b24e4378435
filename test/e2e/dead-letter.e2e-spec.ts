import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import OpenAI from 'openai';
import { createApp } from '../../src/app.factory';
import { parseConfig } from '../../src/config/config.loader';
import { CortexEvent } from '../../src/common/events';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { callGateway, loopbackUrl, startGateway, type RunningGateway } from '../support/gateway-harness';
import { simulatorConfig } from '../support/simulator-config';

/** The dead letter queue as a client and an operator see it: records, queries, replay, bounds. */
describe('dead letter queue', () => {
  const adminToken = 'admin-token-for-tests-0001';
  const clientKey = 'team-search-client-key-0001';
  const messages = [{ role: 'user' as const, content: 'please remember this request' }];
  let simulator: SimulatorHandle;
  let gateway: RunningGateway;

  async function start(extra: Record<string, unknown> = {}): Promise<RunningGateway> {
    return startGateway(
      simulatorConfig(simulator, {
        models: {
          chain: [
            { provider: 'openai', model: 'gpt-4o-mini' },
            { provider: 'gemini', model: 'gemini-2.0-flash' },
          ],
        },
        resilience: { retry: { server_error: { max_attempts: 1 } } },
        admin: { tokens: [adminToken] },
        clients: [{ name: 'team-search', key: clientKey, tier: 'premium' }],
        ...extra,
      }),
      clientKey,
    );
  }

  async function admin(method: string, path: string, body?: unknown, token = adminToken): Promise<Response> {
    return callGateway(`${gateway.url}${path}`, method, body, token);
  }

  async function failOnce(
    content = 'please remember this request',
  ): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await gateway.openai.chat.completions.create({
        model: 'chain',
        messages: [{ role: 'user', content }],
        temperature: 0.3,
      });
    } catch (error) {
      if (error instanceof OpenAI.APIError) return error;
      throw error;
    }
    throw new Error('expected a failure');
  }

  async function breakEverything(): Promise<void> {
    await simulator.setFaults('openai', { rules: [{ action: 'error', status: 500 }] });
    await simulator.setFaults('gemini', { rules: [{ action: 'error', status: 503 }] });
  }

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
  });
  beforeEach(async () => {
    await simulator.reset();
    gateway = await start();
  });
  afterEach(async () => {
    await gateway?.close();
  });
  afterAll(async () => {
    await simulator?.close();
  });

  it('records a failed request before answering, and the answer carries its dlq_id', async () => {
    await breakEverything();
    const error = await failOnce();
    expect(error.status).toBe(502);
    const dlqId = (error.error as { dlq_id?: string }).dlq_id;
    expect(dlqId).toMatch(/^dlq_[0-9a-f]{32}$/);

    const response = await admin('GET', `/admin/dlq/${dlqId}`);
    expect(response.status).toBe(200);
    const record = (await response.json()) as Record<string, any>;
    expect(record).toMatchObject({
      id: dlqId,
      failure_class: 'service_unavailable',
      status: 502,
      state: 'pending',
      replay_count: 0,
      client: { name: 'team-search', tier: 'premium' },
      request: { model: 'chain', messages, params: { temperature: 0.3 }, stream: false },
    });
    expect(record.request_id).toBe(error.headers?.get('x-request-id'));
    expect(record.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(
      record.attempts.map((a: { provider: string; failure_class: string; status: number }) => [
        a.provider,
        a.failure_class,
        a.status,
      ]),
    ).toEqual([
      ['openai', 'service_unavailable', 500],
      ['gemini', 'service_unavailable', 503],
    ]);
    expect(record.attempts[0].key_suffix).toBe('...0001');
    // Secrets never reach the queue: not the client's key, not the providers' keys.
    const stored = JSON.stringify(record);
    for (const secret of [clientKey, 'sk-test-openai-0001', 'AIza-test-gemini-0003', adminToken])
      expect(stored).not.toContain(secret);
  });

  it('lists newest first with filters and a cursor, and keeps stats by class and provider', async () => {
    await breakEverything();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(((await failOnce(`request ${i}`)).error as { dlq_id: string }).dlq_id);
    const first = (await (await admin('GET', '/admin/dlq?limit=2')).json()) as {
      data: Array<{ id: string }>;
      next_cursor: string;
    };
    expect(first.data.map((item) => item.id)).toEqual([ids[4], ids[3]]);
    const second = (await (await admin('GET', `/admin/dlq?limit=2&cursor=${first.next_cursor}`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(second.data.map((item) => item.id)).toEqual([ids[2], ids[1]]);
    const byProvider = (await (
      await admin('GET', '/admin/dlq?provider=gemini&error_type=service_unavailable')
    ).json()) as { data: unknown[] };
    expect(byProvider.data).toHaveLength(5);
    const none = (await (await admin('GET', '/admin/dlq?error_type=timeout')).json()) as { data: unknown[] };
    expect(none.data).toHaveLength(0);

    const stats = (await (await admin('GET', '/admin/dlq/stats')).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({
      store: 'sqlite',
      current_size: 5,
      max_size: 1000,
      total_added: 5,
      total_evicted: 0,
      total_replayed: 0,
      by_class: { service_unavailable: 5 },
      by_provider: { openai: 5, gemini: 5 },
    });
  });

  it('does not record bad requests (the client must fix them)', async () => {
    await simulator.setFaults('openai', { rules: [{ action: 'error', status: 400 }] });
    const error = await failOnce();
    expect(error.status).toBe(400);
    expect((error.error as { dlq_id?: string }).dlq_id).toBeUndefined();
    const stats = (await (await admin('GET', '/admin/dlq/stats')).json()) as { current_size: number };
    expect(stats.current_size).toBe(0);
  });

  it('records a stream broken after its first byte; the error event carries the dlq_id', async () => {
    await simulator.setFaults('openai', { rules: [{ action: 'disconnect', after_chunks: 2 }] });
    const stream = await gateway.openai.chat.completions.create({ model: 'chain', messages, stream: true });
    let caught: InstanceType<typeof OpenAI.APIError> | undefined;
    try {
      for await (const _chunk of stream) {
        /* read until the in-band error */
      }
    } catch (error) {
      caught = error as InstanceType<typeof OpenAI.APIError>;
    }
    expect(caught).toBeInstanceOf(OpenAI.APIError);
    const dlqId = (caught!.error as { dlq_id?: string }).dlq_id;
    expect(dlqId).toMatch(/^dlq_/);
    const record = (await (await admin('GET', `/admin/dlq/${dlqId}`)).json()) as {
      failure_class: string;
      request: { stream: boolean };
    };
    expect(record).toMatchObject({ failure_class: 'network_error', request: { stream: true } });
  });

  it('replays through the resilience pipeline: failure keeps the item, success resolves it and keeps the answer', async () => {
    await breakEverything();
    const dlqId = ((await failOnce()).error as { dlq_id: string }).dlq_id;

    const failed = (await (await admin('POST', `/admin/dlq/${dlqId}/retry`)).json()) as Record<
      string,
      unknown
    >;
    expect(failed).toMatchObject({
      id: dlqId,
      outcome: 'failure',
      state: 'pending',
      failure_class: 'service_unavailable',
    });
    let record = (await (await admin('GET', `/admin/dlq/${dlqId}`)).json()) as Record<string, any>;
    expect(record.replay_count).toBe(1);
    expect(record.replays[0].attempts.map((a: { provider: string }) => a.provider)).toEqual([
      'openai',
      'gemini',
    ]);

    await simulator.setFaults('gemini', {});
    const succeeded = (await (await admin('POST', `/admin/dlq/${dlqId}/retry`)).json()) as Record<
      string,
      any
    >;
    expect(succeeded).toMatchObject({ id: dlqId, outcome: 'success', state: 'resolved' });
    expect(succeeded.response.choices[0].message.content).toBeTruthy();
    record = (await (await admin('GET', `/admin/dlq/${dlqId}`)).json()) as Record<string, any>;
    expect(record).toMatchObject({ state: 'resolved', replay_count: 2 });
    expect(record.response.choices[0].message.content).toBe(succeeded.response.choices[0].message.content);
    // The replay went through the router (fallback past openai), not a raw call.
    expect(
      record.replays[1].attempts.map(
        (a: { provider: string; outcome: string }) => `${a.provider}:${a.outcome}`,
      ),
    ).toEqual(['openai:failure', 'gemini:success']);
    const again = await admin('POST', `/admin/dlq/${dlqId}/retry`);
    expect(again.status).toBe(409);
    const stats = (await (await admin('GET', '/admin/dlq/stats')).json()) as Record<string, number>;
    expect(stats).toMatchObject({ total_replayed: 2, replay_successes: 1 });
  });

  it('runs two concurrent replays of one item once', async () => {
    await breakEverything();
    const dlqId = ((await failOnce()).error as { dlq_id: string }).dlq_id;
    await simulator.setFaults('openai', { latency_ms: 300 });
    await simulator.clearRequests();
    const [a, b] = await Promise.all([
      admin('POST', `/admin/dlq/${dlqId}/retry`),
      admin('POST', `/admin/dlq/${dlqId}/retry`),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(simulator.requests({ provider: 'openai' })).toHaveLength(1);
  });

  it('bulk-replays by filter with bounded concurrency, reporting progress and a summary', async () => {
    await breakEverything();
    // Four, so no breaker opens (its threshold is five) and every record is service_unavailable.
    for (let i = 0; i < 4; i++) await failOnce(`bulk ${i}`);
    await simulator.setFaults('gemini', {});
    const started = await admin('POST', '/admin/dlq/retry', {
      error_type: 'service_unavailable',
      concurrency: 2,
      rate_per_second: 50,
    });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string; total: number; status: string };
    expect(job).toMatchObject({ total: 4, status: 'running' });
    let progress: Record<string, unknown> = {};
    for (let i = 0; i < 100 && progress.status !== 'done'; i++) {
      progress = (await (await admin('GET', `/admin/dlq/retry/${job.id}`)).json()) as Record<string, unknown>;
      if (progress.status !== 'done') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(progress).toMatchObject({ status: 'done', total: 4, done: 4, succeeded: 4, failed: 0 });
    const pending = (await (await admin('GET', '/admin/dlq?state=pending')).json()) as { data: unknown[] };
    expect(pending.data).toHaveLength(0);
  });

  it('evicts the oldest beyond max_size and counts it', async () => {
    await gateway.close();
    gateway = await start({ dlq: { max_size: 3 } });
    await breakEverything();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(((await failOnce(`evict ${i}`)).error as { dlq_id: string }).dlq_id);
    const listed = (await (await admin('GET', '/admin/dlq')).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((item) => item.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect((await admin('GET', `/admin/dlq/${ids[0]}`)).status).toBe(404);
    const stats = (await (await admin('GET', '/admin/dlq/stats')).json()) as Record<string, number>;
    expect(stats).toMatchObject({ current_size: 3, max_size: 3, total_added: 5, total_evicted: 2 });
  });

  it('deletes one item, purges by filter, and answers unknown ids with 404', async () => {
    await breakEverything();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await failOnce(`purge ${i}`)).error as { dlq_id: string }).dlq_id);
    expect((await admin('DELETE', `/admin/dlq/${ids[0]}`)).status).toBe(204);
    expect((await admin('DELETE', `/admin/dlq/${ids[0]}`)).status).toBe(404);
    const unknown = await admin('GET', '/admin/dlq/dlq_doesnotexist');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: 'not_found_error', param: 'id' } });
    expect((await admin('POST', '/admin/dlq/dlq_doesnotexist/retry')).status).toBe(404);
    const purged = (await (await admin('DELETE', '/admin/dlq?error_type=service_unavailable')).json()) as {
      purged: number;
    };
    expect(purged.purged).toBe(2);
  });

  it.each([
    ['/admin/dlq?error_type=nonsense', 'error_type'],
    ['/admin/dlq?limit=0', 'limit'],
    ['/admin/dlq?limit=abc', 'limit'],
    ['/admin/dlq?since=yesterday', 'since'],
    ['/admin/dlq?colour=red', null],
    ['/admin/dlq?cursor=not-a-cursor', 'cursor'],
  ])('rejects the malformed filter %s naming the field', async (path, param) => {
    const response = await admin('GET', path);
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { type: string; param: string | null; message: string };
    };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.param).toBe(param);
    if (param === null) expect(body.error.message).toContain('colour');
  });

  it('guards every admin route: 401 without a token, 403 with a wrong one', async () => {
    expect((await fetch(`${gateway.url}/admin/dlq`)).status).toBe(401);
    expect((await admin('GET', '/admin/dlq/stats', undefined, 'wrong-token-000000')).status).toBe(403);
  });

  it('hides the admin API (404) when no admin token is configured', async () => {
    await gateway.close();
    gateway = await start({ admin: { tokens: [] } });
    expect((await fetch(`${gateway.url}/admin/dlq`, { headers: { authorization: 'Bearer x' } })).status).toBe(
      404,
    );
  });

  it('still answers the client when the store cannot be written, and says so', async () => {
    // A data directory below a regular file cannot be created, even by root: the store cannot open.
    const blocker = join(mkdtempSync(join(tmpdir(), 'cortex-unwritable-')), 'not-a-directory');
    writeFileSync(blocker, 'x');
    await gateway.close();
    const raw = simulatorConfig(simulator, {
      models: { chain: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
      resilience: { retry: { server_error: { max_attempts: 1 } } },
      admin: { tokens: [adminToken] },
    });
    const config = parseConfig(raw, { CORTEX_DATA_DIR: join(blocker, 'data'), LOG_LEVEL: 'silent' });
    const app = await createApp(config);
    try {
      let failedWrites = 0;
      app.get(EventEmitter2).on(CortexEvent.DlqWriteFailed, () => failedWrites++);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = await loopbackUrl(app);
      await breakEverything();
      const response = await callGateway(`${url}/v1/chat/completions`, 'POST', { model: 'chain', messages });
      expect(response.status).toBe(502);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error.type).toBe('upstream_error');
      expect(body.error.dlq_id).toBeUndefined();
      expect(failedWrites).toBe(1);
      const stats = (await (
        await callGateway(`${url}/admin/dlq/stats`, 'GET', undefined, adminToken)
      ).json()) as Record<string, unknown>;
      expect(stats.write_failures).toBe(1);
      expect(String(stats.store_error)).toContain('unavailable');
    } finally {
      await app.close();
    }
  });
});
