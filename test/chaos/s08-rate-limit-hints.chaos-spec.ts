import { CortexEvent } from '../../src/common/events';
import type { RetryHintKind } from '../../src/simulator';
import {
  callChat,
  percentile,
  runLoad,
  sleep,
  startChaosStage,
  type ChaosStage,
} from '../support/chaos-harness';

/**
 * S8: a key answers 429 with each retry-hint format of RELIABILITY.md ("Server hints"). The key rests
 * for exactly the hint (a floor: never called again before it ends), its traffic moves to the other
 * key at once (no sleeping while an alternative is idle), a 429 never trips the breaker, and a hint
 * longer than the deadline is never slept on.
 */
const K1 = 'sk-a-k1-ratelimited-1111';
const K2 = 'sk-a-k2-standby-2222';
/** 700 ms: distinct from the engine's 1000 ms default rest, so a hint that is not read shows. */
const HINT_MS = 700;
const MODEL = 'gpt-4o-mini';

interface HintRound {
  k1: ReturnType<ChaosStage['simulator']['requests']>;
  rests: Array<{ until?: number; at: number }>;
}

/** Load for ~1 s at 30 req/s while k1 answers 429 with one hint format; asserts what must hold for every format. */
async function hintRound(stage: ChaosStage, hint: RetryHintKind, maxRestMs: number): Promise<HintRound> {
  const { simulator, openai } = stage;
  await simulator.setFaults('a', { rules: [{ status: 429, keys: [K1], hint, hint_ms: HINT_MS }] });
  const since = Date.now();
  const successesBefore = stage.eventsOf(CortexEvent.RequestSucceeded).length;
  // One request in flight at a time: each request is sent knowing every 429 before it, so "no request
  // to k1 during its rest" holds exactly (with overlap, a request already in flight may meet a 429 too).
  const results = await runLoad(() => callChat(openai), { total: 30, concurrency: 1, ratePerSecond: 30 });

  // Every request served, by A (k2 took k1's share), in one or two upstream calls.
  expect(results.filter((result) => result.ok && result.provider === 'a')).toHaveLength(30);
  expect(Math.max(...results.map((result) => result.attempts ?? 99))).toBeLessThanOrEqual(2);
  // No sleeping: no retry was scheduled, no attempt waited, and no request took anywhere near the hint.
  expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
  const served = stage.eventsOf(CortexEvent.RequestSucceeded).slice(successesBefore);
  expect(served).toHaveLength(30);
  expect(served.flatMap((event) => event.attempts).filter((attempt) => attempt.waitedMs > 0)).toHaveLength(0);
  expect(served.every((event) => event.attempts.at(-1)?.keySuffix === '...2222')).toBe(true);
  const latencies = results.map((result) => result.latencyMs);
  expect(percentile(latencies, 0.5)).toBeLessThan(60);
  expect(Math.max(...latencies)).toBeLessThan(HINT_MS / 2);

  // What the upstream saw: every request with k1 got the 429, and none came before k1's rest ended.
  const k1 = simulator.requests({ provider: 'a', key: K1, since });
  expect(k1.length).toBeGreaterThanOrEqual(1);
  expect(k1.every((record) => record.status === 429)).toBe(true);
  const rests = stage
    .eventsOf(CortexEvent.KeyRested)
    .filter((event) => event.provider === 'a' && event.keySuffix === '...1111' && event.at >= since);
  // One rest per 429 (the key came back healthy in between and was rested again).
  expect(rests).toHaveLength(k1.length);
  k1.forEach((record, i) => {
    const restMs = rests[i].until! - record.time;
    // The rest is the hint (a floor), read from this format, not the engine's 1000 ms default.
    expect(restMs).toBeGreaterThanOrEqual(HINT_MS);
    expect(restMs).toBeLessThanOrEqual(maxRestMs);
    const next = k1[i + 1];
    if (next) {
      // No request to k1 before its hint expired ...
      expect(next.time).toBeGreaterThanOrEqual(rests[i].until!);
      // ... and the key is back in rotation right after (30 req/s: the next request or two).
      expect(next.time - rests[i].until!).toBeLessThan(250);
    }
  });
  // Every other request went to k2 and was served.
  const k2 = simulator.requests({ provider: 'a', key: K2, since });
  expect(k2.filter((record) => record.status === 200)).toHaveLength(30);
  return { k1, rests };
}

async function untilK1Usable(stage: ChaosStage): Promise<void> {
  const last = stage
    .eventsOf(CortexEvent.KeyRested)
    .filter((event) => event.keySuffix === '...1111')
    .at(-1);
  if (last?.until !== undefined) await sleep(Math.max(0, last.until - Date.now()) + 20);
}

/**
 * A's breaker not tripped: closed, never moved. With `allKeysLimited`, RELIABILITY.md allows the 429s
 * to count as failures (a 429 is a key's problem "unless every key of the provider gets it"); with a
 * healthy key left they must not count at all.
 */
function expectBreakerUntouched(stage: ChaosStage, provider: string, allKeysLimited = false): void {
  const stats = stage.state.breakers.get(provider, MODEL).stats();
  expect(stats.state).toBe('closed');
  expect(stats.transitions).toHaveLength(0);
  if (!allKeysLimited) expect(stats.totalFailures).toBe(0);
  expect(
    stage.eventsOf(CortexEvent.CircuitStateChanged).filter((event) => event.provider === provider),
  ).toHaveLength(0);
}

describe('S8 429 with hints (OpenAI-style provider A, keys k1 and k2, then B)', () => {
  let stage: ChaosStage;

  beforeAll(async () => {
    stage = await startChaosStage({ chain: ['a', 'b'], keys: { a: [K1, K2] } });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('rests k1 for exactly each header hint and serves its traffic with k2 without sleeping', async () => {
    // Header formats with a precise value: the rest is the hint to the millisecond (+ processing).
    for (const hint of ['retry_after', 'retry_after_ms', 'ratelimit_reset'] as const) {
      await untilK1Usable(stage);
      const { k1 } = await hintRound(stage, hint, HINT_MS + 150);
      // ~1 s of load with a 700 ms rest: k1 is tried again once its rest is over.
      expect(k1.length).toBeGreaterThanOrEqual(2);
    }
    // An HTTP-date has whole seconds: the simulator rounds the instant up, so the rest ends on the
    // next whole second after now + 700 ms (between 700 and 1700 ms away).
    await untilK1Usable(stage);
    const { rests } = await hintRound(stage, 'retry_after_date', HINT_MS + 1000 + 150);
    // The rest ends at the date's whole second (plus the few ms between reading the hint and resting
    // the key, as the hint is read relative to its arrival).
    rests.forEach((rest) => expect(rest.until! % 1000).toBeLessThan(50));

    // B was never needed, and 429s never counted against A's breaker.
    expect(stage.simulator.requests({ provider: 'b' })).toHaveLength(0);
    expectBreakerUntouched(stage, 'a');
  });

  it('falls back to B at once when every key of A is rate limited for longer than the deadline', async () => {
    const { simulator, openai } = stage;
    await untilK1Usable(stage);
    // 30 s hint, request_timeout_ms 10 s.
    await simulator.setFaults('a', { rules: [{ status: 429, hint: 'retry_after_ms', hint_ms: 30_000 }] });
    const first = await callChat(openai);
    expect(first).toMatchObject({ ok: true, provider: 'b', route: 'a=rate_limited,a=rate_limited,b=ok' });
    expect(first.latencyMs).toBeLessThan(300);
    // Both keys now rest for 30 s: the next requests skip A without calling it and go straight to B.
    const aBefore = simulator.requests({ provider: 'a' }).length;
    const next = await runLoad(() => callChat(openai), { total: 10, concurrency: 2 });
    expect(
      next.every((result) => result.ok && result.provider === 'b' && result.route === 'a=no_key,b=ok'),
    ).toBe(true);
    expect(Math.max(...next.map((result) => result.latencyMs))).toBeLessThan(300);
    expect(simulator.requests({ provider: 'a' }).length).toBe(aBefore);
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
    expectBreakerUntouched(stage, 'a', true);
  });

  it('with A the last usable option, sleeps a hint that fits the deadline but never one that does not', async () => {
    const { simulator, openai, state } = stage;
    const pool = state.pool('a');
    pool.enable(K1);
    pool.enable(K2);
    const b = state.breakers.get('b', MODEL);
    b.forceOpen('S8: make A the last usable option');
    try {
      // A hint beyond the deadline (30 s > 10 s): answered at once, not after 10 s, not with a 504.
      await simulator.setFaults('a', { rules: [{ status: 429, hint: 'retry_after_ms', hint_ms: 30_000 }] });
      const tooLong = await callChat(openai);
      // Nothing left to fall back to: an error now (every deployment failed or unavailable).
      expect(tooLong.ok).toBe(false);
      expect([502, 503]).toContain(tooLong.status);
      expect(tooLong.route).toBe('a=rate_limited,a=rate_limited,b=circuit_open');
      expect(tooLong.latencyMs).toBeLessThan(300);
      expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);

      // A hint that fits (600 ms): one retry after max(backoff <= 50 ms, hint) = 600 ms, then served.
      pool.enable(K1);
      pool.enable(K2);
      await simulator.setFaults('a', {
        rules: [{ status: 429, first_n: 2, hint: 'retry_after_ms', hint_ms: 600 }],
      });
      const fits = await callChat(openai);
      expect(fits).toMatchObject({ ok: true, provider: 'a', attempts: 3 });
      expect(fits.latencyMs).toBeGreaterThanOrEqual(600);
      expect(fits.latencyMs).toBeLessThan(600 + 400);
      const retries = stage.eventsOf(CortexEvent.RetryScheduled);
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ provider: 'a', failureClass: 'rate_limited', delayMs: 600 });
    } finally {
      b.reset();
    }
    expectBreakerUntouched(stage, 'a', true);
  });
});

describe('S8 429 with Gemini RetryInfo (google.rpc.RetryInfo.retryDelay in the body)', () => {
  let stage: ChaosStage;
  const G1 = 'AIza-gemini-k1-ratelimited-1111';
  const G2 = 'AIza-gemini-k2-standby-2222';

  beforeAll(async () => {
    // The simulator's built-in `gemini` provider speaks the Gemini protocol; the gateway calls it as type gemini.
    stage = await startChaosStage({
      chain: ['gemini', 'b'],
      keys: { gemini: [G1, G2] },
      providers: { gemini: { type: 'gemini' } },
    });
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('rests k1 for the retryDelay and serves its traffic with k2 without sleeping', async () => {
    const { simulator, openai } = stage;
    await simulator.setFaults('gemini', {
      rules: [{ status: 429, keys: [G1], hint: 'retry_info', hint_ms: HINT_MS }],
    });
    const since = Date.now();
    const results = await runLoad(() => callChat(openai), { total: 30, concurrency: 1, ratePerSecond: 30 });
    expect(results.filter((result) => result.ok && result.provider === 'gemini')).toHaveLength(30);
    expect(stage.eventsOf(CortexEvent.RetryScheduled)).toHaveLength(0);
    expect(Math.max(...results.map((result) => result.latencyMs))).toBeLessThan(HINT_MS / 2);

    const k1 = simulator.requests({ provider: 'gemini', key: G1, since });
    expect(k1.length).toBeGreaterThanOrEqual(2);
    expect(k1.every((record) => record.status === 429)).toBe(true);
    const rests = stage.eventsOf(CortexEvent.KeyRested).filter((event) => event.keySuffix === '...1111');
    expect(rests).toHaveLength(k1.length);
    k1.forEach((record, i) => {
      expect(rests[i].until! - record.time).toBeGreaterThanOrEqual(HINT_MS);
      expect(rests[i].until! - record.time).toBeLessThanOrEqual(HINT_MS + 150);
      if (k1[i + 1]) expect(k1[i + 1].time).toBeGreaterThanOrEqual(rests[i].until!);
    });
    expect(
      simulator.requests({ provider: 'gemini', key: G2, since }).filter((r) => r.status === 200),
    ).toHaveLength(30);
    expect(simulator.requests({ provider: 'b' })).toHaveLength(0);
    expectBreakerUntouched(stage, 'gemini');
  });
});
