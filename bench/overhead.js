'use strict';
// Overhead benchmark: the same load, in one run, alternating round by round between four targets:
// straight to the simulator, through a bare undici pass-through proxy (the floor for a Node proxy),
// through Cortex (dist/main.js) and through Portkey's gateway (npm @portkey-ai/gateway). Reports
// requests per second, p50/p99 latency, the CPU time per request of the process that served the load
// (from /proc: the most stable figure on a shared 2-core machine), errors and memory; then a
// sequential latency probe (one keep-alive connection, hrtime) for the sub-millisecond added latency.
// `node bench/overhead.js` runs it standalone and prints the markdown section.
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const {
  startNode,
  pinSelf,
  cpuSeconds,
  rssBytes,
  peakRssBytes,
  waitForHttp,
  freePort,
  stop,
  sleep,
  CLOCK_TICKS,
  HAS_TASKSET,
} = require('./lib/processes');
const {
  ROOT,
  API_KEY,
  UPSTREAM_MODEL,
  gatewayConfig,
  responseWordsFaults,
  chatBody,
  startSimulator,
  startCortex,
} = require('./lib/services');
const { summarize, fixed } = require('./lib/numbers');
const { SequentialProbe } = require('./lib/probe');
const portkey = require('./lib/portkey');

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? Math.min(3, DURATION_S));
const PROBE_REQUESTS = Number(process.env.BENCH_PROBE_REQUESTS ?? 1000);
const PROBE_WARMUP = 100;
const PROBE_BLOCK = 50;
const RESPONSE_WORDS = 20;
const PROXY_CORE = 0;
const LOAD_CORE = 1;
const MODES = [
  { mode: 'non-stream', stream: false },
  { mode: `stream (${RESPONSE_WORDS} chunks)`, stream: true },
];
const CONNECTIONS = [1, 50];
const TARGETS = {
  direct: 'direct to simulator',
  bare: 'bare undici proxy',
  cortex: 'Cortex',
  portkey: 'Portkey',
};
const MIB = 2 ** 20;

/** Busy seconds of one core from /proc/stat: user, nice, system, irq, softirq and steal (time taken by other VMs). */
function coreBusySeconds(core) {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (!line) return NaN;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

function versionOf(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

function cortexRevision() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT })
      .toString()
      .trim();
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return 'unknown';
  }
}

async function startCortexUntilUp({ configPath, port, dataDir }) {
  // Exactly what `npm start` runs (node dist/main.js, the product's defaults, LOG_LEVEL included)
  // except the port, the config file and the data directory.
  for (let attempt = 1; ; attempt++) {
    const child = startCortex({ configPath, port, dataDir, core: PROXY_CORE, env: { LOG_LEVEL: undefined } });
    try {
      const exited = new Promise((_, reject) =>
        child.once('exit', (code) => reject(new Error(`Cortex exited with ${code}`))),
      );
      await Promise.race([waitForHttp(`http://127.0.0.1:${port}/v1/models`), exited]);
      return child;
    } catch (error) {
      await stop(child);
      if (attempt >= 3) throw error;
      process.stderr.write(`overhead: Cortex did not start (${error.message}), retrying\n`);
      await sleep(2000);
    }
  }
}

/** One request through a target, checked: 200, and all the words (a full SSE stream ending in [DONE]). */
async function checkTarget(target, stream) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: target.headers,
    body: chatBody(target.model, stream),
  });
  const text = await response.text();
  const fail = (why) => {
    throw new Error(`${target.label} ${stream ? 'stream' : 'non-stream'}: ${why}: ${text.slice(0, 300)}`);
  };
  if (response.status !== 200) fail(`status ${response.status}`);
  let content;
  if (stream) {
    const frames = text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim());
    if (frames.at(-1) !== '[DONE]') fail('the stream does not end with [DONE]');
    const deltas = frames
      .slice(0, -1)
      .map((frame) => JSON.parse(frame).choices?.[0]?.delta?.content)
      .filter((delta) => delta);
    if (deltas.length !== RESPONSE_WORDS) fail(`${deltas.length} content chunks, expected ${RESPONSE_WORDS}`);
    content = deltas.join('');
  } else {
    content = JSON.parse(text).choices?.[0]?.message?.content ?? '';
  }
  const words = content.trim().split(/\s+/).length;
  if (words !== RESPONSE_WORDS) fail(`${words} words, expected ${RESPONSE_WORDS}`);
}

async function load(target, { connections, stream, duration, sampleRss = false }) {
  const pid = target.child.pid;
  let peakRss = 0;
  const sampler = sampleRss
    ? setInterval(() => {
        peakRss = Math.max(peakRss, rssBytes(pid));
      }, 250)
    : undefined;
  const cpuBefore = cpuSeconds(pid);
  const coreBefore = coreBusySeconds(PROXY_CORE);
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections,
    duration,
    headers: target.headers,
    body: chatBody(target.model, stream),
  });
  const cpu = cpuSeconds(pid) - cpuBefore;
  // What else ran on the proxy core meanwhile (other people's work, other VMs): noise in the figures.
  const othersOnProxyCore = target.key === 'direct' ? NaN : coreBusySeconds(PROXY_CORE) - coreBefore - cpu;
  if (sampler) clearInterval(sampler);
  const requests = result.requests.total;
  return {
    requests,
    seconds: result.duration,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    cpuSeconds: cpu,
    othersOnProxyCore,
    errors: result.errors + result.non2xx + result.timeouts,
    peakRss,
  };
}

/**
 * Sequential probe: requests one at a time on one keep-alive connection per target, timed with hrtime
 * to the last body byte; targets alternate in blocks of PROBE_BLOCK requests.
 */
async function probe(targets, stream) {
  const probes = new Map(targets.map((t) => [t.key, new SequentialProbe(new URL(t.url).origin)]));
  const samples = new Map(targets.map((t) => [t.key, []]));
  const errors = new Map(targets.map((t) => [t.key, 0]));
  const once = async (target) => {
    const { ms, status, text } = await probes.get(target.key).request({
      path: new URL(target.url).pathname,
      method: 'POST',
      headers: target.headers,
      body: chatBody(target.model, stream),
    });
    const ok = status === 200 && (!stream || text.includes('[DONE]'));
    if (!ok) errors.set(target.key, errors.get(target.key) + 1);
    return ms;
  };
  try {
    for (const target of targets) for (let i = 0; i < PROBE_WARMUP; i++) await once(target);
    for (let done = 0; done < PROBE_REQUESTS; done += PROBE_BLOCK) {
      for (const target of targets) {
        const n = Math.min(PROBE_BLOCK, PROBE_REQUESTS - done);
        for (let i = 0; i < n; i++) samples.get(target.key).push(await once(target));
      }
    }
  } finally {
    await Promise.all([...probes.values()].map((p) => p.close()));
  }
  const stats = targets.map((target) => ({ target: target.key, ...summarize(samples.get(target.key)) }));
  const direct = stats.find((s) => s.target === 'direct');
  return stats.map((s) => ({
    mode: MODES.find((m) => m.stream === stream).mode,
    stream,
    target: s.target,
    label: TARGETS[s.target],
    requests: s.n,
    p50Ms: s.p50,
    p99Ms: s.p99,
    addedP50Ms: s.p50 - direct.p50,
    addedP99Ms: s.p99 - direct.p99,
    errors: errors.get(s.target),
  }));
}

function ratios(result) {
  const cell = (mode, target) =>
    result.rows.find((row) => row.mode === mode && row.connections === 50 && row.target === target);
  const lines = [];
  for (const { mode } of MODES) {
    const cortex = cell(mode, 'cortex');
    for (const [other, cpuMax, rpsMin] of [
      ['bare', 2, 0.6],
      ['portkey', 1 / 3, 3],
    ]) {
      const them = cell(mode, other);
      const cpu = cortex.cpuMsPerRequest / them.cpuMsPerRequest;
      const rps = cortex.rps / them.rps;
      lines.push({
        mode,
        against: other,
        metric: 'CPU per request',
        value: cpu,
        target: `≤ ${cpuMax === 2 ? '2' : '1/3'}×`,
        met: cpu <= cpuMax,
      });
      lines.push({
        mode,
        against: other,
        metric: 'req/s',
        value: rps,
        target: `≥ ${rpsMin}×`,
        met: rps >= rpsMin,
      });
    }
  }
  return lines;
}

async function runOverhead() {
  const unpin = pinSelf(LOAD_CORE);
  const children = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'cortex-bench-'));
  try {
    const [simPort, barePort, cortexPort, portkeyPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const configPath = join(dataDir, 'bench.yaml');
    const simulatorUrl = `http://127.0.0.1:${simPort}`;
    const openaiBase = `${simulatorUrl}/openai/v1`;
    writeFileSync(configPath, gatewayConfig(simulatorUrl));

    const simulator = await startSimulator({
      port: simPort,
      dir: dataDir,
      faults: responseWordsFaults(RESPONSE_WORDS),
      core: LOAD_CORE,
    });
    children.push(simulator);
    const bare = startNode(
      join(__dirname, 'bare-proxy.js'),
      ['--port', String(barePort), '--upstream', simulatorUrl],
      {
        core: PROXY_CORE,
        name: 'bare',
      },
    );
    children.push(bare);
    await waitForHttp(`http://127.0.0.1:${barePort}/_sim/health`);
    const cortex = await startCortexUntilUp({ configPath, port: cortexPort, dataDir });
    children.push(cortex);
    const { child: portkeyChild, patch: portkeyPatch } = await portkey.startPortkey({
      port: portkeyPort,
      core: PROXY_CORE,
    });
    children.push(portkeyChild);

    const json = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
    const targets = [
      {
        key: 'direct',
        child: simulator,
        url: `${openaiBase}/chat/completions`,
        model: UPSTREAM_MODEL,
        headers: json,
      },
      {
        key: 'bare',
        child: bare,
        url: `http://127.0.0.1:${barePort}/openai/v1/chat/completions`,
        model: UPSTREAM_MODEL,
        headers: json,
      },
      {
        key: 'cortex',
        child: cortex,
        url: `http://127.0.0.1:${cortexPort}/v1/chat/completions`,
        model: 'bench',
        headers: json,
      },
      {
        key: 'portkey',
        child: portkeyChild,
        url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
        model: UPSTREAM_MODEL,
        headers: { ...json, ...portkey.portkeyHeaders(openaiBase) },
      },
    ].map((target) => ({ ...target, label: TARGETS[target.key] }));

    for (const target of targets) for (const { stream } of MODES) await checkTarget(target, stream);

    process.stderr.write(`overhead: warm-up, ${WARMUP_S} s per target and cell\n`);
    for (const { stream } of MODES)
      for (const connections of CONNECTIONS)
        for (const target of targets) await load(target, { connections, stream, duration: WARMUP_S });
    const rssAfterWarmup = new Map(targets.map((t) => [t.key, rssBytes(t.child.pid)]));

    // Round by round, every cell, the targets alternating (the order rotating each round), so drift on
    // a shared machine hits them alike. Only the target under test is loaded; the others sit idle.
    const runs = new Map();
    const peakDuringLoad = new Map(targets.map((t) => [t.key, 0]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const { mode, stream } of MODES) {
        for (const connections of CONNECTIONS) {
          process.stderr.write(
            `overhead: round ${round + 1}/${ROUNDS}, ${mode}, ${connections} connections\n`,
          );
          for (const target of order) {
            const run = await load(target, { connections, stream, duration: DURATION_S, sampleRss: true });
            const key = `${mode}|${connections}|${target.key}`;
            runs.set(key, [...(runs.get(key) ?? []), run]);
            peakDuringLoad.set(target.key, Math.max(peakDuringLoad.get(target.key), run.peakRss));
          }
        }
      }
    }

    const rows = [];
    for (const { mode, stream } of MODES) {
      for (const connections of CONNECTIONS) {
        for (const target of targets) {
          const cell = runs.get(`${mode}|${connections}|${target.key}`);
          const sum = (key) => cell.reduce((total, run) => total + run[key], 0);
          rows.push({
            mode,
            stream,
            connections,
            target: target.key,
            label: target.label,
            rps: sum('requests') / sum('seconds'),
            p50: sum('latencyP50') / cell.length,
            p99: sum('latencyP99') / cell.length,
            cpuMsPerRequest: (sum('cpuSeconds') * 1000) / sum('requests'),
            othersOnProxyCorePct: (Math.max(0, sum('othersOnProxyCore')) * 100) / sum('seconds'),
            errors: sum('errors'),
            requests: sum('requests'),
            runs: cell.length,
          });
        }
      }
    }

    process.stderr.write(`overhead: sequential probe, ${PROBE_REQUESTS} requests per target and mode\n`);
    const probeRows = [];
    for (const { stream } of MODES) probeRows.push(...(await probe(targets, stream)));

    const rss = targets.map((target) => ({
      target: target.key,
      label: target.label,
      afterWarmupMiB: rssAfterWarmup.get(target.key) / MIB,
      peakDuringLoadMiB: peakDuringLoad.get(target.key) / MIB,
      peakMiB: peakRssBytes(target.child.pid) / MIB,
    }));
    const { portkey: portkeyVersion, honoNodeServer } = portkey.versions();
    const result = {
      config: {
        durationS: DURATION_S,
        rounds: ROUNDS,
        warmupS: WARMUP_S,
        probeRequests: PROBE_REQUESTS,
        responseWords: RESPONSE_WORDS,
        pinned: HAS_TASKSET,
        cortexLogLevel: 'info (the product default)',
      },
      versions: {
        node: process.version,
        cortex: `${versionOf(ROOT)} (${cortexRevision()})`,
        portkey: portkeyVersion,
        honoNodeServer,
        undici: versionOf(join(ROOT, 'node_modules/undici')),
        autocannon: versionOf(join(ROOT, 'node_modules/autocannon')),
      },
      portkeyPatch,
      rows,
      probe: probeRows,
      rss,
      errorsTotal:
        rows.reduce((n, row) => n + row.errors, 0) + probeRows.reduce((n, row) => n + row.errors, 0),
    };
    result.ratios = ratios(result);
    return result;
  } finally {
    for (const child of children.reverse()) await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
    unpin();
  }
}

const signed = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;

function overheadMarkdown(result) {
  const { config, versions } = result;
  const lines = [
    '## Overhead: Cortex against a bare Node proxy and Portkey',
    '',
    `The simulator (zero latency, OpenAI protocol, ${config.responseWords}-word answers: a stream is a role chunk, ` +
      `${config.responseWords} content chunks, a finish chunk and \`[DONE]\`) is the upstream. One run, four targets: ` +
      'straight to the simulator; a bare pass-through proxy (`bench/bare-proxy.js`: node:http + an undici Pool, ' +
      'no parsing, the practical floor for a Node proxy); Cortex (`node dist/main.js`, the product defaults as ' +
      `\`npm start\` runs it, log level ${config.cortexLogLevel}, one provider, one key); Portkey's gateway ` +
      `${versions.portkey} from npm, its own bin with \`--headless\`, sent to the simulator with ` +
      '`x-portkey-provider: openai` and `x-portkey-custom-host`.',
    '',
    `Portkey as its repository runs it: npm \`overrides\` pin its \`@hono/node-server\` to 1.13.5 (npm would ` +
      'resolve 1.19.x, whose streams answer 500 `TypeError: immutable`, Portkey issue #1389), and the one-word ' +
      "change of Portkey's `patches/@hono+node-server+1.13.5.patch` is applied at bench time by " +
      `\`bench/lib/portkey.js\` (\`return await responseViaResponseObject(...)\` in \`${result.portkeyPatch.file}\`); ` +
      'the npm package ships neither. Portkey waits 25 ms before the first chunk of every stream by design (a sleep ' +
      'in its stream handler), which bounds its stream latency and req/s.',
    '',
    (config.pinned
      ? `Pinned with taskset: the proxy under test on core ${PROXY_CORE}; the simulator and the load generator ` +
        `(autocannon ${versions.autocannon}, in the bench process) on core ${LOAD_CORE}. `
      : 'Not pinned (taskset missing). ') +
      'All proxies run throughout; only one is loaded at a time. Each target is warmed up in every cell ' +
      `(${config.warmupS} s), then ${config.rounds} round(s) of ${config.durationS} s per cell, the targets ` +
      'alternating (order rotating each round); a cell is the mean of its rounds. CPU is the serving process’s ' +
      'own user+system time (from /proc) divided by the requests it served: the simulator for "direct", the ' +
      'proxy alone otherwise. Errors are non-2xx + socket errors + timeouts and must be 0. The last column is ' +
      `the share of core ${PROXY_CORE} used by anything but the proxy under test during its runs (other work on ` +
      'the machine, the idle proxies, steal time): a measure of how noisy that cell was.',
    '',
    `Versions: Node ${versions.node}, Cortex ${versions.cortex}, Portkey ${versions.portkey} with ` +
      `@hono/node-server ${versions.honoNodeServer}, undici ${versions.undici}, autocannon ${versions.autocannon}.`,
    '',
    `| mode | connections | target | req/s | p50 ms | p99 ms | CPU ms per request | errors | core ${PROXY_CORE} busy with other work |`,
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...result.rows.map(
      (row) =>
        `| ${row.mode} | ${row.connections} | ${row.label} | ${Math.round(row.rps)} | ${fixed(row.p50, 1)} | ` +
        `${fixed(row.p99, 1)} | ${fixed(row.cpuMsPerRequest, 3)} | ${row.errors} | ` +
        `${row.target === 'direct' ? '' : `${fixed(row.othersOnProxyCorePct, 0)} %`} |`,
    ),
    '',
    'Ratios at 50 connections (Cortex / other):',
    '',
    '| mode | against | metric | Cortex / other | target | |',
    '|---|---|---|---:|---|---|',
    ...result.ratios.map(
      (r) =>
        `| ${r.mode} | ${TARGETS[r.against]} | ${r.metric} | ${fixed(r.value, 2)}× | ${r.target} | ` +
        `${r.met ? 'met' : '**not met**'} |`,
    ),
    '',
    `Added latency, sequential probe: ${config.probeRequests} requests per target and mode, one at a time on one ` +
      'keep-alive connection, timed to the last body byte with `process.hrtime` (autocannon reports whole ms); ' +
      `targets alternate in blocks of ${PROBE_BLOCK} after ${PROBE_WARMUP} warm-up requests each.`,
    '',
    '| mode | target | p50 ms | p99 ms | added p50 ms | added p99 ms | errors |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...result.probe.map(
      (row) =>
        `| ${row.mode} | ${row.label} | ${fixed(row.p50Ms, 3)} | ${fixed(row.p99Ms, 3)} | ` +
        `${row.target === 'direct' ? '' : signed(row.addedP50Ms)} | ${row.target === 'direct' ? '' : signed(row.addedP99Ms)} | ${row.errors} |`,
    ),
    '',
    'Memory (resident set size of the serving process):',
    '',
    '| target | after warm-up MiB | peak sampled under load MiB | peak of the process (VmHWM) MiB |',
    '|---|---:|---:|---:|',
    ...result.rss.map(
      (row) =>
        `| ${row.label} | ${fixed(row.afterWarmupMiB, 0)} | ${fixed(row.peakDuringLoadMiB, 0)} | ${fixed(row.peakMiB, 0)} |`,
    ),
    '',
    result.errorsTotal === 0
      ? 'Errors: none in any cell or probe.'
      : `**Errors: ${result.errorsTotal} failed requests (see the errors columns); the figures of those cells are not valid.**`,
    '',
  ];
  return lines.join('\n');
}

module.exports = { runOverhead, overheadMarkdown };

if (require.main === module) {
  runOverhead().then(
    (result) => {
      process.stdout.write(overheadMarkdown(result));
      if (result.errorsTotal > 0) process.exitCode = 1;
    },
    (error) => {
      process.stderr.write(`overhead failed: ${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
