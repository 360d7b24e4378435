import { CortexEvent } from '../../src/common/events';
import { FailureClass } from '../../src/common/failure-class';
import {
  callChat,
  percentile,
  runLoad,
  startChaosStage,
  type ChaosStage,
  type ClientResult,
} from '../support/chaos-harness';
import { callChatStream, note, round1, transitionEvents, transitionsOf } from '../support/chaos-clients';

/**
 * S3: provider A is slow: its first token comes after 3 s (streams: headers at once, then 3 s of
 * silence; non-streams: 3 s before the headers). The matrix's first-token timeout of 2 s is
 * compressed to 500 ms for streams, and A's whole-attempt timeout (non-streams) to 800 ms, so the
 * two timers are told apart by the time a failover takes. Timeouts fall back to B at once (never
 * retried on A), count against A's breaker, and no client request fails.
 */

const FIRST_TOKEN_TIMEOUT_MS = 500;
const ATTEMPT_TIMEOUT_MS = 800;
const A_FIRST_TOKEN_DELAY_MS = 3000;
/**
 * A failover costs the timer plus B's answer: far less than waiting for A (3 s). Generous for a loaded
 * box; that A was tried once and never retried is asserted exactly from the engine's records below.
 */
const FAILOVER_SLACK_MS = 700;
/** The simulator's answers are 12 words, one content chunk each. */
const WORDS = 12;

describe('S3 slow provider', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage({
      providers: { a: { first_token_timeout_ms: FIRST_TOKEN_TIMEOUT_MS, timeout_ms: ATTEMPT_TIMEOUT_MS } },
    });
    await stage.simulator.setFaults('a', { first_token_delay_ms: A_FIRST_TOKEN_DELAY_MS });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('fails streams over on the first-token timeout and non-streams on the attempt timeout, opens A on timeouts, fails no client request', async () => {
    const { simulator, openai, state } = stage;
    const breaker = state.breakers.get('a', 'gpt-4o-mini');
    // Warm-up of both paths (SDK, gateway, SSE) through B alone, so no failover pays a cold start.
    for (let i = 0; i < 5; i++) {
      expect((await callChatStream(openai, 'warm-up', 'b/gpt-4o-mini')).ok).toBe(true);
      expect((await callChat(openai, 'warm-up', 'b/gpt-4o-mini')).ok).toBe(true);
    }
    const since = Date.now();

    // 3 streams at once: each waits the first-token timeout on A, then B streams the whole answer.
    const streams = await Promise.all(Array.from({ length: 3 }, () => callChatStream(openai)));
    for (const result of streams) {
      expect([result.ok, result.provider, result.route, result.attempts]).toEqual([
        true,
        'b',
        'a=timeout,b=ok',
        2,
      ]);
      expect([result.contentChunks, result.finishReason]).toEqual([WORDS, 'stop']);
      expect(result.latencyMs).toBeGreaterThanOrEqual(FIRST_TOKEN_TIMEOUT_MS);
      expect(result.latencyMs).toBeLessThan(FIRST_TOKEN_TIMEOUT_MS + FAILOVER_SLACK_MS);
    }
    // 3 timeouts: below the threshold of 5, still closed.
    expect(breaker.stats()).toMatchObject({ state: 'closed', consecutiveFailures: 3 });

    // 2 non-streams at once: each waits A's attempt timeout (the headers never come in time), then B.
    const plain = await Promise.all(Array.from({ length: 2 }, () => callChat(openai)));
    for (const result of plain) {
      expect([result.ok, result.provider, result.route, result.attempts]).toEqual([
        true,
        'b',
        'a=timeout,b=ok',
        2,
      ]);
      expect(result.latencyMs).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS);
      expect(result.latencyMs).toBeLessThan(ATTEMPT_TIMEOUT_MS + FAILOVER_SLACK_MS);
    }
    // The 5th consecutive timeout opened A's breaker.
    const stats = breaker.stats();
    expect(stats.state).toBe('open');
    expect(stats.totalFailures).toBe(5);
    expect(stats.lastFailure?.failureClass).toBe('timeout');
    expect(transitionsOf(stage)).toEqual(['closed>open']);
    expect(transitionEvents(stage)[0].reason).toBe('5 consecutive failures');

    // Which timer fired, as the engine recorded it, and that it never waited or retried on A.
    const aAttempts = stage
      .eventsOf(CortexEvent.RequestSucceeded)
      .flatMap((event) => event.attempts.filter((attempt) => attempt.provider === 'a'));
    expect(aAttempts.map((attempt) => attempt.message).sort()).toEqual([
      `attempt timeout after ${ATTEMPT_TIMEOUT_MS} ms`,
      `attempt timeout after ${ATTEMPT_TIMEOUT_MS} ms`,
      `first-token timeout after ${FIRST_TOKEN_TIMEOUT_MS} ms`,
      `first-token timeout after ${FIRST_TOKEN_TIMEOUT_MS} ms`,
      `first-token timeout after ${FIRST_TOKEN_TIMEOUT_MS} ms`,
    ]);
    expect(aAttempts.map((attempt) => [attempt.failureClass, attempt.waitedMs])).toEqual(
      Array.from({ length: 5 }, () => [FailureClass.Timeout, 0]),
    );
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);

    // What A saw: 5 requests, none answered in full, each abandoned by the gateway when its timer fired.
    const seen = simulator.requests({ provider: 'a', since });
    expect(seen).toHaveLength(5);
    for (const record of seen) {
      const timer = record.stream ? FIRST_TOKEN_TIMEOUT_MS : ATTEMPT_TIMEOUT_MS;
      expect([record.completed, record.aborted, record.chunks]).toEqual([false, true, 0]);
      // The timer starts when the gateway sends; the record when the simulator has read the request.
      expect(record.abortedAt! - record.time).toBeGreaterThanOrEqual(timer - 50);
      expect(record.abortedAt! - record.time).toBeLessThan(timer + FAILOVER_SLACK_MS);
    }
    expect(seen.filter((record) => record.stream)).toHaveLength(3);

    // While open: streams and non-streams go to B at once, without waiting for any timer; A sees nothing.
    const mixed = await runLoad(
      (index): Promise<ClientResult> => (index % 2 === 0 ? callChatStream(openai) : callChat(openai)),
      { total: 20, concurrency: 4 },
    );
    const ms = (list: ClientResult[]) => list.map((r) => Math.round(r.latencyMs)).join(' / ');
    note(
      `S3: stream failovers ${ms(streams)} ms, non-stream failovers ${ms(plain)} ms, ` +
        `while open p99 ${round1(
          percentile(
            mixed.map((r) => r.latencyMs),
            0.99,
          ),
        )} ms`,
    );
    for (const result of mixed) {
      expect([result.ok, result.provider, result.route, result.attempts]).toEqual([
        true,
        'b',
        'a=circuit_open,b=ok',
        1,
      ]);
      // Not one of them waited for a timer on A.
      expect(result.latencyMs).toBeLessThan(FIRST_TOKEN_TIMEOUT_MS);
    }
    expect(
      percentile(
        mixed.map((r) => r.latencyMs),
        0.5,
      ),
    ).toBeLessThan(FIRST_TOKEN_TIMEOUT_MS / 5);
    expect(simulator.requests({ provider: 'a', since })).toHaveLength(5);
    expect(stage.eventsOf(CortexEvent.RequestFailed)).toHaveLength(0);
  });
});
