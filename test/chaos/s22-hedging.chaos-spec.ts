import {
  callChat,
  percentile,
  runLoad,
  sleep,
  startChaosStage,
  type ChaosStage,
} from '../support/chaos-harness';

/**
 * S22 hedging (The Tail at Scale): A answers in ~20 ms but 5% of its requests take 2 s (compressed
 * from 3 s); B takes 150 ms. Hedging after A's p95 cuts the tail at the cost of about 5% extra load.
 */
describe('S22 hedging', () => {
  const total = 500;
  const faults = {
    latency_ms: 20,
    rules: [{ action: 'delay' as const, rate: 0.05, latency_ms: 2000 }],
  };

  async function run(hedging: boolean): Promise<{ stage: ChaosStage; latencies: number[]; errors: number }> {
    const stage = await startChaosStage({
      chain: ['a', 'b'],
      // A hedge budget a little above the slow share, so a cluster of slow answers is still covered.
      resilience: { hedging: { enabled: hedging, after_percentile: 95, max_extra_ratio: 0.06 } },
    });
    await stage.simulator.setFaults('a', faults);
    await stage.simulator.setFaults('b', { latency_ms: 150 });
    const results = await runLoad(() => callChat(stage.openai), { total, concurrency: 8 });
    return { stage, latencies: results.map((r) => r.latencyMs), errors: results.filter((r) => !r.ok).length };
  }

  it('without hedging, the slow 5% set the p99', async () => {
    const { stage, latencies, errors } = await run(false);
    try {
      expect(errors).toBe(0);
      expect(percentile(latencies, 0.99)).toBeGreaterThan(1900);
      expect(stage.simulator.requests({ provider: 'b' })).toHaveLength(0);
    } finally {
      await stage.close();
    }
  });

  it('with hedging, p99 <= 500 ms, extra upstream requests <= 7%, and every loser is aborted', async () => {
    const { stage, latencies, errors } = await run(true);
    try {
      expect(errors).toBe(0);
      expect(percentile(latencies, 0.99)).toBeLessThanOrEqual(500);
      const toA = stage.simulator.requests({ provider: 'a' });
      const toB = stage.simulator.requests({ provider: 'b' });
      const extra = toA.length + toB.length - total;
      expect(extra).toBeGreaterThan(0);
      expect(extra / total).toBeLessThanOrEqual(0.07);
      // Every hedged pair has a loser, and the loser's upstream request was aborted, not left running.
      await sleep(300);
      // Records are copies: read them again after the wait.
      const unfinished = stage.simulator.requests().filter((r) => !r.completed);
      expect(unfinished.length).toBe(extra);
      expect(unfinished.every((r) => r.aborted)).toBe(true);
    } finally {
      await stage.close();
    }
  });
});
