import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import OpenAI from 'openai';
import type { DestinationStream } from 'pino';
import { createApp } from '../../src/app.factory';
import { HealthMonitor } from '../../src/monitoring/health-monitor.service';
import { parseConfig } from '../../src/config/config.loader';
import type { CortexConfig } from '../../src/config/config.schema';

export interface RunningGateway {
  app: NestFastifyApplication;
  config: CortexConfig;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The official OpenAI SDK pointed at the gateway, without its own retries. */
  openai: OpenAI;
  close(): Promise<void>;
}

/** Builds the real application from a raw config document and listens on an ephemeral loopback port. */
export async function startGateway(
  raw: Record<string, unknown>,
  clientKey = 'no-key',
  options: { logLevel?: string; logDestination?: DestinationStream } = {},
): Promise<RunningGateway> {
  // Only the log level comes from the environment (silent unless a developer asks for logs). Each
  // gateway gets its own data directory, so the SQLite dead letter queue of one test never leaks
  // into another (or into the repository's ./data).
  const config = parseConfig(raw, {
    LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL,
    CORTEX_DATA_DIR: mkdtempSync(join(tmpdir(), 'cortex-test-data-')),
  });
  const app = await createApp(config, { logDestination: options.logDestination });
  await app.listen({ port: 0, host: '127.0.0.1' });
  // The start-up health check probes every upstream; tests begin once it is done, so their faults
  // and counts never race with it.
  await app.get(HealthMonitor).latestOrFirst();
  const url = await loopbackUrl(app);
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: clientKey, maxRetries: 0, timeout: 20_000 });
  return { app, config, url, openai, close: () => app.close() };
}

/** A listening application's URL on 127.0.0.1, however Fastify names the loopback address. */
export async function loopbackUrl(app: NestFastifyApplication): Promise<string> {
  return (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
}

/** One HTTP call: `body` (when given) as JSON, `token` (when given) as the bearer token. */
export function callGateway(url: string, method: string, body?: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
