import { CortexEvent } from '../../src/common/events';
import { FailureClass } from '../../src/common/failure-class';
import {
  callChat,
  runLoad,
  startChaosStage,
  type ChaosStage,
  type ClientResult,
} from '../support/chaos-harness';
import { callChatStream, note, sum } from '../support/chaos-clients';

/**
 * S4: provider A answers every 5th request with 503, the rest normally. 20% failures stay below
 * both rules of the breaker (5 consecutive failures can not happen: 4 successes separate two 503s;
 * the rate rule needs 50%), so the breaker never moves. Each 503 falls back to B at once (B is
 * usable, so A is not retried): every client request succeeds with at most 1 + 1/5 upstream attempts.
 */

const REQUESTS = 100;
const NTH = 5;

describe('S4 errors below threshold', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage();
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('makes 0 breaker transitions, serves 100% of requests, with <= 1.2 upstream attempts per client request', async () => {
    const { simulator, openai, state } = stage;
    await simulator.setFaults('a', { rules: [{ status: 503, every_nth: NTH }] });
    const since = Date.now();

    // Streams and non-streams alternate; 4 in flight at a time.
    const results = await runLoad(
      (index): Promise<ClientResult> => (index % 2 === 0 ? callChat(openai) : callChatStream(openai)),
      { total: REQUESTS, concurrency: 4 },
    );

    // 100% client success: 80 served by A at the first attempt, 20 by B after one 503 on A.
    expect(results.filter((r) => r.ok && r.status === 200)).toHaveLength(REQUESTS);
    expect(results.filter((r) => r.provider === 'a' && r.route === 'a=ok' && r.attempts === 1)).toHaveLength(
      80,
    );
    expect(
      results.filter(
        (r) => r.provider === 'b' && r.route === 'a=service_unavailable,b=ok' && r.attempts === 2,
      ),
    ).toHaveLength(20);

    // What the upstreams saw: every client request went to A first, each 5th got a 503, B took those.
    const seenA = simulator.requests({ provider: 'a', since });
    const seenB = simulator.requests({ provider: 'b', since });
    expect(seenA).toHaveLength(REQUESTS);
    expect(seenA.filter((r) => r.status === 503)).toHaveLength(REQUESTS / NTH);
    expect(seenA.filter((r) => r.status === 200 && r.completed)).toHaveLength(REQUESTS - REQUESTS / NTH);
    expect(seenB).toHaveLength(REQUESTS / NTH);
    expect(seenB.every((r) => r.status === 200 && r.completed)).toBe(true);

    // Upstream attempts per client request, from the client's headers and from the simulator alike.
    const attempts = sum(results.map((r) => r.attempts ?? NaN));
    expect(attempts).toBe(seenA.length + seenB.length);
    const perRequest = attempts / REQUESTS;
    note(`S4: ${attempts} upstream attempts for ${REQUESTS} client requests = ${perRequest} per request`);
    expect(perRequest).toBeLessThanOrEqual(1.2);

    // The breaker: 0 transitions, closed, the 20% failure rate in its window, never 5 in a row.
    expect(stage.eventsOf(CortexEvent.CircuitStateChanged)).toHaveLength(0);
    const stats = state.breakers.get('a', 'gpt-4o-mini').stats();
    expect(stats).toMatchObject({
      state: 'closed',
      windowCalls: REQUESTS,
      windowFailures: REQUESTS / NTH,
      failureRate: 1 / NTH,
      totalFailures: REQUESTS / NTH,
      totalSuccesses: REQUESTS - REQUESTS / NTH,
      openCount: 0,
      transitions: [],
    });
    expect(stats.consecutiveFailures).toBeLessThanOrEqual(1);

    // No retry on A (B could serve at once), 20 fallbacks A -> B for service_unavailable.
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
    const fallbacks = stage.eventsOf(CortexEvent.FallbackTaken);
    expect(fallbacks).toHaveLength(REQUESTS / NTH);
    expect(fallbacks.every((f) => f.from.provider === 'a' && f.to.provider === 'b')).toBe(true);
    expect(fallbacks.every((f) => f.failureClass === FailureClass.ServiceUnavailable)).toBe(true);
    expect(stage.eventsOf(CortexEvent.RequestFailed)).toHaveLength(0);
  });
});
