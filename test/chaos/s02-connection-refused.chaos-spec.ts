import { CortexEvent } from '../../src/common/events';
import {
  callChat,
  percentile,
  runLoad,
  sleep,
  startChaosStage,
  type ChaosStage,
} from '../support/chaos-harness';
import {
  closedPort,
  interleaved,
  median,
  round1,
  transitionEvents,
  transitionsOf,
} from '../support/chaos-clients';

/**
 * S2: provider A refuses connections (its port is closed), then A resets every connection before
 * its headers. Like S1: A's breaker opens after the threshold, nothing reaches A while open, one probe
 * per half-open window; every client request succeeds via B; and the failover to B waits for no
 * backoff.
 *
 * "No backoff" is proven twice: by the engine (no retry.scheduled event, every attempt record has
 * waitedMs 0) and by the client's clock. A retried network error would sleep at least 50 ms in the
 * compressed profile (decorrelated jitter: U(base 50, 150) for the first retry) on every failover,
 * so failovers within 20 ms of B's own latency prove that none was slept. The machine is shared and
 * loaded, so the client-side comparison is made pair by pair (a request to B alone, then one that
 * fails over, alternating), on 20 pairs: A's threshold is raised to 20 for this file so that every
 * failover until the breaker opens is a sample.
 */

const THRESHOLD = 20;
/** What a failover may add to B's own latency: well under the smallest backoff (network: >= 50 ms). */
const FAILOVER_MARGIN_MS = 20;
// Only the consecutive-failures rule is exercised here: the rate rule (50% once the window holds
// minimum_calls) would trip on the 10 healthy calls + 10 resets of the second part.
const A_BREAKER = { resilience: { circuit_breaker: { failure_threshold: THRESHOLD, minimum_calls: 100 } } };

const viaB = (stage: ChaosStage) => () => callChat(stage.openai, 'hello', 'b/gpt-4o-mini');
const viaChain = (stage: ChaosStage) => () => callChat(stage.openai);

/** Every attempt of every request the gateway served since event index `from`: how long it waited first. */
function waitedMsSince(stage: ChaosStage, from: number): number[] {
  return stage
    .eventsOf(CortexEvent.RequestSucceeded)
    .slice(from)
    .flatMap((event) => event.attempts.map((attempt) => attempt.waitedMs));
}

/** The client-side numbers of a failover phase, logged so a run shows what was measured. */
function report(label: string, phase: Awaited<ReturnType<typeof interleaved>>): void {
  const latencies = (results: typeof phase.baseline) => results.map((r) => r.latencyMs);
  process.stdout.write(
    `${label}: B alone p50 ${round1(percentile(latencies(phase.baseline), 0.5))} ms, ` +
      `failover p50 ${round1(percentile(latencies(phase.subject), 0.5))} ms, ` +
      `paired added p50 ${round1(median(phase.addedMs))} ms, p90 ${round1(percentile(phase.addedMs, 0.9))} ms\n`,
  );
}

/** Runs THRESHOLD failovers paired with requests to B alone, and checks everything S2 says about them. */
async function tripAndCheck(stage: ChaosStage, label: string): Promise<void> {
  // Warm-up of B's path, so the first pair is not a cold start on one side only.
  await runLoad(viaB(stage), { total: 5, concurrency: 1 });
  const breaker = stage.state.breakers.get('a', 'gpt-4o-mini');
  const { totalCalls, totalFailures } = breaker.stats();
  const succeededBefore = stage.eventsOf(CortexEvent.RequestSucceeded).length;
  const phase = await interleaved(THRESHOLD, viaB(stage), viaChain(stage));
  report(`${label}, failing over`, phase);

  expect(phase.baseline.every((r) => r.ok && r.provider === 'b')).toBe(true);
  expect(phase.subject.map((r) => [r.ok, r.status, r.provider, r.route, r.attempts])).toEqual(
    Array.from({ length: THRESHOLD }, () => [true, 200, 'b', 'a=network_error,b=ok', 2]),
  );
  const stats = breaker.stats();
  expect(stats.state).toBe('open');
  expect(stats.totalCalls - totalCalls).toBe(THRESHOLD);
  expect(stats.totalFailures - totalFailures).toBe(THRESHOLD);
  expect(stats.lastFailure?.failureClass).toBe('network_error');
  expect(transitionEvents(stage).map((event) => event.reason)).toEqual([`${THRESHOLD} consecutive failures`]);

  // No backoff: nothing scheduled, no attempt waited, and the client saw no backoff-sized delay.
  expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
  const waited = waitedMsSince(stage, succeededBefore);
  expect(waited).toHaveLength(THRESHOLD * 3); // B alone: 1 attempt; failover: A then B.
  expect(waited.every((ms) => ms === 0)).toBe(true);
  expect(median(phase.addedMs)).toBeLessThan(FAILOVER_MARGIN_MS);
  // Most failovers individually within the margin (a backoff would put every one of them beyond 50 ms).
  expect(phase.addedMs.filter((ms) => ms < FAILOVER_MARGIN_MS).length).toBeGreaterThanOrEqual(
    0.75 * THRESHOLD,
  );
}

/** While open: B serves everything at once and A gets nothing; `reachedA` counts what A got. */
async function whileOpen(stage: ChaosStage, label: string, reachedA: () => number): Promise<void> {
  const before = reachedA();
  const openedAt = Date.now();
  const phase = await interleaved(20, viaB(stage), viaChain(stage));
  const concurrent = await runLoad(viaChain(stage), { total: 30, concurrency: 4, ratePerSecond: 60 });
  // Still inside the 2 s recovery wait: every request above met an open breaker.
  expect(Date.now() - openedAt).toBeLessThan(1900);
  expect(reachedA()).toBe(before);
  for (const result of [...phase.subject, ...concurrent]) {
    expect([result.ok, result.provider, result.route, result.attempts]).toEqual([
      true,
      'b',
      'a=circuit_open,b=ok',
      1,
    ]);
  }
  report(`${label}, breaker open`, phase);
  // An open breaker is a map lookup: the chain costs what B alone costs.
  expect(median(phase.addedMs)).toBeLessThan(5);
  expect(percentile(phase.addedMs, 0.9)).toBeLessThan(FAILOVER_MARGIN_MS);
}

/** At the end of the recovery wait, a burst of 20: exactly one probe reaches A, which fails again. */
async function oneProbe(stage: ChaosStage, reachedA: () => number): Promise<void> {
  const breaker = stage.state.breakers.get('a', 'gpt-4o-mini');
  await sleep(Math.max(0, (breaker.stats().nextProbeAt ?? Date.now()) - Date.now()) + 50);
  const before = reachedA();
  const burst = await runLoad(viaChain(stage), { total: 20, concurrency: 10 });
  expect(burst.every((r) => r.ok && r.provider === 'b')).toBe(true);
  expect(burst.filter((r) => r.route === 'a=network_error,b=ok')).toHaveLength(1);
  expect(burst.filter((r) => r.route === 'a=circuit_open,b=ok')).toHaveLength(19);
  expect(reachedA() - before).toBe(1);
  expect(breaker.state).toBe('open');
  expect(transitionsOf(stage)).toEqual(['closed>open', 'open>half_open', 'half_open>open']);
  expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
  expect(stage.eventsOf(CortexEvent.RequestFailed)).toHaveLength(0);
}

describe('S2 connection refused', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    const port = await closedPort();
    stage = await startChaosStage({
      providers: { a: { base_url: `http://127.0.0.1:${port}/v1`, ...A_BREAKER } },
      // The start-up health probe finds A down too; keep degradation (which would reorder the chain
      // by latency) out of this scenario, which is about the engine's own failover.
      config: {
        degradation: { degrade_below: { minor_issues: 0, major_issues: 0, critical: 0, emergency: 0 } },
      },
    });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('fails over to B at once on ECONNREFUSED, opens after the threshold, sends A nothing while open, one probe per window', async () => {
    // A's port is closed, so the simulator never sees A: the breaker's permits count what reached it.
    const reachedA = () => stage.state.breakers.get('a', 'gpt-4o-mini').stats().totalCalls;
    await tripAndCheck(stage, 'S2 refused');
    await whileOpen(stage, 'S2 refused', reachedA);
    await oneProbe(stage, reachedA);
  });
});

describe('S2 connection reset', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage({ providers: { a: A_BREAKER } });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('fails over to B at once on a reset, opens after the threshold, sends A nothing while open, one probe per window', async () => {
    const { simulator, openai } = stage;
    // A healthy first: it serves, and its keep-alive connections are open when the resets start.
    const served = await runLoad(() => callChat(openai), { total: 10, concurrency: 2 });
    expect(served.every((r) => r.ok && r.provider === 'a' && r.attempts === 1)).toBe(true);

    await simulator.setFaults('a', { rules: [{ action: 'reset_before_headers' }] });
    const since = Date.now();
    await tripAndCheck(stage, 'S2 reset');
    // What A saw: exactly the threshold, each reset before any header was sent.
    const resets = simulator.requests({ provider: 'a', since });
    expect(resets).toHaveLength(THRESHOLD);
    expect(resets.every((r) => r.fault === 'rule:0:reset_before_headers' && r.status === undefined)).toBe(
      true,
    );

    const reachedA = () => simulator.requests({ provider: 'a' }).length;
    await whileOpen(stage, 'S2 reset', reachedA);
    await oneProbe(stage, reachedA);
    expect(simulator.requests({ provider: 'a', since })).toHaveLength(THRESHOLD + 1);
  });
});
