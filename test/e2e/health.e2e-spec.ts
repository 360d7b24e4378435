import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppModule } from '../../src/app.module';
import { CortexEvent, type HealthCheckedEvent } from '../../src/common/events';
import { parseConfig } from '../../src/config/config.loader';
import { HEALTH_CHECK_INTERVAL, HealthMonitor } from '../../src/monitoring/health-monitor.service';
import { LifecycleService } from '../../src/monitoring/lifecycle.service';
import { MonitoringModule } from '../../src/monitoring/monitoring.module';
import { ResilienceState } from '../../src/resilience/resilience-state.service';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { callGateway, loopbackUrl } from '../support/gateway-harness';
import { simulatorConfig } from '../support/simulator-config';
import { waitFor } from '../support/wait-for';
import { createRootLogger, PinoNestLogger } from '../../src/telemetry/logger';

const ADMIN_TOKEN = 'admin-token-for-health-0001';

@Module({})
class HealthTestRoot {}

interface Stage {
  app: NestFastifyApplication;
  monitor: HealthMonitor;
  get(path: string, token?: string): Promise<{ status: number; body: Record<string, any> }>;
  post(path: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, any> }>;
}

/**
 * The real application plus MonitoringModule (imported next to AppModule, so this holds whether or
 * not AppModule imports it too), listening on loopback with its own data directory.
 */
async function startStage(raw: Record<string, unknown>): Promise<Stage> {
  const config = parseConfig(
    { admin: { tokens: [ADMIN_TOKEN] }, ...raw },
    { LOG_LEVEL: process.env.LOG_LEVEL, CORTEX_DATA_DIR: mkdtempSync(join(tmpdir(), 'cortex-health-')) },
  );
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: HealthTestRoot, imports: [AppModule.forRoot(config), MonitoringModule] },
    new FastifyAdapter(),
    { bufferLogs: true },
  );
  app.useLogger(new PinoNestLogger(createRootLogger(config.runtime.log_level)));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = await loopbackUrl(app);
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await callGateway(`${url}${path}`, method, body, token);
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  return {
    app,
    monitor: app.get(HealthMonitor),
    get: (path, token) => call('GET', path, undefined, token),
    post: (path, body, token) => call('POST', path, body, token),
  };
}

/** One simulated OpenAI provider `openai` behind model `chat`. */
function singleProvider(
  simulator: SimulatorHandle,
  extra: Record<string, unknown> = {},
  apiKeys = ['sk-test-openai-0001'],
) {
  return {
    providers: { openai: { type: 'openai', base_url: simulator.baseUrl('openai'), api_keys: apiKeys } },
    models: { chat: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
    ...extra,
  };
}

describe('health endpoints, scheduled checks and alerts (end to end)', () => {
  let simulator: SimulatorHandle;
  let stage: Stage | undefined;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
  });
  beforeEach(async () => {
    await simulator.reset();
  });
  afterEach(async () => {
    await stage?.app.close();
    stage = undefined;
  });
  afterAll(async () => {
    await simulator?.close();
  });

  it('GET /health has every CONTRACT field, and probes only ever hit model-list routes', async () => {
    stage = await startStage(simulatorConfig(simulator));
    await stage.monitor.latestOrFirst();
    const checked: HealthCheckedEvent[] = [];
    stage.app
      .get(EventEmitter2)
      .on(CortexEvent.HealthChecked, (event: HealthCheckedEvent) => checked.push(event));
    await stage.monitor.runCheck();
    await stage.monitor.runCheck();

    const { status, body } = await stage.get('/health');
    expect(status).toBe(200);
    // CONTRACT §4's fields, then this gateway's extensions.
    const fields = `status degradation_level timestamp workers circuits system_metrics active_alerts dlq_size
      check_duration_ms uptime_seconds lifecycle last_check_at check_interval_ms stores`;
    expect(Object.keys(body).sort()).toEqual(fields.split(/\s+/).sort());
    expect(body).toMatchObject({
      status: 'healthy',
      degradation_level: 'healthy',
      workers: { total: 6, healthy: 6, healthy_share: 1 },
      active_alerts: [],
      dlq_size: 0,
      lifecycle: 'ready',
      check_interval_ms: 30_000,
      stores: { dead_letter_queue: { status: 'up', store: 'sqlite', error: null } },
    });
    expect(new Date(body.timestamp as string).toISOString()).toBe(body.timestamp);
    expect(body.check_duration_ms).toBeGreaterThanOrEqual(0);
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0);
    const metrics = `rss_bytes heap_used_bytes heap_total_bytes external_bytes event_loop_delay_p99_ms
      event_loop_utilization in_flight_requests open_streams`;
    expect(Object.keys(body.system_metrics as object).sort()).toEqual(metrics.split(/\s+/).sort());
    const deployments = ['openai/gpt-4o-mini', 'groq/llama-3.1-8b-instant', 'gemini/gemini-2.0-flash'];
    for (const name of deployments) {
      expect(body.circuits[name]).toMatchObject({ state: 'closed', total_calls: 0, failure_rate: 0 });
      expect(body.circuits[`${name}#probe`]).toMatchObject({
        state: 'closed',
        total_calls: 3,
        total_successes: 3,
      });
    }
    expect(body.workers.deployments[0]).toEqual({
      name: 'openai/gpt-4o-mini',
      provider: 'openai',
      model: 'gpt-4o-mini',
      healthy: true,
      reason: null,
      circuit_state: 'closed',
      key_available: true,
      probe: {
        outcome: 'reachable',
        failure_class: null,
        skipped_because: null,
        latency_ms: expect.any(Number) as number,
      },
      success_rate: null,
      traffic_calls: 0,
      p95_latency_ms: null,
    });
    expect(checked.map((event) => [event.healthyShare, event.deployments.length])).toEqual([
      [1, 6],
      [1, 6],
    ]);

    // Three checks of six deployments: 18 GETs, each on a model list or Ollama's tags, no completion.
    const requests = simulator.requests({ includeProbes: true });
    expect(requests).toHaveLength(18);
    expect(
      requests.every((request) => request.method === 'GET' && /(\/models|\/api\/tags)$/.test(request.path)),
    ).toBe(true);
    expect([...new Set(requests.map((request) => request.path))].sort()).toEqual([
      '/anthropic/v1/models',
      '/cohere/v1/models',
      '/gemini/v1beta/models',
      '/groq/openai/v1/models',
      '/ollama/api/tags',
      '/openai/v1/models',
    ]);
  });

  it('readiness: 503 while starting, 200 after the first check, 503 when draining; liveness stays 200', async () => {
    // The model list answers after 1.5 s, so the first check is still running once the app listens.
    await simulator.setFaults('openai', { rules: [{ action: 'delay', latency_ms: 1500, scope: 'all' }] });
    stage = await startStage(singleProvider(simulator));

    const starting = await stage.get('/health/ready');
    expect(starting.status).toBe(503);
    expect(starting.body).toMatchObject({
      status: 'error',
      error: {
        lifecycle: { status: 'down', state: 'starting' },
        providers: { status: 'down', message: 'no health check has finished yet' },
      },
    });
    expect(await stage.get('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });

    await stage.monitor.latestOrFirst();
    const ready = await stage.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: {
        lifecycle: { status: 'up', state: 'ready' },
        providers: { status: 'up', usable: 1, total: 1 },
        dead_letter_queue: { status: 'up', store: 'sqlite' },
        event_loop: { status: 'up', max_delay_p99_ms: 1000 },
      },
    });

    stage.app.get(LifecycleService).markDraining();
    const draining = await stage.get('/health/ready');
    expect(draining.status).toBe(503);
    expect(draining.body.error).toEqual({ lifecycle: { status: 'down', state: 'draining' } });
    expect((await stage.get('/health/live')).status).toBe(200);
  });

  it('no usable provider: /health 503 no_workers, readiness 503, liveness 200; the webhook hears the raise and the resolve', async () => {
    const received: Array<{ text: string; alert: { event: string; rule: string } }> = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof received)[number]);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      await simulator.setFaults('openai', { rules: [{ status: 503, scope: 'all' }] });
      stage = await startStage(
        singleProvider(simulator, { alerts: { channels: [{ type: 'webhook', url: webhook }] } }),
      );
      await stage.monitor.latestOrFirst();

      const down = await stage.get('/health');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'no_workers',
        workers: { total: 1, healthy: 0, healthy_share: 0 },
        active_alerts: [
          {
            rule: 'no_available_workers',
            severity: 'critical',
            message: 'no deployment is usable (openai/gpt-4o-mini: probe_failed:service_unavailable)',
            status: 'active',
          },
        ],
      });
      const notReady = await stage.get('/health/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body.error).toEqual({
        providers: expect.objectContaining({
          status: 'down',
          usable: 0,
          unhealthy: { 'openai/gpt-4o-mini': 'probe_failed:service_unavailable' },
        }),
      });
      expect((await stage.get('/health/live')).status).toBe(200);
      await waitFor(() => received.length === 1, 5000, 'the raised notice');

      await simulator.setFaults('openai', {});
      await stage.monitor.runCheck();
      expect(await stage.get('/health')).toMatchObject({
        status: 200,
        body: { status: 'healthy', active_alerts: [] },
      });
      expect((await stage.get('/health/ready')).status).toBe(200);
      await waitFor(() => received.length === 2, 5000, 'the resolved notice');
      expect(received.map((notice) => [notice.alert.event, notice.alert.rule])).toEqual([
        ['raised', 'no_available_workers'],
        ['resolved', 'no_available_workers'],
      ]);
      expect(received[1].text).toMatch(/^\[RESOLVED\] Cortex no_available_workers: /);
      const { resolved } = (await stage.get('/admin/alerts', ADMIN_TOKEN)).body;
      expect(resolved).toMatchObject([{ rule: 'no_available_workers', status: 'resolved' }]);
      expect(await stage.post(`/admin/alerts/${resolved[0].id}/ack`, undefined, ADMIN_TOKEN)).toMatchObject({
        status: 409,
        body: { error: { type: 'conflict_error', code: 'alert_resolved' } },
      });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('a probe answered 401 disables that key and raises key_disabled, which an operator lists and acknowledges', async () => {
    const bad = 'sk-test-openai-0bad';
    const good = 'sk-test-openai-good';
    await simulator.setFaults('openai', { invalid_keys: [bad] });
    stage = await startStage(singleProvider(simulator, {}, [bad, good]));
    await stage.monitor.latestOrFirst();

    const pool = stage.app.get(ResilienceState).pool('openai');
    expect(pool.snapshot().map((key) => [key.keySuffix, key.status, key.reason])).toEqual([
      ['...0bad', 'disabled', 'auth_error'],
      ['...good', 'healthy', undefined],
    ]);
    expect(
      simulator
        .requests({ includeProbes: true })
        .map((request) => [request.path, request.key, request.status]),
    ).toEqual([['/openai/v1/models', bad, 401]]);
    // The provider answered, and another key is left: still usable; the alert makes the status a warning.
    const health = await stage.get('/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'warning', workers: { healthy: 1 } } });

    expect((await stage.get('/admin/alerts')).status).toBe(401);
    const listed = await stage.get('/admin/alerts', ADMIN_TOKEN);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({
      active: [
        { rule: 'key_disabled', severity: 'critical', subject: 'openai/...0bad', acknowledged: false },
      ],
      resolved: [],
    });
    const id = listed.body.active[0].id as string;

    const acked = await stage.post(`/admin/alerts/${id}/ack`, { by: 'on-call' }, ADMIN_TOKEN);
    expect(acked).toMatchObject({
      status: 200,
      body: { id, acknowledged: true, acknowledged_by: 'on-call' },
    });
    expect((await stage.post(`/admin/alerts/${id}/ack`, undefined, 'wrong-token')).status).toBe(403);
    expect(await stage.post('/admin/alerts/alert_nope/ack', undefined, ADMIN_TOKEN)).toMatchObject({
      status: 404,
      body: { error: { type: 'not_found_error', code: 'alert_not_found' } },
    });
    // The next check probes with the remaining key only.
    await stage.monitor.runCheck();
    expect(simulator.requests({ includeProbes: true }).map((request) => request.key)).toEqual([bad, good]);
  });

  it('the check interval is registered with SchedulerRegistry and can be changed at run time', async () => {
    stage = await startStage(singleProvider(simulator));
    await stage.monitor.latestOrFirst();
    const scheduler = stage.app.get(SchedulerRegistry);
    expect(scheduler.getIntervals()).toContain(HEALTH_CHECK_INTERVAL);
    const before: unknown = scheduler.getInterval(HEALTH_CHECK_INTERVAL);
    const checked: HealthCheckedEvent[] = [];
    stage.app
      .get(EventEmitter2)
      .on(CortexEvent.HealthChecked, (event: HealthCheckedEvent) => checked.push(event));

    stage.monitor.setIntervalMs(100);
    expect(scheduler.getInterval(HEALTH_CHECK_INTERVAL)).not.toBe(before);
    await waitFor(() => checked.length >= 3, 5000, 'three scheduled checks at 100 ms');
    expect((await stage.get('/health')).body.check_interval_ms).toBe(100);
  });
});
