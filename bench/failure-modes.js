'use strict';
// Failure-mode benchmark (issue #6 point 2): what a provider failure costs a client of Cortex.
// The simulator and Cortex run as pinned processes; the bench sends sequential requests on one
// keep-alive connection and times each with process.hrtime. Four figures:
//   1. time to fail over from a to b per kind of failure of a, against b alone in the same run;
//   2. p99 added latency while a's breaker is open;
//   3. upstream attempts per client request during an outage (a down; a and b down);
//   4. hedging off and on with a slow tail on a: client p50/p99, extra attempts, abandoned tokens.
const { writeFileSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir, loadavg, cpus } = require('node:os');
const { join } = require('node:path');
const YAML = require('yaml');
const { pinSelf, cpuNs, waitForHttp, freePort, stop, sleep, HAS_TASKSET } = require('./lib/processes');
const { UPSTREAM_MODEL, chatBody, startSimulator, startCortex, simulatorControl } = require('./lib/services');
const { summarize, fixed } = require('./lib/numbers');
const { SequentialProbe, sequence } = require('./lib/probe');

/** Scales every request count and time window (0.25 for a quick look); the default run takes about 2 minutes (bounded at about 3.5 on a loaded machine). */
const SCALE = Number(process.env.BENCH_FM_SCALE ?? 1);
const RECOVERY_MS = 1000;
const HANG_TIMEOUT_MS = 200;
const RATE_LIMIT_HINT_MS = 1;
const SLOW_MS = 300;
const TAILS = [0.04, 0.1];
const HEDGING = { enabled: true, after_percentile: 95, max_extra_ratio: 0.05 };
const FAST = { latency_ms: 10, jitter_ms: 10 };
const scaled = (n, min = 1) => Math.max(min, Math.round(n * SCALE));

const NO_BREAKER = { circuit_breaker: { failure_threshold: 1_000_000, minimum_calls: 1_000_000 } };
const RESILIENCE = {
  request_timeout_ms: 10_000,
  max_attempts: 5,
  circuit_breaker: {
    failure_threshold: 5,
    minimum_calls: 20,
    window_ms: 10_000,
    recovery_timeout_ms: RECOVERY_MS,
    max_recovery_timeout_ms: RECOVERY_MS,
    half_open_max_probes: 1,
    probe_timeout_ms: 5000,
  },
  retry: {
    rate_limit: { max_attempts: 3, base_delay_ms: 50, max_delay_ms: 1000 },
    network: { max_attempts: 3, base_delay_ms: 50, max_delay_ms: 1000 },
    server_error: { max_attempts: 3, base_delay_ms: 50, max_delay_ms: 1000 },
    budget: { ratio: 0.2, min_per_second: 3 },
  },
  // Off: with the default ramp, a key back from a 429 rest restarts a 60 s ramp at 10 % for its
  // provider, so most of the following requests would skip a ('ramping') and no failover is measured.
  recovery_ramp: { window_ms: 0 },
};

const pct = (tail) => String(Math.round(tail * 100));
const hedgeModel = (on, tail) => `hedge_${on ? 'on' : 'off'}_${pct(tail)}`;

/**
 * Several provider entries point at the simulator's provider `a` so each phase has its own breaker
 * state and settings: a_fo (breaker effectively off, 200 ms attempt timeout) for the failover
 * times, a_cb for the open breaker, a_out and a_both for the outages, a_h for hedging.
 */
function gatewayConfig(simulatorUrl, closedPort) {
  const sim = (name) => `${simulatorUrl}/${name}/v1`;
  const provider = (name, baseUrl, extra = {}) => ({
    type: 'openai',
    base_url: baseUrl,
    api_keys: [`sk-${name.replace(/_/g, '-')}-bench-0001`],
    ...extra,
  });
  const chain = (...providers) =>
    providers.map(([name, model = UPSTREAM_MODEL]) => ({ provider: name, model }));
  const models = {
    direct_b: chain(['b']),
    fo_refused: chain(['refused'], ['b']),
    fo_a: chain(['a_fo'], ['b']),
    chain: chain(['a_cb'], ['b']),
    outage: chain(['a_out'], ['b']),
    both: chain(['a_both'], ['b_both']),
  };
  const modelResilience = {};
  for (const tail of TAILS) {
    for (const on of [false, true]) {
      const upstream = `h-${on ? 'on' : 'off'}-${pct(tail)}`;
      models[hedgeModel(on, tail)] = chain(['a_h', upstream], ['b', upstream]);
      if (on) modelResilience[hedgeModel(on, tail)] = { hedging: HEDGING };
    }
  }
  return {
    providers: {
      b: provider('b', sim('b')),
      refused: provider('refused', `http://127.0.0.1:${closedPort}/v1`, { resilience: NO_BREAKER }),
      a_fo: provider('a_fo', sim('a'), { timeout_ms: HANG_TIMEOUT_MS, resilience: NO_BREAKER }),
      a_cb: provider('a_cb', sim('a')),
      a_out: provider('a_out', sim('a')),
      a_both: provider('a_both', sim('a')),
      b_both: provider('b_both', sim('b')),
      a_h: provider('a_h', sim('a')),
    },
    models,
    resilience: { ...RESILIENCE, models: modelResilience },
    // One health check at start-up only, and no degradation level from it: the strategies of a
    // degraded level (shorter timeouts, fastest-first chains) would change what is measured.
    health: { check_interval_ms: 3_600_000 },
    degradation: { degrade_below: { minor_issues: 0, major_issues: 0, critical: 0, emergency: 0 } },
  };
}

async function chat(probe, model) {
  const result = await probe.postJson('/v1/chat/completions', chatBody(model));
  return {
    ms: result.ms,
    startedAt: result.startedAt,
    status: result.status,
    route: String(result.headers['x-cortex-route'] ?? ''),
    provider: result.headers['x-cortex-provider'],
    attempts: Number(result.headers['x-cortex-attempts'] ?? NaN),
    completionTokens: result.json?.usage?.completion_tokens,
  };
}

/** Chat requests one after another, until `maxRequests` or `maxMs`: their results in order. */
async function chatsInSequence(probe, model, { maxRequests, maxMs, pauseMs }) {
  const results = [];
  await sequence({
    maxRequests,
    maxMs,
    pauseMs,
    step: async () => {
      results.push(await chat(probe, model));
    },
  });
  return results;
}

function countBy(values) {
  const counts = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** Upstream calls a route trail shows for one provider (skips such as circuit_open are no call). */
const SKIPS = new Set(['circuit_open', 'no_key', 'busy', 'ramping', 'attempts_exhausted']);
function callsTo(route, provider) {
  return route
    .split(',')
    .filter((step) => step.startsWith(`${provider}=`) && !SKIPS.has(step.slice(provider.length + 1))).length;
}

/**
 * From the route trails of sequential requests: calls to `provider` before the first
 * `provider=circuit_open` step, and after it (the half-open probes), at step level since the breaker
 * may open in the middle of one request's retries.
 */
function callsAroundOpen(results, provider) {
  let open = false;
  let before = 0;
  let after = 0;
  for (const { route } of results) {
    for (const step of route.split(',')) {
      if (step === `${provider}=circuit_open`) open = true;
      else if (callsTo(step, provider) > 0) {
        if (open) after++;
        else before++;
      }
    }
  }
  return { opened: open, before, after };
}

/**
 * Blocks of BLOCK requests to b alone (`direct_b`) and BLOCK to the chain under test, alternating
 * which block goes first, so drift on a shared machine hits both alike; Cortex's CPU time is read
 * around each block. Only chain requests served by b after exactly the expected route count as
 * failovers; every route seen is listed in `routes`.
 */
const BLOCK = 10;
async function measurePairs(ctx, { model, expect, pairs, maxMs, warmup = 20 }) {
  const { probe, gatewayPid, idleNsPerMs } = ctx;
  for (let i = 0; i < warmup; i++) {
    await chat(probe, 'direct_b');
    await chat(probe, model);
  }
  const ms = { base: [], chain: [] };
  const cpu = { base: 0, chain: 0 };
  const wallMs = { base: 0, chain: 0 };
  const served = [];
  const routes = [];
  let errors = 0;
  const blocks = await sequence({
    maxRequests: Math.ceil(pairs / BLOCK),
    maxMs,
    step: async (i) => {
      for (const which of i % 2 === 0 ? ['base', 'chain'] : ['chain', 'base']) {
        const before = cpuNs(gatewayPid);
        const started = process.hrtime.bigint();
        for (let k = 0; k < BLOCK; k++) {
          const r = await chat(probe, which === 'base' ? 'direct_b' : model);
          if (r.status !== 200) errors++;
          if (which === 'chain') routes.push(r.route);
          if (r.status !== 200) continue;
          if (which === 'chain') served.push(r.ms);
          if (which === 'base' || r.route === expect) ms[which].push(r.ms);
        }
        cpu[which] += cpuNs(gatewayPid) - before;
        wallMs[which] += Number(process.hrtime.bigint() - started) / 1e6;
      }
    },
  });
  // Every block ran whole: as many requests to b alone as to the chain.
  const pairsRun = blocks * BLOCK;
  // Cortex's own background CPU (timers, metrics) over the block's wall time is taken out: it would
  // otherwise be charged to the requests, heavily so for slow ones such as the 200 ms hang.
  const cpuUs = (which) => (cpu[which] - idleNsPerMs * wallMs[which]) / 1000 / Math.max(1, pairsRun);
  return {
    pairs: pairsRun,
    expect,
    baseline: summarize(ms.base),
    failover: summarize(ms.chain),
    served: summarize(served),
    cpuUsBaseline: cpuUs('base'),
    cpuUsChain: cpuUs('chain'),
    routes: countBy(routes),
    expectedRoutes: ms.chain.length,
    errors,
  };
}

/** Figure 1: time to fail over from a to b, per kind of failure of a; then figure 2, a's breaker open. */
async function failoverFigures(ctx) {
  const { probe, sim } = ctx;
  const pairs = scaled(400, 20);
  const rows = [];
  const add = (name, config, result) => rows.push({ name, config, ...result });

  await sim.clearFaults('a');
  add(
    'a refuses connections',
    "a's base_url is a closed local port; a's breaker kept closed (threshold 10^6)",
    await measurePairs(ctx, {
      model: 'fo_refused',
      expect: 'refused=network_error,b=ok',
      pairs: scaled(2000, 20),
      maxMs: 22_000,
    }),
  );
  await sim.setFaults('a', { rules: [{ status: 500 }] });
  add(
    'a answers 500',
    "simulator rule {status: 500} on every request; a's breaker kept closed",
    await measurePairs(ctx, { model: 'fo_a', expect: 'a_fo=service_unavailable,b=ok', pairs, maxMs: 10_000 }),
  );
  await sim.setFaults('a', { rules: [{ action: 'hang' }] });
  add(
    'a hangs',
    `simulator rule {action: hang}; a's timeout_ms ${HANG_TIMEOUT_MS}; a's breaker kept closed`,
    await measurePairs(ctx, {
      model: 'fo_a',
      expect: 'a_fo=timeout,b=ok',
      pairs: scaled(50, 10),
      maxMs: 14_000,
      warmup: 3,
    }),
  );
  await sim.setFaults('a', { rules: [{ status: 429, hint: 'retry_after', hint_ms: RATE_LIMIT_HINT_MS }] });
  add(
    'a rate-limits (429), key available',
    `429 with retry-after: ${RATE_LIMIT_HINT_MS / 1000} s, one key (back before the next request)`,
    await measurePairs(ctx, {
      model: 'fo_a',
      expect: 'a_fo=rate_limited,b=ok',
      pairs: scaled(200, 10),
      maxMs: 8_000,
      warmup: 5,
    }),
  );
  await sim.setFaults('a', { rules: [{ status: 429, hint: 'retry_after', hint_ms: 60_000 }] });
  add(
    'a rate-limits (429), key resting',
    "429 with retry-after: 60 s: a's only key rests, a is skipped without a call",
    await measurePairs(ctx, { model: 'fo_a', expect: 'a_fo=no_key,b=ok', pairs, maxMs: 8_000 }),
  );

  // Figure 2: a answers 500 until its breaker opens (failure_threshold 5), then b alone vs the chain.
  await sim.setFaults('a', { rules: [{ status: 500 }] });
  let openedAfter = -1;
  for (let i = 0; i < 50 && openedAfter < 0; i++) {
    if ((await chat(probe, 'chain')).route.startsWith('a_cb=circuit_open')) openedAfter = i;
  }
  const open = await measurePairs(ctx, {
    model: 'chain',
    expect: 'a_cb=circuit_open,b=ok',
    pairs: scaled(2000, 50),
    maxMs: 22_000,
    warmup: 0,
  });
  const probes = Object.entries(open.routes)
    .filter(([route]) => callsTo(route, 'a_cb') > 0)
    .reduce((sum, [, count]) => sum + count, 0);
  const breakerOpen = {
    name: "a's breaker open",
    config: `a answers 500; breaker failure_threshold 5, recovery_timeout_ms ${RECOVERY_MS} (probes every ${RECOVERY_MS} ms)`,
    openedAfter,
    probes,
    ...open,
  };
  return { rows, breakerOpen };
}

/** Figure 3a: a down (500 on every request), b healthy, for a fixed window of sequential requests. */
async function outageAttempts(probe, sim) {
  const windowMs = scaled(4000, 1000);
  await sim.setFaults('a', { rules: [{ status: 500 }] });
  await sim.clearFaults('b');
  await sim.clearRequests();
  const results = await chatsInSequence(probe, 'outage', {
    maxRequests: 20_000,
    maxMs: windowMs,
    pauseMs: 1,
  });
  const records = await sim.settled();
  const toA = records.filter((r) => r.provider === 'a');
  const toB = records.filter((r) => r.provider === 'b');
  const openIndex = results.findIndex((r) => r.route.startsWith('a_out=circuit_open'));
  const openedAt = openIndex >= 0 ? results[openIndex].startedAt : Infinity;
  const last = results.at(-1);
  const aCalls = callsAroundOpen(results, 'a_out');
  return {
    name: 'a down, b healthy',
    config: `a: 500 on every request; breaker failure_threshold 5, recovery_timeout_ms ${RECOVERY_MS}, 1 half-open probe`,
    windowMs: last ? last.startedAt + last.ms - results[0].startedAt : 0,
    requests: results.length,
    ok: results.filter((r) => r.status === 200).length,
    statuses: countBy(results.map((r) => r.status)),
    upstreamA: toA.length,
    upstreamB: toB.length,
    attemptsPerRequest: (toA.length + toB.length) / results.length,
    headerAttemptsPerRequest: results.reduce((s, r) => s + r.attempts, 0) / results.length,
    aBeforeOpen: aCalls.before,
    aWhileOpen: toA.filter((r) => r.time > openedAt).length,
    aWhileOpenHeader: aCalls.after,
    routes: countBy(results.map((r) => r.route)),
    expectedProbes: openIndex < 0 ? 0 : Math.floor((last.startedAt - openedAt) / RECOVERY_MS),
    latency: summarize(results.map((r) => r.ms)),
  };
}

/** Figure 3b: a and b down together for a short window, then both healed. */
async function bothDownAttempts(probe, sim) {
  const downMs = scaled(2500, 1000);
  await sim.setFaults('a', { rules: [{ status: 500 }] });
  await sim.setFaults('b', { rules: [{ status: 500 }] });
  await sim.clearRequests();
  const down = await chatsInSequence(probe, 'both', { maxRequests: 10_000, maxMs: downMs, pauseMs: 1 });
  await sim.clearFaults('a');
  await sim.clearFaults('b');
  const healedAt = Date.now();
  const healed = [];
  let streak = 0;
  await sequence({
    maxRequests: 10_000,
    maxMs: scaled(3 * RECOVERY_MS, 2 * RECOVERY_MS) + 1000,
    pauseMs: 1,
    step: async () => {
      const r = await chat(probe, 'both');
      healed.push(r);
      streak = r.status === 200 ? streak + 1 : 0;
      return streak < 20;
    },
  });
  const records = await sim.settled();
  const inDown = records.filter((r) => r.time < healedAt);
  const openIndex = (provider) => down.findIndex((r) => r.route.includes(`${provider}=circuit_open`));
  const aCalls = callsAroundOpen(down, 'a_both');
  const bCalls = callsAroundOpen(down, 'b_both');
  const aOpen = openIndex('a_both');
  const bOpen = openIndex('b_both');
  const bothOpen = aOpen < 0 || bOpen < 0 ? -1 : Math.max(aOpen, bOpen);
  const firstOk = healed.find((r) => r.status === 200);
  return {
    name: 'a and b down',
    config: `both: 500 on every request for ${downMs} ms, then healed; retries on the last option: server_error strategy, base 50 ms, 3 attempts, budget 20% + 3/s`,
    windowMs: downMs,
    requests: down.length,
    ok: down.filter((r) => r.status === 200).length,
    statuses: countBy(down.map((r) => r.status)),
    upstreamA: inDown.filter((r) => r.provider === 'a').length,
    upstreamB: inDown.filter((r) => r.provider === 'b').length,
    attemptsPerRequest: inDown.length / down.length,
    headerAttemptsPerRequest: down.reduce((s, r) => s + r.attempts, 0) / down.length,
    aBeforeOpen: aCalls.before,
    aWhileOpen: aCalls.after,
    bBeforeOpen: bCalls.before,
    bWhileOpen: bCalls.after,
    routes: countBy(down.map((r) => r.route)),
    healedRoutes: countBy(healed.map((r) => r.route)),
    bothOpenAfterMs: bothOpen < 0 ? NaN : down[bothOpen].startedAt - down[0].startedAt,
    expectedProbes: aOpen < 0 ? 0 : Math.floor((healedAt - down[aOpen].startedAt) / RECOVERY_MS),
    latency: summarize(down.map((r) => r.ms)),
    fastFailLatency: summarize(bothOpen < 0 ? [] : down.slice(bothOpen).map((r) => r.ms)),
    healedFirstOkMs: firstOk ? firstOk.startedAt + firstOk.ms - healedAt : NaN,
    healedRequestsBeforeOk: firstOk ? healed.indexOf(firstOk) : healed.length,
  };
}

/** Figure 4: a slow in a tail fraction of requests; the same model with hedging off and on. */
async function hedgingRuns(probe, sim) {
  const n = scaled(300, 40);
  const runs = [];
  for (const tail of TAILS) {
    for (const on of [false, true]) {
      const model = hedgeModel(on, tail);
      // PUT restarts a's seeded random sequence: off and on see the same slow requests.
      await sim.setFaults('a', { ...FAST, rules: [{ action: 'delay', rate: tail, latency_ms: SLOW_MS }] });
      await sim.setFaults('b', FAST);
      // Warm-up: a's latency tracker needs 20 samples, and the hedge budget starts empty.
      for (let i = 0; i < 40; i++) await chat(probe, model);
      await sim.settled();
      await sim.clearRequests();
      const results = await chatsInSequence(probe, model, { maxRequests: n, maxMs: 16_000 });
      const records = await sim.settled();
      const ok = results.filter((r) => r.status === 200);
      const tokensPerAnswer = ok.reduce((s, r) => s + (r.completionTokens ?? 0), 0) / Math.max(1, ok.length);
      const aborted = records.filter((r) => r.aborted);
      // Requests are sequential, so a record on b (a hedge: a never fails here) follows its primary on
      // a: the gap between their arrivals is the hedge delay Cortex used.
      const hedgeDelays = [];
      let lastA;
      for (const record of [...records].sort((x, y) => x.id - y.id)) {
        if (record.provider === 'a') lastA = record;
        else if (lastA) hedgeDelays.push(record.time - lastA.time);
      }
      const completedLost = Math.max(0, records.filter((r) => r.completed).length - ok.length);
      const abortedChunks = aborted.reduce((s, r) => s + r.chunks, 0);
      runs.push({
        tail,
        hedging: on,
        model,
        requests: results.length,
        errors: results.length - ok.length,
        latency: summarize(results.map((r) => r.ms)),
        fastLatency: summarize(results.filter((r) => r.ms < SLOW_MS).map((r) => r.ms)),
        slowOnA: records.filter((r) => r.provider === 'a' && String(r.fault).endsWith(':delay')).length,
        upstream: records.length,
        toB: records.filter((r) => r.provider === 'b').length,
        wonByB: ok.filter((r) => r.provider === 'b').length,
        extraPerRequest: (records.length - results.length) / results.length,
        aborted: aborted.length,
        completedLost,
        tokensPerAnswer,
        // What the simulator had sent when the attempt was abandoned (non-stream: the whole answer
        // goes out at the end, so an aborted attempt sent none), plus answers that completed but lost.
        abandonedTokensRecorded: abortedChunks + completedLost * tokensPerAnswer,
        // A real provider may generate the whole answer even after the caller left: every abandoned
        // attempt charged a full answer.
        abandonedTokensUpperBound: (aborted.length + completedLost) * tokensPerAnswer,
        hedgeDelay: summarize(hedgeDelays),
      });
    }
  }
  return runs;
}

async function runFailureModes() {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  const restoreAffinity = pinSelf(1);
  const simPort = await freePort();
  const gatewayPort = await freePort();
  // A port nobody listens on: taken from the kernel, released, never bound again.
  const closedPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'cortex-failure-modes-'));
  const simulatorUrl = `http://127.0.0.1:${simPort}`;
  const configPath = join(dataDir, 'cortex.yaml');
  writeFileSync(configPath, YAML.stringify(gatewayConfig(simulatorUrl, closedPort)));
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const probe = new SequentialProbe(gatewayUrl);
  let simulator;
  let gateway;
  try {
    simulator = await startSimulator({
      port: simPort,
      dir: dataDir,
      faults: YAML.stringify({
        seed: 1,
        providers: [
          { name: 'a', flavour: 'openai' },
          { name: 'b', flavour: 'openai' },
        ],
      }),
      args: ['--seed', '1'],
    });
    gateway = startCortex({ configPath, port: gatewayPort, dataDir, env: { LOG_LEVEL: 'error' } });
    await waitForHttp(`${gatewayUrl}/v1/models`);
    await waitForHttp(`${gatewayUrl}/health/ready`);
    const sim = simulatorControl(simulatorUrl);
    // Warm-up of the happy path (JIT, connections to the simulator).
    await sequence({ maxRequests: scaled(300, 50), maxMs: 10_000, step: () => chat(probe, 'direct_b') });

    // Cortex's CPU while idle, per ms of wall time, taken out of the per-request CPU figures.
    const idleStart = process.hrtime.bigint();
    const idleCpu = cpuNs(gateway.pid);
    await sleep(1000);
    const idleNsPerMs = (cpuNs(gateway.pid) - idleCpu) / (Number(process.hrtime.bigint() - idleStart) / 1e6);
    const phases = {};
    const timed = async (name, run) => {
      const t0 = Date.now();
      const value = await run();
      phases[name] = (Date.now() - t0) / 1000;
      return value;
    };
    const { rows, breakerOpen } = await timed('failover', () =>
      failoverFigures({ probe, sim, gatewayPid: gateway.pid, idleNsPerMs }),
    );
    const outage = await timed('outage', () => outageAttempts(probe, sim));
    const bothDown = await timed('both_down', () => bothDownAttempts(probe, sim));
    const hedging = await timed('hedging', () => hedgingRuns(probe, sim));
    return {
      startedAt: new Date(started).toISOString(),
      durationS: (Date.now() - started) / 1000,
      load: { before: loadBefore, after: loadavg()[0], cores: cpus().length },
      pinned: HAS_TASKSET,
      scale: SCALE,
      config: { resilience: RESILIENCE, hedging: HEDGING, hangTimeoutMs: HANG_TIMEOUT_MS, slowMs: SLOW_MS },
      phasesS: phases,
      idleCpuUsPerS: idleNsPerMs,
      failover: rows,
      breakerOpen,
      outages: [outage, bothDown],
      hedging,
    };
  } finally {
    await probe.close().catch(() => {});
    await stop(gateway);
    await stop(simulator);
    rmSync(dataDir, { recursive: true, force: true });
    restoreAffinity();
  }
}

const f1 = (v) => fixed(v, 1);
const f2 = (v) => fixed(v, 2);
const signed = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : 'n/a');
const statuses = (counts) =>
  Object.entries(counts)
    .map(([status, count]) => `${count}× ${status}`)
    .join(', ');

function failoverMarkdownRow(row) {
  const added50 = row.failover.p50 - row.baseline.p50;
  const added99 = row.failover.p99 - row.baseline.p99;
  return (
    `| ${row.name} | ${row.config} | ${row.failover.n} | ${f2(row.baseline.p50)} / ${f2(row.baseline.p99)} | ` +
    `${f2(row.failover.p50)} / ${f2(row.failover.p99)} | ${signed(added50)} | ${signed(added99)} | ` +
    `${Math.round(row.cpuUsBaseline)} → ${Math.round(row.cpuUsChain)} | ` +
    `\`${row.expect}\` ${row.expectedRoutes}/${Object.values(row.routes).reduce((s, c) => s + c, 0)} |`
  );
}

function failureModesMarkdown(result) {
  const refused = result.failover.find((row) => row.name === 'a refuses connections');
  const refusedAdded99 = refused.failover.p99 - refused.baseline.p99;
  const refusedAdded50 = refused.failover.p50 - refused.baseline.p50;
  const open = result.breakerOpen;
  const openAdded99 = open.failover.p99 - open.baseline.p99;
  const openAdded50 = open.failover.p50 - open.baseline.p50;
  const hang = result.failover.find((row) => row.name === 'a hangs');
  const hangBeyond = hang.failover.p50 - hang.baseline.p50 - HANG_TIMEOUT_MS;
  const met = (ok) => (ok ? '**met**' : '**not met**');
  // A baseline whose own p99 is far above its p50 says the machine stalled during the run.
  const stalls = (row) =>
    row.baseline.p99 > 10 * row.baseline.p50
      ? `; b alone had p99 ${f1(row.baseline.p99)} ms for p50 ${f2(row.baseline.p50)} ms in the same blocks, so machine stalls, ` +
        'not Cortex, set both p99s here and the p50 is the telling figure'
      : '';
  const lines = [
    '## Failure modes',
    '',
    `Run ${result.startedAt}, ${result.durationS.toFixed(0)} s, \`node bench/failure-modes.js\`` +
      `${result.scale !== 1 ? ` (BENCH_FM_SCALE=${result.scale})` : ''}. ` +
      `Processes ${result.pinned ? 'pinned with taskset: Cortex on core 0, the simulator and this bench on core 1' : 'not pinned (taskset missing)'}. ` +
      `Load average (1 min) ${f1(result.load.before)} before and ${f1(result.load.after)} after, on ${result.load.cores} cores: ` +
      'p99 figures on a shared machine carry its stalls.',
    '',
    'Method: the simulator (providers `a` and `b`, OpenAI protocol, 12-word answers, no latency unless stated) and',
    'Cortex run as separate processes; the bench sends one non-stream request at a time on a single keep-alive',
    'connection and times each with `process.hrtime` (request sent to body read). Every chain is `[a, b]`; several',
    "Cortex provider entries point at the simulator's `a` so each phase has its own breaker and settings. The",
    'baseline is a model whose only deployment is b, measured in the same run, in blocks alternating with the',
    "chain's blocks (which goes first alternates too). A failover counts only when its `x-cortex-route` header is",
    'exactly the expected trail; the last column gives how many of the chain requests had it. Added = chain minus',
    "baseline, at the same percentile. Upstream attempts are counted from the simulator's request record (chat",
    'requests only, health-check reads left out) and cross-checked with the `x-cortex-attempts` header. Resilience',
    `config: request_timeout_ms 10000, max_attempts 5, breaker failure_threshold 5 / recovery_timeout_ms ${RECOVERY_MS}`,
    '(no growth) / 1 half-open probe, retries base 50 ms and 3 attempts per strategy, retry budget 20% + 3/s,',
    'recovery ramp off (with the default ramp, a key back from a 429 rest restarts a 60 s ramp at 10% and most',
    "requests would skip a without a call). Cortex CPU per request: the gateway's CPU time over each block of",
    `${BLOCK} requests (all threads, /proc/PID/task/*/schedstat, ns resolution) minus its idle rate measured`,
    `before (${f1(result.idleCpuUsPerS)} µs per s), divided by the requests.`,
    '',
    '### 1. Time to fail over (first failures: breaker kept closed)',
    '',
    "a's breaker is kept closed (failure_threshold 10^6) so every request really tries a first.",
    '',
    '| failure of a | config | n | b alone p50 / p99 ms | a fails, b serves p50 / p99 ms | added p50 ms | added p99 ms | Cortex CPU µs per request, b alone → chain | route as expected |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...result.failover.map(failoverMarkdownRow),
    '',
    `A hang costs the attempt timeout (${HANG_TIMEOUT_MS} ms) plus ${f1(hangBeyond)} ms at p50.`,
    '',
    '### 2. Breaker open',
    '',
    `a answers 500; its breaker opened after ${open.openedAfter + 1} chain requests (5 failures). While open, requests`,
    `go straight to b; ${open.probes} of the ${Object.values(open.routes).reduce((s, c) => s + c, 0)} chain requests were half-open probes`,
    "(a tried, failed, b served), left out of the first row's figures and included in the second.",
    '',
    '| requests | config | n | b alone p50 / p99 ms | chain p50 / p99 ms | added p50 ms | added p99 ms | Cortex CPU µs per request, b alone → chain | route as expected |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    failoverMarkdownRow({ ...open, name: 'straight to b (breaker open)' }),
    `| all chain requests (probes included) | same | ${open.served.n} | ${f2(open.baseline.p50)} / ${f2(open.baseline.p99)} | ` +
      `${f2(open.served.p50)} / ${f2(open.served.p99)} | ${signed(open.served.p50 - open.baseline.p50)} | ` +
      `${signed(open.served.p99 - open.baseline.p99)} | same | — |`,
    '',
    '### 3. Upstream attempts per client request during an outage',
    '',
    '| outage | config | window s | client requests | client answers | upstream attempts a + b | attempts per request (simulator / header) | a calls before its breaker opened | a calls while open (simulator / header) | b calls while its breaker was open | recovery windows passed while a was open | client p50 / p99 ms |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...result.outages.map(
      (o) =>
        `| ${o.name} | ${o.config} | ${(o.windowMs / 1000).toFixed(1)} | ${o.requests} | ${statuses(o.statuses)} | ` +
        `${o.upstreamA} + ${o.upstreamB} | ${f2(o.attemptsPerRequest)} / ${f2(o.headerAttemptsPerRequest)} | ` +
        `${o.aBeforeOpen} | ${o.aWhileOpenHeader === undefined ? o.aWhileOpen : `${o.aWhileOpen} / ${o.aWhileOpenHeader}`} | ` +
        `${o.bWhileOpen ?? '—'} | ${o.expectedProbes} | ${f1(o.latency.p50)} / ${f1(o.latency.p99)} |`,
    ),
    '',
  ];
  const both = result.outages[1];
  lines.push(
    `Both down: both breakers open after ${f1(both.bothOpenAfterMs)} ms; after that the ${both.fastFailLatency.n} requests were ` +
      `answered at once (p50 ${f2(both.fastFailLatency.p50)} ms, p99 ${f2(both.fastFailLatency.p99)} ms); b was called ` +
      `${both.bWhileOpen} times after its breaker first showed open. After healing, the first 200 came ` +
      `${f1(both.healedFirstOkMs)} ms later (${both.healedRequestsBeforeOk} requests answered with errors meanwhile: the breakers wait out their recovery window).`,
    '',
    '### 4. Hedging: duplicated generation',
    '',
    `a answers in ${FAST.latency_ms}-${FAST.latency_ms + FAST.jitter_ms} ms except a seeded random tail (rule \`{action: delay, rate, latency_ms: ${SLOW_MS}}\`);`,
    `b answers in ${FAST.latency_ms}-${FAST.latency_ms + FAST.jitter_ms} ms. Hedging on = ` +
      '`resilience.models.<model>.hedging: {enabled: true, after_percentile: 95, max_extra_ratio: 0.05}`;',
    "the off and on runs replay the same seeded slow requests on a. 40 warm-up requests first (a's latency tracker",
    'needs 20 samples; the hedge budget starts empty). Abandoned attempts are the simulator records marked',
    '`aborted` (the client, Cortex, closed the connection first) plus answers that completed but lost (completed',
    'records minus client answers). Tokens "recorded" = content chunks the simulator had sent before the abort',
    '(non-stream answers go out whole at the end, so an aborted attempt sent none) plus a full answer per',
    'completed loser; "upper bound" charges every abandoned attempt a full answer, as a real provider may keep',
    "generating after the caller left. Hedging fires after the p95 of a's own recent latencies: with a slow tail",
    'larger than 5%, that p95 lies inside the tail, so the twin starts about when the slow answer arrives. The hedge',
    "delay is read from the simulator's record (arrival on b minus arrival of the same request on a, ms resolution).",
    '',
    '| slow tail of a | hedging | n | client p50 ms | client p99 ms | slow requests on a | upstream attempts per request | extra attempts per request | hedge sent after, p50 / max ms | answers won by b | abandoned attempts (aborted + completed lost) | abandoned tokens recorded | abandoned tokens upper bound (per 1000 requests) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.hedging.map(
      (h) =>
        `| ${Math.round(h.tail * 100)}% × ${SLOW_MS} ms | ${h.hedging ? 'on' : 'off'} | ${h.requests} | ${f1(h.latency.p50)} | ` +
        `${f1(h.latency.p99)} | ${h.slowOnA} | ${f2(h.upstream / h.requests)} | ${f2(h.extraPerRequest)} | ` +
        `${h.hedgeDelay.n ? `${h.hedgeDelay.p50} / ${h.hedgeDelay.max}` : '—'} | ${h.wonByB} | ` +
        `${h.aborted} + ${h.completedLost} | ${Math.round(h.abandonedTokensRecorded)} | ` +
        `${Math.round(h.abandonedTokensUpperBound)} (${Math.round((h.abandonedTokensUpperBound * 1000) / h.requests)}) |`,
    ),
    '',
    ...TAILS.map((tail) => {
      const off = result.hedging.find((h) => h.tail === tail && !h.hedging);
      const on = result.hedging.find((h) => h.tail === tail && h.hedging);
      return (
        `With a ${Math.round(tail * 100)}% tail, the p95 of the answers under ${SLOW_MS} ms (the fast ones) without hedging ` +
        `was ${f1(off.fastLatency.p95)} ms at the client; with hedging ` +
        `the twin went out after ${on.hedgeDelay.n ? `${on.hedgeDelay.p50} ms (median of ${on.hedgeDelay.n})` : 'no hedge at all'}.`
      );
    }),
    '',
    '### Targets',
    '',
    `- Failover on connection refused < 5 ms added: ${met(refusedAdded50 < 5)} at p50 (${signed(refusedAdded50)} ms), ` +
      `${met(refusedAdded99 < 5)} at p99 (${signed(refusedAdded99)} ms), n = ${refused.failover.n}${stalls(refused)}.`,
    `- p99 added latency while a's breaker is open < 2 ms: ${met(openAdded99 < 2)} (p99 ${signed(openAdded99)} ms; ` +
      `p50 ${signed(openAdded50)} ms), n = ${open.failover.n}${stalls(open)}.`,
  );
  return lines.join('\n');
}

module.exports = { runFailureModes, failureModesMarkdown };

if (require.main === module) {
  runFailureModes().then(
    (result) => {
      process.stdout.write(`${failureModesMarkdown(result)}\n`);
      if (process.env.BENCH_FM_JSON)
        writeFileSync(process.env.BENCH_FM_JSON, JSON.stringify(result, null, 2));
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
