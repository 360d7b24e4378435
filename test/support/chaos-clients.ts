import { createServer } from 'node:net';
import OpenAI from 'openai';
import { CortexEvent } from '../../src/common/events';
import type { ChaosStage, ClientResult } from './chaos-harness';

/**
 * Small additions to the chaos harness for S2-S7: a streaming client (the official SDK, like
 * callChat, which also takes any model name), a closed port, and the breaker's transitions as
 * `from>to` strings.
 */

/** A streamed request's outcome: the ClientResult plus what the client actually received. */
export interface StreamResult extends ClientResult {
  /** Chunks carrying content (one per word from the simulator). */
  contentChunks: number;
  finishReason?: string | null;
  text: string;
}

/** One streaming request through the official SDK; never throws, the result says what happened. */
export async function callChatStream(
  openai: OpenAI,
  content = 'hello',
  model = 'chat',
): Promise<StreamResult> {
  const startedAt = Date.now();
  const started = performance.now();
  let contentChunks = 0;
  let text = '';
  let finishReason: string | null | undefined;
  let headers: Headers | undefined;
  try {
    const { data, response } = await openai.chat.completions
      .create({ model, messages: [{ role: 'user', content }], stream: true })
      .withResponse();
    headers = response.headers;
    for await (const chunk of data) {
      const choice = chunk.choices[0];
      if (choice?.delta?.content) {
        contentChunks++;
        text += choice.delta.content;
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    }
    return {
      ok: finishReason === 'stop' || finishReason === 'length',
      status: response.status,
      latencyMs: performance.now() - started,
      provider: headers.get('x-cortex-provider') ?? undefined,
      attempts: Number(headers.get('x-cortex-attempts')),
      route: headers.get('x-cortex-route') ?? undefined,
      startedAt,
      contentChunks,
      finishReason,
      text,
    };
  } catch (error) {
    // A stream that broke after its headers reports the error as an event (an APIError without status).
    if (!(error instanceof OpenAI.APIError)) throw error;
    return {
      ok: false,
      status: error.status ?? 0,
      latencyMs: performance.now() - started,
      provider: headers?.get('x-cortex-provider') ?? undefined,
      attempts: Number((headers ?? error.headers)?.get('x-cortex-attempts') ?? NaN),
      route: (headers ?? error.headers)?.get('x-cortex-route') ?? undefined,
      errorType: (error.error as { type?: string } | undefined)?.type,
      startedAt,
      contentChunks,
      finishReason,
      text,
    };
  }
}

/** A loopback port that was just free and is now closed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return address.port;
}

/** The breaker transitions the gateway announced, as `from>to`, for one provider (default a). */
export function transitionsOf(stage: ChaosStage, provider = 'a'): string[] {
  return stage
    .eventsOf(CortexEvent.CircuitStateChanged)
    .filter((event) => event.provider === provider)
    .map((event) => `${event.from}>${event.to}`);
}

/** The transition events themselves (with `at`, epoch ms, and `reason`), for one provider. */
export function transitionEvents(stage: ChaosStage, provider = 'a') {
  return stage.eventsOf(CortexEvent.CircuitStateChanged).filter((event) => event.provider === provider);
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * `n` pairs of requests, one at a time, alternating which of the pair goes first: the baseline and
 * the subject see the same machine load, so their latencies can be compared pair by pair.
 */
export async function interleaved(
  n: number,
  baseline: () => Promise<ClientResult>,
  subject: () => Promise<ClientResult>,
): Promise<{ baseline: ClientResult[]; subject: ClientResult[]; addedMs: number[] }> {
  const out = { baseline: [] as ClientResult[], subject: [] as ClientResult[], addedMs: [] as number[] };
  for (let i = 0; i < n; i++) {
    let base: ClientResult;
    let test: ClientResult;
    if (i % 2 === 0) {
      base = await baseline();
      test = await subject();
    } else {
      test = await subject();
      base = await baseline();
    }
    out.baseline.push(base);
    out.subject.push(test);
    out.addedMs.push(test.latencyMs - base.latencyMs);
  }
  return out;
}

/** Prints one line of measurements, so a run shows the numbers its assertions were made on. */
export function note(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
