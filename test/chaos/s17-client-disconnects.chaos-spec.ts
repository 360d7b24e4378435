import { CortexEvent } from '../../src/common/events';
import { sleep, startChaosStage, type ChaosStage } from '../support/chaos-harness';
import { contentEvents, postChat, type RawResult } from '../support/chaos-sse';
import { waitFor } from '../support/wait-for';

/**
 * S17: 50 clients open streams at once and walk away mid-answer, 300 ms after their first bytes (the
 * matrix's 1 s compressed).
 * The client leaving is nobody's failure: each upstream request is aborted promptly (< 500 ms), the
 * breakers count nothing, nothing is retried or failed over, and no request.failed is announced (so
 * no dead-letter record either, once the queue exists).
 */
const CLIENTS = 50;
const ABORT_AFTER_MS = 300;
const MODEL = 'gpt-4o-mini';

describe('S17 client disconnects', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage({ chain: ['a', 'b'] });
    // A long, paced answer: 200 words at 50 ms each would take 10 s.
    await stage.simulator.setFaults('a', { response_words: 200, chunk_delay_ms: 50 });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('aborts every upstream within 500 ms, with 0 breaker failures, 0 retries and no failed requests', async () => {
    const { simulator, gateway, state } = stage;
    // Warm-up (connections, JIT) so the 50 streams start together; then a clean record.
    await Promise.all(
      Array.from({ length: 5 }, () =>
        postChat(gateway.url, { model: 'chat', messages: [{ role: 'user', content: 'warm' }] }),
      ),
    );
    await simulator.clearRequests();
    const results: RawResult[] = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        postChat(
          gateway.url,
          { model: 'chat', stream: true, messages: [{ role: 'user', content: `client ${i} leaves early` }] },
          { abortAfterFirstByteMs: ABORT_AFTER_MS },
        ),
      ),
    );
    // Every client was mid-stream when it left: status 200, some content, no end.
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.abortedAt).toBeDefined();
      expect(contentEvents(result.events).length).toBeGreaterThanOrEqual(1);
      expect(result.events.some((event) => event.data === '[DONE]')).toBe(false);
    }

    // Upstream: exactly 50 requests to A, each aborted within 500 ms of its own client leaving.
    await waitFor(
      () => simulator.requests({ provider: 'a' }).filter((record) => record.aborted).length === CLIENTS,
      3000,
      'every upstream request aborted',
    );
    const records = simulator.requests({ provider: 'a' });
    expect(records).toHaveLength(CLIENTS);
    const delays = results.map((result, i) => {
      const record = records.find(
        (r) =>
          (r.body as { messages: Array<{ content: string }> }).messages[0].content ===
          `client ${i} leaves early`,
      );
      expect(record).toBeDefined();
      expect(record!.completed).toBe(false);
      expect(record!.chunks).toBeLessThan(200);
      return record!.abortedAt! - result.abortedAt!;
    });
    expect(Math.max(...delays)).toBeLessThan(500);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(-5);

    // Nothing afterwards: no late retry or failover reaches any provider.
    await sleep(300);
    expect(simulator.requests({ provider: 'a' })).toHaveLength(CLIENTS);
    expect(simulator.requests({ provider: 'b' })).toHaveLength(0);
    expect(simulator.requests({ provider: 'c' })).toHaveLength(0);

    // Nobody's failure: 0 breaker failures, 0 retries, 0 failovers, no request.failed.
    for (const provider of ['a', 'b']) {
      const stats = state.breakers.get(provider, MODEL).stats();
      expect(stats.totalFailures).toBe(0);
      expect(stats.state).toBe('closed');
    }
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
    expect(stage.eventsOf(CortexEvent.FallbackTaken)).toHaveLength(0);
    expect(stage.eventsOf(CortexEvent.RequestFailed)).toHaveLength(0);
    // The streams' permits were released, not leaked: a new request is admitted and served by A.
    await simulator.setFaults('a', {});
    const after = await postChat(gateway.url, {
      model: 'chat',
      messages: [{ role: 'user', content: 'still there?' }],
    });
    expect(after.status).toBe(200);
    expect(after.headers['x-cortex-route']).toBe('a=ok');
  });
});
