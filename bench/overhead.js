'use strict';
// Overhead benchmark: the same load, alternating, straight to the simulator and through Cortex.
// Reports requests per second, p50/p99 latency, and the CPU time per request of the process that
// served the load (read from /proc, the most stable figure on a shared 2-core machine).
const { writeFileSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { startNode, cpuSeconds, waitForHttp, freePort, stop, HAS_TASKSET } = require('./lib/processes');

const ROOT = join(__dirname, '..');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

function gatewayConfig(simulatorUrl) {
  return [
    'providers:',
    '  sim:',
    '    type: openai',
    `    base_url: ${simulatorUrl}/openai/v1`,
    '    api_keys: ["sk-bench-0000"]',
    '    max_concurrency: 1024',
    'models:',
    '  bench:',
    '    - { provider: sim, model: gpt-4o-mini }',
  ].join('\n');
}

function requestBody(stream) {
  return JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: 'Benchmark request: say something short.' }],
    ...(stream ? { stream: true } : {}),
  });
}

async function load({ url, connections, body, pid }) {
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: DURATION_S,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0000' },
    body,
  });
  const cpu = pid ? cpuSeconds(pid) - cpuBefore : 0;
  const requests = result.requests.total;
  const errors = result.errors + result.non2xx + result.timeouts;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    cpuMsPerRequest: requests > 0 ? (cpu * 1000) / requests : NaN,
    requests,
  };
}

async function main() {
  const simPort = await freePort();
  const gatewayPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'cortex-bench-'));
  const configPath = join(dataDir, 'bench.yaml');
  const simulatorUrl = `http://127.0.0.1:${simPort}`;
  writeFileSync(configPath, gatewayConfig(simulatorUrl));

  const simulator = startNode(join(ROOT, 'dist/simulator/main.js'), ['--port', String(simPort)], {
    core: 1,
    name: 'sim',
  });
  const gateway = startNode(join(ROOT, 'dist/main.js'), [], {
    core: 0,
    name: 'cortex',
    env: {
      CORTEX_CONFIG: configPath,
      PORT: String(gatewayPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CORTEX_DATA_DIR: dataDir,
    },
  });
  try {
    await waitForHttp(`${simulatorUrl}/_sim/health`);
    await waitForHttp(`http://127.0.0.1:${gatewayPort}/v1/models`);
    const targets = [
      { name: 'direct to simulator', url: `${simulatorUrl}/openai/v1/chat/completions`, pid: simulator.pid },
      {
        name: 'through Cortex',
        url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
        pid: gateway.pid,
      },
    ];
    const rows = [];
    for (const stream of [false, true]) {
      for (const connections of [1, 50]) {
        // Warm-up, then alternate the targets so drift on a shared machine hits both alike.
        for (const target of targets) await load({ ...target, connections, body: requestBody(stream) });
        const sums = new Map(targets.map((t) => [t.name, []]));
        for (let round = 0; round < ROUNDS; round++) {
          for (const target of targets)
            sums.get(target.name).push(await load({ ...target, connections, body: requestBody(stream) }));
        }
        for (const target of targets) {
          const runs = sums.get(target.name);
          const mean = (key) => runs.reduce((sum, run) => sum + run[key], 0) / runs.length;
          rows.push({
            mode: stream ? 'stream (12 chunks)' : 'non-stream',
            connections,
            target: target.name,
            rps: mean('rps'),
            p50: mean('p50'),
            p99: mean('p99'),
            cpuMsPerRequest: mean('cpuMsPerRequest'),
            errors: runs.reduce((sum, run) => sum + run.errors, 0),
          });
        }
      }
    }
    return rows;
  } finally {
    await stop(gateway);
    await stop(simulator);
  }
}

function table(rows) {
  const lines = [
    '| mode | connections | target | req/s | p50 ms | p99 ms | CPU ms per request (serving process) | errors |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.mode} | ${row.connections} | ${row.target} | ${Math.round(row.rps)} | ${row.p50.toFixed(1)} | ` +
        `${row.p99.toFixed(1)} | ${row.cpuMsPerRequest.toFixed(3)} | ${row.errors} |`,
    );
  }
  return lines.join('\n');
}

module.exports = { runOverhead: main, overheadTable: table, pinned: HAS_TASKSET, DURATION_S, ROUNDS };
