'use strict';
// Concurrent streams benchmark: BENCH_STREAMS (10,000) SSE streams held open through ONE Cortex process
// for BENCH_STREAM_SECONDS (60), each receiving one chunk per second from the simulator over h2c.
// Three pinned processes: Cortex on core 0 (with bench/lib/event-loop-probe.js preloaded), the
// simulator and the load generator (bench/lib/stream-client.js) on core 1. Every child gets the fd soft
// limit raised to the hard limit. Measures Cortex RSS per open stream, Cortex event-loop delay, the
// chunk latency Cortex adds (against control streams sent straight to the simulator at the same
// time), errors, and Cortex CPU. BENCH_CORTEX_DIR runs another checkout's dist/main.js.
// Diagnostics: BENCH_HEAP_SNAPSHOT=1, BENCH_CPU_PROF=1, BENCH_TRACE_GC=1 and BENCH_ALLOC_PROF=1 (bytes
// allocated per chunk relayed during the hold, by function), each kept in the run's data directory.
const {
  mkdtempSync,
  writeFileSync,
  readFileSync,
  readdirSync,
  existsSync,
  statSync,
  rmSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const {
  startNode,
  cpuSeconds,
  rssBytes,
  waitForHttp,
  freePort,
  stop,
  sleep,
  HAS_TASKSET,
} = require('./lib/processes');
const {
  ROOT,
  API_KEY,
  UPSTREAM_MODEL,
  startSimulator,
  startCortex,
  CORTEX_NODE_FLAGS,
  simulatorControl,
} = require('./lib/services');
const { median } = require('./lib/numbers');
const { summariseAllocations } = require('./lib/allocation-summary');

const SETTLE_MS = 2000;

function settings() {
  const streams = Number(process.env.BENCH_STREAMS ?? 10_000);
  const seconds = Number(process.env.BENCH_STREAM_SECONDS ?? 60);
  const rampSeconds = Number(process.env.BENCH_RAMP_S ?? Math.max(10, Math.ceil(streams / 250)));
  const controlStreams = Number(process.env.BENCH_CONTROL_STREAMS ?? Math.min(200, Math.ceil(streams / 20)));
  // A stream lasts (words − 1) s: long enough to outlive the ramp, the settling and the hold, with margin.
  const words = Math.ceil(rampSeconds + SETTLE_MS / 1000 + seconds + 30) + 1;
  return {
    streams,
    seconds,
    rampSeconds,
    controlStreams,
    words,
    connections: Number(process.env.BENCH_H2_CONNECTIONS ?? 200),
    streamsPerConnection: Number(process.env.BENCH_H2_STREAMS_PER_CONNECTION ?? 100),
    cortexDir: process.env.BENCH_CORTEX_DIR ?? ROOT,
    heapSnapshot: process.env.BENCH_HEAP_SNAPSHOT === '1',
    cpuProfile: process.env.BENCH_CPU_PROF === '1',
    traceGc: process.env.BENCH_TRACE_GC === '1',
    allocProfile: process.env.BENCH_ALLOC_PROF === '1',
    extraNodeArgs: process.env.BENCH_CORTEX_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [],
  };
}

function gatewayConfig(simulatorUrl, s) {
  return [
    'server:',
    '  shutdown_grace_ms: 1000',
    'providers:',
    '  sim:',
    '    type: openai',
    `    base_url: ${simulatorUrl}/openai/v1`,
    `    api_keys: ["${API_KEY}"]`,
    '    h2c: true',
    `    connections: ${s.connections}`,
    `    max_streams_per_connection: ${s.streamsPerConnection}`,
    `    max_concurrency: ${s.streams * 2}`,
    '    timeout_ms: 600000',
    '    first_token_timeout_ms: 60000',
    '    idle_timeout_ms: 60000',
    'models:',
    '  bench:',
    `    - { provider: sim, model: ${UPSTREAM_MODEL} }`,
    'resilience:',
    '  request_timeout_ms: 600000',
    'degradation:',
    `  max_concurrent_requests: ${s.streams * 2}`,
  ].join('\n');
}

function openFiles(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** Seconds the process spent runnable but waiting for a CPU (scheduler run-queue wait), from /proc. */
function runQueueWaitSeconds(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return NaN;
  }
}

function fdLimit(pid) {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /Max open files\s+(\d+)\s+(\d+)/.exec(limits);
  return match ? { soft: Number(match[1]), hard: Number(match[2]) } : undefined;
}

/**
 * Asks the preloaded probe for its event-loop delay since the last ask (and starts a new period);
 * with `collect`, a full GC first, so its memory figures are the live heap.
 */
async function eventLoopSnapshot(pid, file, collect = false) {
  const before = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).seq : 0;
  if (collect) writeFileSync(`${file}.cmd`, 'gc');
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await sleep(20);
    if (!existsSync(file)) continue;
    const snapshot = JSON.parse(readFileSync(file, 'utf8'));
    if (snapshot.seq > before) return snapshot;
  }
  throw new Error('the event-loop probe did not answer SIGUSR2');
}

/** A few short streams (max_tokens 2) so the measured baseline is a warm process, not a cold one. */
async function warmUp(gatewayUrl) {
  const one = async (i) => {
    const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({
        model: 'bench',
        messages: [{ role: 'user', content: `warm-up ${i}` }],
        stream: true,
        max_tokens: 2,
      }),
    });
    const text = await response.text();
    if (response.status !== 200 || !text.includes('[DONE]')) throw new Error(`warm-up failed: ${text}`);
  };
  for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: 50 }, (_, i) => one(i)));
}

async function runStreams() {
  const s = settings();
  const simPort = await freePort();
  const gatewayPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'cortex-streams-'));
  const configPath = join(dataDir, 'streams.yaml');
  const eldFile = join(dataDir, 'event-loop.json');
  const simulatorUrl = `http://127.0.0.1:${simPort}`;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  writeFileSync(configPath, gatewayConfig(simulatorUrl, s));
  const log = (message) => process.stderr.write(`[streams] ${message}\n`);

  let simulator;
  let gateway;
  let client;
  let sampler;
  try {
    simulator = await startSimulator({ port: simPort, raiseFdLimit: true });
    gateway = startCortex({
      root: s.cortexDir,
      configPath,
      port: gatewayPort,
      dataDir,
      raiseFdLimit: true,
      nodeArgs: [
        '--require',
        join(__dirname, 'lib/event-loop-probe.js'),
        // Only for the live-heap reading after the hold: nothing calls gc() before.
        '--expose-gc',
        // Diagnostics (BENCH_TRACE_GC=1): V8's line per collection, into cortex.log in the kept data dir.
        ...(s.traceGc ? ['--trace-gc'] : []),
        // Experiments (BENCH_CORTEX_NODE_ARGS): Node flags added to those of `npm start`.
        ...s.extraNodeArgs,
        // Diagnostics (BENCH_HEAP_SNAPSHOT=1): a heap snapshot of Cortex at the end of the hold.
        ...(s.heapSnapshot ? ['--heapsnapshot-signal=SIGHUP', `--diagnostic-dir=${dataDir}`] : []),
        // Diagnostics (BENCH_CPU_PROF=1): a V8 CPU profile of Cortex over the whole run.
        ...(s.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${dataDir}`] : []),
      ],
      stdoutFile: join(dataDir, 'cortex.log'),
      env: {
        LOG_LEVEL: 'warn',
        BENCH_ELD_FILE: eldFile,
        ...(s.allocProfile ? { BENCH_ALLOC_FILE: join(dataDir, 'allocations') } : {}),
      },
    });
    const sim = simulatorControl(simulatorUrl);
    // Ready = the first health check ran; before it, the degradation level sheds traffic.
    await waitForHttp(`${gatewayUrl}/health/ready`, 60_000);
    await sim.setFaults('openai', { response_words: s.words, chunk_delay_ms: 1000, stamp_chunks: true });
    log(`warming up (words per stream: ${s.words})`);
    await warmUp(gatewayUrl);
    await sleep(3000);
    const baselineLiveHeap = (await eventLoopSnapshot(gateway.pid, eldFile, true)).memory.heapUsed;
    await sleep(1000);
    const baselineRss = [];
    for (let i = 0; i < 3; i++) {
      baselineRss.push(rssBytes(gateway.pid));
      await sleep(1000);
    }
    const baseline = {
      rss: median(baselineRss),
      openFiles: openFiles(gateway.pid),
      eventLoop: await eventLoopSnapshot(gateway.pid, eldFile),
      liveHeap: baselineLiveHeap,
    };
    const fdLimits = { cortex: fdLimit(gateway.pid), simulator: fdLimit(simulator.pid) };

    // Ramp: the load generator opens every stream, evenly spread over BENCH_RAMP_S.
    const total = s.streams + s.controlStreams;
    log(`opening ${s.streams} streams through Cortex + ${s.controlStreams} direct over ${s.rampSeconds} s`);
    client = startNode(join(__dirname, 'lib/stream-client.js'), [], {
      core: 1,
      name: 'load',
      ipc: true,
      raiseFdLimit: true,
      env: {
        BENCH_STREAM_CLIENT: JSON.stringify({
          cortexUrl: `${gatewayUrl}/v1`,
          directUrl: `${simulatorUrl}/openai/v1`,
          apiKey: API_KEY,
          streams: s.streams,
          controlStreams: s.controlStreams,
          rampMs: s.rampSeconds * 1000,
          words: s.words,
          cortexModel: 'bench',
          directModel: UPSTREAM_MODEL,
        }),
      },
    });
    let latest = { headers: 0, finished: 0, errors: 0, chunks: 0 };
    let ramped;
    const result = new Promise((resolve, reject) => {
      client.on('message', (message) => {
        if (message.type === 'progress') latest = message;
        else if (message.type === 'ramped') ramped = message.atMs;
        else if (message.type === 'result') resolve(message);
      });
      client.once('exit', (code) =>
        reject(new Error(`the load generator exited (${code}) before its result`)),
      );
    });
    result.catch(() => {});
    // CPU times and counts at the bounds of the ramp and of the hold.
    const reading = () => ({
      at: Date.now(),
      cpu: cpuSeconds(gateway.pid),
      simCpu: cpuSeconds(simulator.pid),
      clientCpu: cpuSeconds(client.pid),
      runQueueWait: runQueueWaitSeconds(gateway.pid),
      finished: latest.finished,
    });
    const rampStart = reading();
    const timeline = [];
    sampler = setInterval(() => {
      timeline.push({
        t: (Date.now() - rampStart.at) / 1000,
        rss: rssBytes(gateway.pid),
        openFiles: openFiles(gateway.pid),
        headers: latest.headers,
        finished: latest.finished,
        errors: latest.errors,
        worstCortexMs: latest.worstCortexMs,
        worstDirectMs: latest.worstDirectMs,
        clientLoopMaxMs: latest.ownLoopMaxMs,
        cortexCpu: cpuSeconds(gateway.pid),
        cortexRunQueueWait: runQueueWaitSeconds(gateway.pid),
      });
    }, 1000);

    const rampDeadline = Date.now() + s.rampSeconds * 1000 + 120_000;
    while (latest.headers + latest.errors < total && Date.now() < rampDeadline) await sleep(200);
    const rampEnd = reading();
    const rampEventLoop = await eventLoopSnapshot(gateway.pid, eldFile);
    log(
      `all open after ${((rampEnd.at - rampStart.at) / 1000).toFixed(1)} s (errors so far: ${latest.errors})`,
    );
    await sleep(SETTLE_MS);

    // Hold: every stream open, one chunk per second each.
    client.send({ type: 'phase', phase: 'hold' });
    await eventLoopSnapshot(gateway.pid, eldFile);
    const holdStart = reading();
    const holdRss = [];
    const holdFiles = [];
    while (Date.now() - holdStart.at < s.seconds * 1000) {
      await sleep(1000);
      holdRss.push(rssBytes(gateway.pid));
      holdFiles.push(openFiles(gateway.pid));
    }
    const holdEventLoop = await eventLoopSnapshot(gateway.pid, eldFile);
    const holdEnd = reading();
    client.send({ type: 'phase', phase: 'tail' });
    // The live heap with every stream still open: a full GC, after the measured hold.
    const live = await eventLoopSnapshot(gateway.pid, eldFile, true);
    if (s.heapSnapshot) {
      process.kill(gateway.pid, 'SIGHUP');
      log(`heap snapshot requested into ${dataDir}`);
    }
    log(`hold over; waiting for the ${s.words} s streams to end`);

    // The deadline's timer is cleared once the result is in: left running, it kept the process alive
    // for up to (words + ramp + 120) s after the report.
    let deadline;
    const final = await Promise.race([
      result,
      new Promise((_, reject) => {
        deadline = setTimeout(
          () => reject(new Error('the streams did not end in time')),
          (s.words + s.rampSeconds + 120) * 1000,
        );
      }),
    ]).finally(() => clearTimeout(deadline));
    clearInterval(sampler);

    // The simulator's view of the upstream side: protocol and connections of the Cortex streams.
    const records = (await sim.call('GET', '/requests?provider=openai')).requests.filter(
      (r) => r.headers['x-cortex-attempt'] !== undefined || r.httpVersion === '2.0',
    );
    const upstream = {
      records: records.length,
      http2: records.filter((r) => r.httpVersion === '2.0').length,
      connections: new Set(records.filter((r) => r.httpVersion === '2.0').map((r) => r.connection)).size,
    };

    const holdSeconds = (holdEnd.at - holdStart.at) / 1000;
    const holdChunks = final.latency.cortex.hold.count;
    const fullRss = median(holdRss);
    const errorCount = Object.values(final.errors).reduce((a, b) => a + b, 0);
    if (s.allocProfile) {
      // The hold's allocations: the profile the probe wrote when the hold's phase closed.
      const file = join(dataDir, `allocations.${holdEventLoop.seq}.json`);
      const profile = JSON.parse(readFileSync(file, 'utf8'));
      log(`allocations during the hold, per chunk relayed (${file}):`);
      process.stderr.write(`${summariseAllocations(profile, { perUnit: holdChunks, root: s.cortexDir })}\n`);
    }
    return {
      settings: s,
      pinned: HAS_TASKSET,
      node: process.version,
      cortexNodeFlags: [...CORTEX_NODE_FLAGS, ...s.extraNodeArgs],
      fdLimits,
      baseline,
      rampSeconds: (rampEnd.at - rampStart.at) / 1000,
      rampScheduleSeconds: ramped === undefined ? NaN : ramped / 1000,
      rampCpuMsPerStream: ((rampEnd.cpu - rampStart.cpu) * 1000) / s.streams,
      rampEventLoop: rampEventLoop.delayMs,
      hold: {
        seconds: holdSeconds,
        streamsEndedDuringHold: holdEnd.finished - holdStart.finished,
        rssMedian: fullRss,
        rssMax: Math.max(...holdRss),
        heapUsed: holdEventLoop.memory.heapUsed,
        heapTotal: holdEventLoop.memory.heapTotal,
        liveHeap: live.collected ? live.memory.heapUsed : NaN,
        external: holdEventLoop.memory.external,
        arrayBuffers: holdEventLoop.memory.arrayBuffers,
        openFiles: median(holdFiles),
        eventLoop: holdEventLoop.delayMs,
        gc: holdEventLoop.gc,
        eventLoopSamples: holdEventLoop.samples,
        cortexCpuShare: (holdEnd.cpu - holdStart.cpu) / holdSeconds,
        cortexRunQueueWaitShare: (holdEnd.runQueueWait - holdStart.runQueueWait) / holdSeconds,
        cortexCpuUsPerChunk: ((holdEnd.cpu - holdStart.cpu) * 1e6) / holdChunks,
        simulatorCpuShare: (holdEnd.simCpu - holdStart.simCpu) / holdSeconds,
        clientCpuShare: (holdEnd.clientCpu - holdStart.clientCpu) / holdSeconds,
        chunksThroughCortex: holdChunks,
      },
      rssPerStreamBytes: (fullRss - baseline.rss) / s.streams,
      liveHeapPerStreamBytes: (live.memory.heapUsed - baseline.liveHeap) / s.streams,
      latency: final.latency,
      addedLatencyMs: {
        p50: final.latency.cortex.hold.p50 - final.latency.direct.hold.p50,
        p99: final.latency.cortex.hold.p99 - final.latency.direct.hold.p99,
      },
      headersMs: final.headersMs,
      counts: final.counts,
      errors: final.errors,
      errorSamples: final.errorSamples,
      errorCount,
      upstream,
      cortexLogBytes: statSync(join(dataDir, 'cortex.log')).size,
      dataDir: s.heapSnapshot || s.cpuProfile || s.traceGc || s.allocProfile ? dataDir : undefined,
      timeline,
    };
  } finally {
    clearInterval(sampler);
    if (client) await stop(client);
    await stop(gateway);
    await stop(simulator);
    // Heap snapshots and CPU profiles stay for reading; otherwise nothing is left behind.
    if (!s.heapSnapshot && !s.cpuProfile && !s.traceGc && !s.allocProfile)
      rmSync(dataDir, { recursive: true, force: true });
  }
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : 'n/a');
const pct = (share) => `${(share * 100).toFixed(0)} %`;
const n = (value) => Math.round(value).toLocaleString('en-US');

/** `22, 1,460 ms, 112 ms` for one kind of GC pause of a phase. */
function gcPauses(pauses) {
  if (!pauses) return '0';
  return `${n(pauses.count)}, ${n(Math.round(pauses.totalMs))} ms, ${ms(pauses.maxMs)}`;
}

function streamsMarkdown(r) {
  const s = r.settings;
  const via = r.latency.cortex.hold;
  const direct = r.latency.direct.hold;
  const el = r.hold.eventLoop;
  const errors = Object.entries(r.errors)
    .map(([kind, count]) => `${kind}: ${count}`)
    .join(', ');
  const lines = [
    `### ${n(s.streams)} concurrent streams through one Cortex process`,
    '',
    `${n(s.streams)} SSE streams through Cortex plus ${n(s.controlStreams)} control streams straight to the ` +
      `simulator, opened over ${s.rampSeconds} s, each sent one chunk per second (${s.words} chunks) and all ` +
      `held open together for ${r.hold.seconds.toFixed(0)} s. Cortex reaches the simulator over h2c ` +
      `(\`h2c: true\`, up to ${s.connections} connections × ${s.streamsPerConnection} streams). ` +
      (r.pinned
        ? 'Cortex pinned to core 0, simulator and load generator to core 1.'
        : 'taskset was not available: processes were not pinned.') +
      ` File-descriptor limit of every process: ${r.fdLimits.cortex?.soft ?? '?'} (hard ${r.fdLimits.cortex?.hard ?? '?'}). Node ${r.node}; Cortex runs with ${r.cortexNodeFlags.map((flag) => `\`${flag}\``).join(' ') || 'no Node flags'} (\`npm start\`'s${s.extraNodeArgs.length > 0 ? ' plus BENCH_CORTEX_NODE_ARGS' : ''}; docs/decisions/0004-young-generation-size.md).`,
    '',
    '| measure | result | target |',
    '|---|---:|---:|',
    `| streams open at once through Cortex | ${n(s.streams)} | ${n(s.streams)} |`,
    `| Cortex RSS before the load → with every stream open (median over the hold) | ${mb(r.baseline.rss)} → ${mb(r.hold.rssMedian)} (max ${mb(r.hold.rssMax)}) | |`,
    `| **Cortex RSS per open stream** | **${kb(r.rssPerStreamBytes)}** | < 64 KB |`,
    `| Cortex V8 heap at the end of the hold: reserved / used / live after a full GC | ${mb(r.hold.heapTotal)} / ${mb(r.hold.heapUsed)} / ${mb(r.hold.liveHeap)} (live before the load: ${mb(r.baseline.liveHeap)}) | |`,
    `| live V8 heap per open stream | ${kb(r.liveHeapPerStreamBytes)} | |`,
    `| Cortex open file descriptors before → during the hold | ${n(r.baseline.openFiles)} → ${n(r.hold.openFiles)} | < ${n(r.fdLimits.cortex?.hard ?? 20000)} |`,
    `| upstream: streams over HTTP/2 / connections they used (simulator's records) | ${n(r.upstream.http2)} / ${n(r.upstream.connections)} | |`,
    `| **Cortex event-loop delay during the hold, p50 / p99 / max** | ${ms(el.p50)} / **${ms(el.p99)}** / ${ms(el.max)} | |`,
    `| Cortex garbage-collection pauses during the hold: scavenges / mark-compacts (count, total, longest) | ${gcPauses(r.hold.gc?.minor)} / ${gcPauses(r.hold.gc?.major)} | |`,
    `| Cortex event-loop delay during the ramp, p99 / max | ${ms(r.rampEventLoop.p99)} / ${ms(r.rampEventLoop.max)} | |`,
    `| chunk latency, simulator → client through Cortex, p50 / p99 / max | ${ms(via.p50)} / ${ms(via.p99)} / ${ms(via.max)} | |`,
    `| chunk latency, simulator → client direct (control), p50 / p99 / max | ${ms(direct.p50)} / ${ms(direct.p99)} / ${ms(direct.max)} | |`,
    `| **latency added by Cortex, p50 / p99** | ${ms(r.addedLatencyMs.p50)} / **${ms(r.addedLatencyMs.p99)}** | p99 < 50 ms |`,
    `| **errors** (non-200, resets, early ends, missing [DONE], wrong chunk count) | **${r.errorCount}**${errors ? ` (${errors})` : ''} | 0 |`,
    `| Cortex CPU during the hold | ${pct(r.hold.cortexCpuShare)} of a core, ${r.hold.cortexCpuUsPerChunk.toFixed(0)} µs per chunk relayed | |`,
    `| time Cortex was runnable but waiting for core 0, during the hold | ${pct(r.hold.cortexRunQueueWaitShare)} | |`,
    `| ramp: all streams open after / Cortex CPU per stream opened | ${r.rampSeconds.toFixed(1)} s (planned ${s.rampSeconds} s) / ${r.rampCpuMsPerStream.toFixed(2)} ms | |`,
    `| core 1 during the hold: simulator / load generator | ${pct(r.hold.simulatorCpuShare)} / ${pct(r.hold.clientCpuShare)} | |`,
    `| time to response headers through Cortex, p50 / p99 | ${ms(r.headersMs.p50)} / ${ms(r.headersMs.p99)} | |`,
    '',
    'Method. RSS is read from /proc (VmRSS) once a second; the baseline is the median of three readings ' +
      'after 150 short warm-up streams and a full GC, the full-load figure the median over the hold; per stream = the ' +
      'difference / streams. The live heap is read after a forced full GC (`--expose-gc`), before ' +
      'the load and once the hold is over. The event-loop delay comes from `perf_hooks.monitorEventLoopDelay` ' +
      '(10 ms resolution, the timer period subtracted) in a script preloaded into Cortex with ' +
      '`--require bench/lib/event-loop-probe.js`, read per phase on SIGUSR2. Chunk latency: the simulator ' +
      "(profile field `stamp_chunks`) writes into every chunk's text the instant it writes it " +
      '(`performance.timeOrigin + performance.now()`); the load generator subtracts it from the arrival ' +
      'time on the same clock. The control streams go straight to the simulator during the same hold, ' +
      'through the same load generator, so what the simulator and the load generator (sharing core 1) ' +
      'add is in both; "added" is the difference of the percentiles. Only chunks that arrived during ' +
      `the hold count (${n(via.count)} through Cortex, ${n(direct.count)} direct). CPU time and ` +
      'run-queue wait (time runnable but not running: other processes on the core) come from ' +
      '/proc/PID/stat and /proc/PID/schedstat.' +
      (r.hold.streamsEndedDuringHold > 0
        ? ` Warning: ${r.hold.streamsEndedDuringHold} streams ended during the hold.`
        : ''),
  ];
  return lines.join('\n');
}

module.exports = { runStreams, streamsMarkdown };

if (require.main === module) {
  runStreams().then(
    (result) => {
      const out = join(tmpdir(), `cortex-streams-${Date.now()}.json`);
      writeFileSync(out, JSON.stringify(result, null, 2));
      process.stderr.write(`[streams] full result: ${out}\n`);
      process.stdout.write(`${streamsMarkdown(result)}\n`);
      if (result.errorCount > 0) process.exitCode = 1;
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
