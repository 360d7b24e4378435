import { EventEmitter2 } from '@nestjs/event-emitter';
import OpenAI from 'openai';
import { CortexEvent, type CortexEventMap } from '../../src/common/events';
import { ResilienceState } from '../../src/resilience/resilience-state.service';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { startGateway, type RunningGateway } from './gateway-harness';
import { chainSections, declareProviders, STAGE_TIMEOUTS } from './simulator-config';

/**
 * The scenario matrix's stage (RELIABILITY.md): providers A, B, C in the simulator, one model `chat`
 * falling back A -> B -> C, and the compressed test profile (recovery 2 s, backoff base 50 ms, cap 1 s)
 * so each scenario runs in seconds.
 */
export const COMPRESSED_PROFILE = {
  request_timeout_ms: 10_000,
  max_attempts: 5,
  circuit_breaker: {
    failure_threshold: 5,
    failure_rate_threshold: 0.5,
    window_ms: 10_000,
    minimum_calls: 20,
    recovery_timeout_ms: 2000,
    reset_timeout_ms: 30_000,
    half_open_max_probes: 1,
    probe_timeout_ms: 5000,
    max_recovery_timeout_ms: 2000,
  },
  retry: {
    rate_limit: { max_attempts: 3, base_delay_ms: 50, max_delay_ms: 1000, multiplier: 2, jitter: 'full' },
    network: {
      max_attempts: 3,
      base_delay_ms: 50,
      max_delay_ms: 1000,
      multiplier: 1.5,
      jitter: 'decorrelated',
    },
    server_error: { max_attempts: 3, base_delay_ms: 50, max_delay_ms: 1000, multiplier: 2, jitter: 'equal' },
    budget: { ratio: 0.2, min_per_second: 3 },
  },
  recovery_ramp: { steps: [0.25, 0.5, 1], window_ms: 1500 },
};

export interface ChaosOptions {
  /** Providers of the chain, in order (default a, b, c). */
  chain?: string[];
  /** API keys per provider (default one key each). */
  keys?: Record<string, string[]>;
  /** Per-provider config fields (timeouts, base_url for a closed port, resilience overrides). */
  providers?: Record<string, Record<string, unknown>>;
  /** Deep-merged over COMPRESSED_PROFILE's sections. */
  resilience?: Record<string, unknown>;
  /** Other top-level config sections (degradation, health, ...). */
  config?: Record<string, unknown>;
}

export interface ChaosStage {
  simulator: SimulatorHandle;
  gateway: RunningGateway;
  openai: OpenAI;
  /** Every typed event the gateway emitted, in order. */
  events: Array<{ name: CortexEvent; payload: unknown }>;
  eventsOf<E extends CortexEvent>(name: E): Array<CortexEventMap[E]>;
  state: ResilienceState;
  close(): Promise<void>;
}

export async function startChaosStage(options: ChaosOptions = {}): Promise<ChaosStage> {
  const chain = options.chain ?? ['a', 'b', 'c'];
  const simulator = await startSimulator({ port: 0 });
  await declareProviders(simulator, chain);
  const gateway = await startGateway({
    ...chainSections(simulator, chain, (name) => ({
      ...(options.keys?.[name] && { api_keys: options.keys[name] }),
      ...STAGE_TIMEOUTS,
      ...options.providers?.[name],
    })),
    resilience: mergeSections(COMPRESSED_PROFILE, options.resilience ?? {}),
    ...options.config,
  });
  const events: ChaosStage['events'] = [];
  const emitter = gateway.app.get(EventEmitter2);
  for (const name of Object.values(CortexEvent))
    emitter.on(name, (payload: unknown) => events.push({ name, payload }));
  return {
    simulator,
    gateway,
    openai: gateway.openai,
    events,
    eventsOf: <E extends CortexEvent>(name: E) =>
      events.filter((event) => event.name === name).map((event) => event.payload as CortexEventMap[E]),
    state: gateway.app.get(ResilienceState),
    close: async () => {
      await gateway.close();
      await simulator.close();
    },
  };
}

function mergeSections(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeSections(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The outcome of one client request as the client saw it. */
export interface ClientResult {
  ok: boolean;
  status: number;
  latencyMs: number;
  provider?: string;
  attempts?: number;
  route?: string;
  retryAfter?: string | null;
  errorType?: string;
  startedAt: number;
}

/**
 * One non-stream request through the official SDK, to the stage's model `chat` unless told otherwise;
 * never throws, the result says what happened.
 */
export async function callChat(openai: OpenAI, content = 'hello', model = 'chat'): Promise<ClientResult> {
  const startedAt = Date.now();
  const started = performance.now();
  try {
    const { response } = await openai.chat.completions
      .create({ model, messages: [{ role: 'user', content }] })
      .withResponse();
    return {
      ok: true,
      status: response.status,
      latencyMs: performance.now() - started,
      provider: response.headers.get('x-cortex-provider') ?? undefined,
      attempts: Number(response.headers.get('x-cortex-attempts')),
      route: response.headers.get('x-cortex-route') ?? undefined,
      startedAt,
    };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return {
      ok: false,
      status: error.status ?? 0,
      latencyMs: performance.now() - started,
      attempts: Number(error.headers?.get('x-cortex-attempts') ?? NaN),
      route: error.headers?.get('x-cortex-route') ?? undefined,
      retryAfter: error.headers?.get('retry-after') ?? null,
      errorType: (error.error as { type?: string } | undefined)?.type,
      startedAt,
    };
  }
}

/**
 * Sends `total` requests with at most `concurrency` in flight and at most `ratePerSecond` started per
 * second; bounded in count, so every scenario ends by itself.
 */
export async function runLoad(
  send: (index: number) => Promise<ClientResult>,
  { total, concurrency = 4, ratePerSecond }: { total: number; concurrency?: number; ratePerSecond?: number },
): Promise<ClientResult[]> {
  const results: ClientResult[] = new Array<ClientResult>(total);
  let next = 0;
  const startedAt = Date.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      if (ratePerSecond) {
        const due = startedAt + (index * 1000) / ratePerSecond;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      results[index] = await send(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}

/** The q-quantile (0..1) of a list of numbers, nearest rank. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
