import { startChaosStage, type ChaosStage } from '../support/chaos-harness';
import {
  contentEvents,
  errorEvents,
  finishReasons,
  header,
  postChat,
  streamedText,
} from '../support/chaos-sse';
import { waitFor } from '../support/wait-for';

/**
 * S15: A's stream stalls. (a) 2 chunks then silence: the idle timeout ends it on time and closes the
 * upstream socket. (b) no headers at all: the first-token timeout fails over to B. (c) a slow but
 * steady stream (a chunk every 500 ms, idle timeout 1000 ms; the matrix's 5 s / 10 s compressed by
 * 10): no timeout, the stream completes, however long it takes in total.
 */
const IDLE_MS = 1000;
const FIRST_TOKEN_MS = 1000;
/** Timers fire late on a loaded box, never early; this is how late we accept. */
const LATE_MS = 450;
const body = { model: 'chat', stream: true, messages: [{ role: 'user', content: 'a stream that stalls' }] };

describe('S15 stream stalls', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage({
      chain: ['a', 'b'],
      providers: { a: { idle_timeout_ms: IDLE_MS, first_token_timeout_ms: FIRST_TOKEN_MS } },
    });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('(a) 2 chunks then silence: the idle timeout fires on time and the upstream socket is closed', async () => {
    const { simulator, gateway } = stage;
    await simulator.setFaults('a', { rules: [{ action: 'stall', after_chunks: 2 }] });
    const since = Date.now();
    const result = await postChat(gateway.url, body);

    expect(result.status).toBe(200);
    const content = contentEvents(result.events);
    expect(content).toHaveLength(2);
    const errors = errorEvents(result.events);
    expect(errors).toHaveLength(1);
    expect(errors[0].error.code).toBe('timeout');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(finishReasons(result.events)).toEqual([]);
    // On time: the error arrives one idle timeout after the last chunk, not earlier, not much later.
    const silence = errors[0].at - content[1].at;
    expect(silence).toBeGreaterThanOrEqual(IDLE_MS - 30);
    expect(silence).toBeLessThan(IDLE_MS + LATE_MS);

    // The upstream socket was closed by the gateway, at the same moment.
    await waitFor(
      () => simulator.requests({ provider: 'a', since })[0]?.aborted === true,
      2000,
      'upstream closed',
    );
    const record = simulator.requests({ provider: 'a', since })[0];
    expect(record).toMatchObject({ chunks: 2, completed: false, aborted: true });
    expect(record.abortedAt! - record.time).toBeGreaterThanOrEqual(IDLE_MS - 30);
    expect(record.abortedAt! - record.time).toBeLessThan(IDLE_MS + LATE_MS);
    expect(Math.abs(record.abortedAt! - errors[0].at)).toBeLessThan(200);
    // Committed: no failover after the first byte.
    expect(simulator.requests({ provider: 'b', since })).toHaveLength(0);
  });

  it('(b) no headers: the first-token timeout fails over to B, which streams the whole answer', async () => {
    const { simulator, gateway } = stage;
    await simulator.setFaults('a', { rules: [{ action: 'hang' }] });
    const since = Date.now();
    const result = await postChat(gateway.url, body);

    expect(result.status).toBe(200);
    expect(header(result, 'x-cortex-provider')).toBe('b');
    expect(header(result, 'x-cortex-route')).toBe('a=timeout,b=ok');
    expect(errorEvents(result.events)).toHaveLength(0);
    expect(contentEvents(result.events)).toHaveLength(12);
    expect(finishReasons(result.events)).toEqual(['stop']);
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    // The failover happened at the first-token timeout.
    const waited = result.headersAt! - result.startedAt;
    expect(waited).toBeGreaterThanOrEqual(FIRST_TOKEN_MS - 30);
    expect(waited).toBeLessThan(FIRST_TOKEN_MS + LATE_MS);
    // A's hanging request was closed when the gateway gave up on it; B was called once, right then.
    const a = simulator.requests({ provider: 'a', since });
    expect(a).toHaveLength(1);
    expect(a[0].aborted).toBe(true);
    expect(a[0].status).toBeUndefined();
    const b = simulator.requests({ provider: 'b', since });
    expect(b).toHaveLength(1);
    expect(b[0].time - a[0].abortedAt!).toBeLessThan(100);
    expect(b[0].completed).toBe(true);
  });

  it('(c) a chunk every 500 ms with a 1000 ms idle timeout: no timeout, the stream completes', async () => {
    const { simulator, gateway } = stage;
    const words = 6;
    await simulator.setFaults('a', { response_words: words, chunk_delay_ms: 500 });
    const since = Date.now();
    const result = await postChat(gateway.url, body);

    expect(result.status).toBe(200);
    expect(header(result, 'x-cortex-route')).toBe('a=ok');
    const content = contentEvents(result.events);
    expect(content).toHaveLength(words);
    expect(errorEvents(result.events)).toHaveLength(0);
    expect(finishReasons(result.events)).toEqual(['stop']);
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(streamedText(result.events).split(' ')).toHaveLength(words);
    // Paced as sent: ~500 ms between chunks, 2.5 s in all: longer than the idle timeout, as intended.
    const gaps = content.slice(1).map((event, i) => event.at - content[i].at);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(400);
      expect(gap).toBeLessThan(IDLE_MS);
    }
    expect(content.at(-1)!.at - content[0].at).toBeGreaterThanOrEqual((words - 1) * 500 - 100);
    const record = simulator.requests({ provider: 'a', since })[0];
    expect(record).toMatchObject({ chunks: words, completed: true, aborted: false });
    expect(simulator.requests({ provider: 'b', since })).toHaveLength(0);
  });
});
