import { FailureClass } from '../common/failure-class';
import type { GatewayError } from '../common/gateway-error';
import { UpstreamError } from '../common/upstream-error';
import type { ChatCompletionChunk } from '../providers/chat.types';
import { ChunkWriter } from '../providers/chunk-writer';
import type { RoutedStream } from '../resilience/request-router.service';
import { SseBody, type StreamOutcome } from './sse-events';

/** Chunks as the gateway writes them. */
const writer = new ChunkWriter({ id: 'chatcmpl-1', created: 1, model: 'm', includeUsage: false });
const chunk = (content: string): ChatCompletionChunk => writer.chunk({ content });

/** A routed stream whose tail yields `tail` and then ends, or throws `failure` instead of ending. */
function routedStream(tail: ChatCompletionChunk[], failure?: Error): { routed: RoutedStream; log: string[] } {
  const log: string[] = [];
  let position = 0;
  const routed: RoutedStream = {
    provider: 'p',
    model: 'm',
    attempts: [],
    head: [chunk('a')],
    tail: {
      next: () => {
        if (position < tail.length) return Promise.resolve({ done: false, value: tail[position++] });
        if (failure) return Promise.reject(failure);
        return Promise.resolve({ done: true, value: undefined });
      },
      return: () => {
        log.push('tail returned');
        return Promise.resolve({ done: true, value: undefined });
      },
    },
    release: () => log.push('released'),
  };
  return { routed, log };
}

function recordingOutcome(log: string[]): StreamOutcome {
  return {
    opened: () => log.push('opened'),
    closed: () => log.push('closed'),
    succeeded: () => log.push('succeeded'),
    failed: async (error: GatewayError) => {
      log.push(`failed ${error.failureClass}`);
      error.dlqId = 'dlq-1';
    },
  };
}

async function readAll(body: SseBody): Promise<string> {
  let text = '';
  for await (const event of body) text += event as string;
  return text;
}

function closed(body: SseBody): Promise<unknown> {
  return body.closed ? Promise.resolve() : new Promise((resolve) => body.once('close', resolve));
}

function data(content: string): string {
  return `data: ${JSON.stringify(chunk(content))}\n\n`;
}

describe(SseBody.name, () => {
  it('writes the head, then the tail, then [DONE], and settles the outcome once', async () => {
    const { routed, log } = routedStream([chunk('b'), chunk('c')]);
    const body = new SseBody(routed, recordingOutcome(log));
    expect(await readAll(body)).toBe(data('a') + data('b') + data('c') + 'data: [DONE]\n\n');
    await closed(body);
    expect(log).toEqual(['opened', 'succeeded', 'closed', 'tail returned', 'released']);
  });

  it('ends a failed tail with one error event carrying the DLQ id, then [DONE]', async () => {
    const failure = new UpstreamError(FailureClass.NetworkError, 'socket hang up');
    const { routed, log } = routedStream([chunk('b')], failure);
    const body = new SseBody(routed, recordingOutcome(log));
    const events = (await readAll(body)).split('\n\n').filter(Boolean);
    expect(events.slice(0, 2)).toEqual([data('a').trim(), data('b').trim()]);
    const error = JSON.parse(events[2].slice('data: '.length)) as { error: Record<string, unknown> };
    expect(error.error).toMatchObject({
      type: 'upstream_error',
      code: FailureClass.NetworkError,
      dlq_id: 'dlq-1',
    });
    expect(events[3]).toBe('data: [DONE]');
    expect(events).toHaveLength(4);
    expect(log).toContain(`failed ${FailureClass.NetworkError}`);
    expect(log).not.toContain('succeeded');
  });

  it('returns the tail and releases when destroyed before the end (the client left)', async () => {
    const log: string[] = [];
    let returned = false;
    const routed: RoutedStream = {
      ...routedStream([]).routed,
      // A tail whose next chunk never comes: the upstream is still generating.
      tail: {
        next: () => new Promise(() => {}),
        return: () => {
          returned = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      },
      release: () => log.push('released'),
    };
    const body = new SseBody(routed, recordingOutcome(log));
    expect(body.read()).toBe(data('a'));
    body.destroy();
    await closed(body);
    expect(returned).toBe(true);
    expect(log).toEqual(['opened', 'closed', 'released']);
  });
});
