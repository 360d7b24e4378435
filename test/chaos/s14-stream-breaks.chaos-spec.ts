import { CortexEvent } from '../../src/common/events';
import type { FaultRule } from '../../src/simulator';
import { startChaosStage, type ChaosStage } from '../support/chaos-harness';
import {
  contentEvents,
  errorEvents,
  finishReasons,
  header,
  postChat,
  streamedText,
  type RawResult,
} from '../support/chaos-sse';

/**
 * S14: A's stream breaks. Before the first content byte nothing is committed, so the gateway fails
 * over transparently (c). After it, the stream belongs to the client (gRPC's commit rule): no retry,
 * no fallback (B gets nothing), and the client gets the chunks so far, then exactly one error event,
 * then [DONE] (CONTRACT §2): never a clean end that would pass a truncated answer off as complete.
 */
const WORDS = 40;
const BREAK_AFTER = 20;
const MODEL = 'gpt-4o-mini';
const body = {
  model: 'chat',
  stream: true,
  messages: [{ role: 'user', content: 'stream twenty words and break' }],
};

describe('S14 stream breaks', () => {
  let stage: ChaosStage;
  /** The complete answer (the simulator's text depends only on model and messages). */
  let fullText: string;

  beforeAll(async () => {
    stage = await startChaosStage({ chain: ['a', 'b'] });
    await stage.simulator.setFaults('b', { response_words: WORDS });
    await stage.simulator.setFaults('a', { response_words: WORDS });
    const reference = await postChat(stage.gateway.url, body);
    expect(reference.status).toBe(200);
    expect(contentEvents(reference.events)).toHaveLength(WORDS);
    fullText = streamedText(reference.events);
    await stage.simulator.clearRequests();
  });
  afterAll(async () => {
    await stage?.close();
  });

  async function breakWith(rule: FaultRule): Promise<{ result: RawResult; since: number }> {
    await stage.simulator.setFaults('a', { response_words: WORDS, rules: [rule] });
    const since = Date.now();
    return { result: await postChat(stage.gateway.url, body), since };
  }

  /** The committed-stream failure: 20 chunks, then exactly one error event, then [DONE]; no retry anywhere. */
  function expectBrokenAfterCommit(result: RawResult, since: number, code: string): void {
    expect(result.status).toBe(200);
    expect(header(result, 'x-cortex-provider')).toBe('a');
    // The chunks so far, exactly as A sent them (a prefix of the full answer) ...
    const content = contentEvents(result.events);
    expect(content).toHaveLength(BREAK_AFTER);
    const partial = streamedText(result.events);
    expect(fullText.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(fullText.length);
    // ... then exactly one error event, then [DONE], and nothing after it.
    const errors = errorEvents(result.events);
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toMatchObject({ type: 'upstream_error', code });
    expect(result.events.at(-2)?.data).toBe(errors[0].data);
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    // Never a clean end: no finish_reason, and [DONE] comes only after the error event.
    expect(finishReasons(result.events)).toEqual([]);
    expect(result.events.findIndex((event) => event.data === '[DONE]')).toBe(result.events.length - 1);
    // No retry after the first byte: A was called once, B never.
    expect(stage.simulator.requests({ provider: 'a', since })).toHaveLength(1);
    expect(stage.simulator.requests({ provider: 'b', since })).toHaveLength(0);
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
    expect(stage.eventsOf(CortexEvent.FallbackTaken)).toHaveLength(0);
  }

  it('(a) a reset after 20 chunks: the 20 chunks, one error event, [DONE]; B gets 0 requests', async () => {
    const { result, since } = await breakWith({ action: 'disconnect', after_chunks: BREAK_AFTER });
    const record = stage.simulator.requests({ provider: 'a', since })[0];
    expect(record.chunks).toBe(BREAK_AFTER);
    expect(record.completed).toBe(false);
    expectBrokenAfterCommit(result, since, 'network_error');
  });

  it('(b) an in-band error event after 20 chunks: the 20 chunks, one error event, [DONE]; B gets 0 requests', async () => {
    const { result, since } = await breakWith({
      action: 'stream_error',
      after_chunks: BREAK_AFTER,
      status: 500,
    });
    expect(stage.simulator.requests({ provider: 'a', since })[0].chunks).toBe(BREAK_AFTER);
    expectBrokenAfterCommit(result, since, 'service_unavailable');
  });

  it('(c) a reset before the first chunk: transparent failover, one complete stream from B', async () => {
    const { result, since } = await breakWith({ action: 'reset_before_headers' });
    expect(result.status).toBe(200);
    expect(header(result, 'x-cortex-provider')).toBe('b');
    expect(header(result, 'x-cortex-route')).toBe('a=network_error,b=ok');
    expect(header(result, 'x-cortex-attempts')).toBe('2');
    // One complete, clean stream: every word, a finish reason, [DONE], no error event.
    expect(streamedText(result.events)).toBe(fullText);
    expect(contentEvents(result.events)).toHaveLength(WORDS);
    expect(errorEvents(result.events)).toHaveLength(0);
    expect(finishReasons(result.events)).toEqual(['stop']);
    expect(result.events.filter((event) => event.data === '[DONE]')).toHaveLength(1);
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    // A once (no retry on A while B could serve), B once.
    expect(stage.simulator.requests({ provider: 'a', since })).toHaveLength(1);
    expect(stage.simulator.requests({ provider: 'b', since })).toHaveLength(1);
    expect(stage.simulator.requests({ provider: 'b', since })[0].completed).toBe(true);
  });

  it('counts each break as one failure of A, without tripping the breaker', () => {
    const stats = stage.state.breakers.get('a', MODEL).stats();
    expect(stats.totalFailures).toBe(3);
    expect(stats.state).toBe('closed');
    expect(stage.state.breakers.get('b', MODEL).stats().totalFailures).toBe(0);
  });
});
