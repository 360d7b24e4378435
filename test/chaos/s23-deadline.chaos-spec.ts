import { CortexEvent } from '../../src/common/events';
import { callChat, sleep, startChaosStage, type ChaosStage } from '../support/chaos-harness';
import { header, postChat } from '../support/chaos-sse';
import { waitFor } from '../support/wait-for';

/**
 * S23: the client's deadline (request_timeout_ms, 1500 ms here for the matrix's 4 s) bounds the whole
 * request, every attempt and wait included. A's first token would come after 10 s, B is down: the
 * client gets a 504 at about the deadline, the upstream request is aborted then, and no attempt starts
 * (and no sleep is scheduled) that could not finish before the deadline.
 */
const DEADLINE_MS = 1500;
/** Timers fire late on a loaded box, never early; this is how late we accept. */
const LATE_MS = 400;
const messages = [{ role: 'user', content: 'answer before my deadline' }];

describe('S23 deadline (request_timeout_ms 1500; A first token after 10 s; B down)', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    // Per-attempt timeouts (5 s whole response, 2 s first token) are longer than the deadline, so
    // the deadline is what ends A's attempt.
    stage = await startChaosStage({ chain: ['a', 'b'], resilience: { request_timeout_ms: DEADLINE_MS } });
    await stage.simulator.setFaults('a', { first_token_delay_ms: 10_000 });
    await stage.simulator.setFaults('b', { rules: [{ status: 503 }] });
  });
  afterAll(async () => {
    await stage?.close();
  });

  async function expectAbortedAtDeadline(since: number, startedAt: number): Promise<void> {
    await waitFor(
      () => stage.simulator.requests({ provider: 'a', since })[0]?.aborted === true,
      2000,
      'A aborted',
    );
    const [a] = stage.simulator.requests({ provider: 'a', since });
    expect(a.completed).toBe(false);
    expect(a.abortedAt! - startedAt).toBeGreaterThanOrEqual(DEADLINE_MS - 30);
    expect(a.abortedAt! - startedAt).toBeLessThan(DEADLINE_MS + LATE_MS);
  }

  /** Nothing started after the deadline: B (down) never called, no retry or sleep scheduled. */
  async function expectNoLateAttempt(since: number): Promise<void> {
    await sleep(300);
    expect(stage.simulator.requests({ provider: 'a', since })).toHaveLength(1);
    expect(stage.simulator.requests({ provider: 'b', since })).toHaveLength(0);
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
  }

  it('non-stream: 504 at about the deadline, A aborted, nothing started after it', async () => {
    const since = Date.now();
    const result = await callChat(stage.openai, messages[0].content);
    expect(result).toMatchObject({ ok: false, status: 504, errorType: 'timeout_error' });
    expect(result.route).toBe('a=deadline_exceeded');
    expect(result.latencyMs).toBeGreaterThanOrEqual(DEADLINE_MS - 30);
    expect(result.latencyMs).toBeLessThan(DEADLINE_MS + LATE_MS);
    await expectAbortedAtDeadline(since, result.startedAt);
    await expectNoLateAttempt(since);
  });

  it('stream: 504 (nothing committed yet) at about the deadline, A aborted, nothing started after it', async () => {
    const since = Date.now();
    const result = await postChat(stage.gateway.url, { model: 'chat', messages, stream: true });
    expect(result.status).toBe(504);
    expect((JSON.parse(result.body) as { error: { type: string } }).error.type).toBe('timeout_error');
    expect(header(result, 'x-cortex-route')).toBe('a=deadline_exceeded');
    const latency = result.endedAt - result.startedAt;
    expect(latency).toBeGreaterThanOrEqual(DEADLINE_MS - 30);
    expect(latency).toBeLessThan(DEADLINE_MS + LATE_MS);
    await expectAbortedAtDeadline(since, result.startedAt);
    await expectNoLateAttempt(since);
  });

  it('never sleeps past the deadline: a wait that fits is taken, one that does not is not', async () => {
    const { simulator, openai } = stage;
    const failedBefore = stage.eventsOf(CortexEvent.RequestFailed).length;
    // A fails at once now; B (the last option) is down and asks for 900 ms. The first wait fits in
    // the 1500 ms deadline; after it, 900 ms more would end past it, so it is not slept.
    await simulator.setFaults('a', { rules: [{ status: 503 }] });
    await simulator.setFaults('b', { rules: [{ status: 503, hint: 'retry_after_ms', hint_ms: 900 }] });
    const since = Date.now();
    const result = await callChat(openai);
    expect(result.ok).toBe(false);
    expect(result.status).toBe(502);
    expect(result.route).toBe('a=service_unavailable,b=service_unavailable,b=service_unavailable');
    // Answered after the one 900 ms wait, before the deadline, not at it.
    expect(result.latencyMs).toBeGreaterThanOrEqual(900);
    expect(result.latencyMs).toBeLessThan(DEADLINE_MS - 200);
    const retries = stage.eventsOf(CortexEvent.RetryScheduled);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ provider: 'b', delayMs: 900 });
    // Every attempt began before the deadline, and every scheduled wait ended before it.
    const b = simulator.requests({ provider: 'b', since });
    expect(b).toHaveLength(2);
    expect(b[1].time - b[0].time).toBeGreaterThanOrEqual(900);
    for (const record of simulator.requests({ since }))
      expect(record.time - result.startedAt).toBeLessThan(DEADLINE_MS);
    const failed = stage.eventsOf(CortexEvent.RequestFailed).slice(failedBefore);
    expect(failed).toHaveLength(1);
    expect(failed[0].attempts.map((attempt) => attempt.waitedMs)).toEqual([0, 0, 900]);
    await sleep(300);
    expect(simulator.requests({ since })).toHaveLength(3);
  });
});
