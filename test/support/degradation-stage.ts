import type { HealthCheckedEvent } from '../../src/common/events';
import type { SimulatorHandle } from '../../src/simulator';
import { COMPRESSED_PROFILE } from './chaos-harness';
import { chainSections, declareProviders } from './simulator-config';
import { callGateway, startGateway, type RunningGateway } from './gateway-harness';

/**
 * The stage of test/e2e/degradation.e2e-spec.ts: providers a..d (simulated, OpenAI flavour) behind one
 * model `chat`, a premium and a normal client, an admin token, and health checks the test reports.
 */
export const PROVIDERS = ['a', 'b', 'c', 'd'];
/** The upstream model of every deployment on the stage (chainSections). */
export const MODEL = 'gpt-4o-mini';
export const ADMIN_TOKEN = 'admin-token-degradation-0001';
export const KEYS = { premium: 'premium-client-key-0001', normal: 'normal-client-key-0001' } as const;
export type Tier = keyof typeof KEYS;
export const RETRY_AFTER_SECONDS = 7;
export const MAX_CONCURRENT = 4;

export interface ChatResult {
  status: number;
  provider: string | null;
  cache: string | null;
  attempts: string | null;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

/** A gateway on the stage; `degradation` is merged over the stage's degradation section. */
export async function startDegradationStage(
  simulator: SimulatorHandle,
  degradation: Record<string, unknown>,
): Promise<RunningGateway> {
  await declareProviders(simulator, PROVIDERS);
  return startGateway({
    ...chainSections(simulator, PROVIDERS),
    resilience: {
      ...COMPRESSED_PROFILE,
      // Open breakers stay open for the whole run (no probe wanders into a broken provider), and a
      // recovered provider takes its full share at once (no ramp drawing from the random source).
      circuit_breaker: {
        ...COMPRESSED_PROFILE.circuit_breaker,
        recovery_timeout_ms: 60_000,
        max_recovery_timeout_ms: 60_000,
      },
      recovery_ramp: { steps: [1], window_ms: 0 },
    },
    degradation: {
      retry_after_seconds: RETRY_AFTER_SECONDS,
      max_concurrent_requests: MAX_CONCURRENT,
      ...degradation,
    },
    // The test reports health itself: a scheduled check must not run in between.
    health: { check_interval_ms: 3_600_000 },
    clients: [
      { name: 'team-search', key: KEYS.premium, tier: 'premium' },
      { name: 'team-batch', key: KEYS.normal, tier: 'normal' },
    ],
    admin: { tokens: [ADMIN_TOKEN] },
  });
}

/** A health check over a..d with `down` unhealthy, as the scheduled check reports one. */
export function healthCheck(down: ReadonlySet<string>): HealthCheckedEvent {
  const deployments = PROVIDERS.map((provider) => ({
    name: `${provider}/${MODEL}`,
    provider,
    model: MODEL,
    healthy: !down.has(provider),
    reason: down.has(provider) ? 'circuit_open' : undefined,
  }));
  const healthy = deployments.filter((deployment) => deployment.healthy).length;
  return { at: Date.now(), deployments, healthyShare: healthy / deployments.length, durationMs: 1 };
}

/** Every chat request to these providers answers 503. */
export async function setDown(simulator: SimulatorHandle, providers: string[]): Promise<void> {
  for (const provider of providers) await simulator.setFaults(provider, { rules: [{ status: 503 }] });
}

/** One chat request with a client key; never throws. */
export async function sendChat(
  gateway: RunningGateway,
  key: string,
  body: Record<string, unknown> = {},
): Promise<ChatResult> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }], ...body }),
  });
  return {
    status: response.status,
    provider: response.headers.get('x-cortex-provider'),
    cache: response.headers.get('x-cortex-cache'),
    attempts: response.headers.get('x-cortex-attempts'),
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** One call of /admin/degradation. */
export async function adminCall(
  gateway: RunningGateway,
  method: string,
  body?: unknown,
  token = ADMIN_TOKEN,
): Promise<Response> {
  return callGateway(`${gateway.url}/admin/degradation`, method, body, token);
}

/** A Markdown table of rows with the same keys. */
export function formatTable(rows: Array<Record<string, string | number>>): string {
  const columns = Object.keys(rows[0]);
  const width = (column: string) => Math.max(column.length, ...rows.map((row) => String(row[column]).length));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(width(columns[i]))).join(' | ')} |`;
  return [
    line(columns),
    line(columns.map((column) => '-'.repeat(width(column)))),
    ...rows.map((row) => line(columns.map((column) => String(row[column])))),
  ].join('\n');
}
