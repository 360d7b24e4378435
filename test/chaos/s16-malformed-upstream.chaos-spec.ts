import type { FaultRule } from '../../src/simulator';
import { startChaosStage, type ChaosStage } from '../support/chaos-harness';
import {
  contentEvents,
  errorEvents,
  header,
  postChat,
  streamedText,
  type RawResult,
} from '../support/chaos-sse';

/**
 * S16: A answers, but with a body that cannot be trusted. Each one is an upstream failure (counted by
 * A's breaker, x-cortex-route says which class), the request fails over to B, and the client gets B's
 * valid answer: the broken body is never forwarded, and the gateway never crashes (no 500, and it
 * keeps serving afterwards).
 */
const MODEL = 'gpt-4o-mini';
const messages = [{ role: 'user', content: 'answer me despite a broken upstream' }];

interface Case {
  name: string;
  rule: FaultRule;
  stream: boolean;
  /** The failure class A's attempt must be recorded with. */
  failureClass: string;
}

const CASES: Case[] = [
  {
    name: '200 with truncated JSON',
    rule: { action: 'malformed', kind: 'truncated_json' },
    stream: false,
    failureClass: 'parse_error',
  },
  {
    name: '200 with an HTML page',
    rule: { action: 'malformed', kind: 'html' },
    stream: false,
    failureClass: 'parse_error',
  },
  {
    name: '200 JSON without choices',
    rule: { action: 'malformed', kind: 'no_choices' },
    stream: false,
    failureClass: 'parse_error',
  },
  {
    name: 'a bad SSE line (stream)',
    rule: { action: 'malformed', kind: 'bad_sse_line' },
    stream: true,
    failureClass: 'parse_error',
  },
  // The socket closes before the declared length arrives: undici reports the early close, a network error.
  {
    name: 'Content-Length mismatch',
    rule: { action: 'malformed', kind: 'content_length_mismatch' },
    stream: false,
    failureClass: 'network_error',
  },
  {
    name: '502 HTML page',
    rule: { action: 'malformed', kind: 'html', status: 502 },
    stream: false,
    failureClass: 'service_unavailable',
  },
];

/** Markers of the broken bodies the simulator sends; none may reach the client. */
const BROKEN_MARKERS = ['<html', '<!DOCTYPE', '502 Bad Gateway', 'not json'];

describe('S16 malformed upstream', () => {
  let stage: ChaosStage;
  /** B's valid answers, by request kind, for comparison (the text depends only on model and messages). */
  const reference: Record<'json' | 'stream', string> = { json: '', stream: '' };

  beforeAll(async () => {
    // The threshold is out of reach so the six failures of A are counted without opening its breaker.
    stage = await startChaosStage({
      chain: ['a', 'b'],
      providers: { a: { resilience: { circuit_breaker: { failure_threshold: 100 } } } },
    });
    const json = await postChat(stage.gateway.url, { model: 'chat', messages });
    reference.json = (
      JSON.parse(json.body) as { choices: Array<{ message: { content: string } }> }
    ).choices[0].message.content;
    const stream = await postChat(stage.gateway.url, { model: 'chat', messages, stream: true });
    reference.stream = streamedText(stream.events);
    expect(reference.json.split(' ')).toHaveLength(12);
    expect(reference.stream).toBe(reference.json);
    await stage.simulator.clearRequests();
  });
  afterAll(async () => {
    await stage?.close();
  });

  function expectNothingBrokenForwarded(result: RawResult): void {
    for (const marker of BROKEN_MARKERS) expect(result.body).not.toContain(marker);
  }

  it.each(CASES)(
    "$name: counted as a failure of A, failed over, the client gets B's valid answer",
    async ({ rule, stream, failureClass }) => {
      const { simulator, gateway, state } = stage;
      await simulator.setFaults('a', { rules: [rule] });
      const failuresBefore = state.breakers.get('a', MODEL).stats().totalFailures;
      const since = Date.now();
      const result = await postChat(gateway.url, { model: 'chat', messages, stream });

      expect(result.error).toBeUndefined();
      expect(result.status).toBe(200);
      expect(header(result, 'x-cortex-provider')).toBe('b');
      expect(header(result, 'x-cortex-route')).toBe(`a=${failureClass},b=ok`);
      expect(header(result, 'x-cortex-attempts')).toBe('2');
      expectNothingBrokenForwarded(result);
      if (stream) {
        // Only well-formed chunks reached the client: every event is JSON or [DONE], no error event.
        expect(result.events.every((event) => event.json !== undefined || event.data === '[DONE]')).toBe(
          true,
        );
        expect(errorEvents(result.events)).toHaveLength(0);
        expect(contentEvents(result.events)).toHaveLength(12);
        expect(streamedText(result.events)).toBe(reference.stream);
      } else {
        const completion = JSON.parse(result.body) as {
          object: string;
          choices: Array<{ message: { content: string } }>;
        };
        expect(completion.object).toBe('chat.completion');
        expect(completion.choices[0].message.content).toBe(reference.json);
      }
      // A was called once (no retry on A while B could serve) and its breaker counted one failure.
      const a = simulator.requests({ provider: 'a', since });
      expect(a).toHaveLength(1);
      expect(a[0].fault).toBe('rule:0:malformed');
      expect(simulator.requests({ provider: 'b', since })).toHaveLength(1);
      expect(state.breakers.get('a', MODEL).stats().totalFailures).toBe(failuresBefore + 1);
    },
  );

  it('did not crash: six failures counted on A, none on B, and A serves again once healthy', async () => {
    const { simulator, gateway, state } = stage;
    const a = state.breakers.get('a', MODEL).stats();
    expect(a.totalFailures).toBe(CASES.length);
    expect(a.consecutiveFailures).toBe(CASES.length);
    expect(a.state).toBe('closed');
    expect(state.breakers.get('b', MODEL).stats().totalFailures).toBe(0);
    await simulator.setFaults('a', {});
    const healthy = await postChat(gateway.url, { model: 'chat', messages });
    expect(healthy.status).toBe(200);
    expect(header(healthy, 'x-cortex-route')).toBe('a=ok');
  });
});
