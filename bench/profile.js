'use strict';
// Profiles Cortex's hot path: the gateway runs under `--cpu-prof` while autocannon drives non-stream
// (or stream) completions through it to the simulator, then the V8 profile is summarised by self time
// per function and per package.
// `node bench/profile.js [--stream] [--seconds 10] [--top 40] [--node-option=--max-semi-space-size=64]`.
const { mkdtempSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const autocannon = require('autocannon');
const { waitForHttp, freePort, stop } = require('./lib/processes');
const { ROOT, API_KEY, gatewayConfig, chatBody, startSimulator, startCortex } = require('./lib/services');
const { callFrame } = require('./lib/call-frame');

/** `name file:line` of a profile call frame, and its file relative to the checkout. */
const frame = (callFrameOfNode) => callFrame(callFrameOfNode, ROOT);

/** Self time per call frame from a .cpuprofile (samples × their time deltas). */
function summarise(profile, top) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  const byPackage = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue;
    total += us;
    const { where, fn } = frame(callFrame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
      (where.startsWith('dist/')
        ? 'cortex'
        : where.startsWith('node:')
          ? 'node core'
          : where || callFrame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  // Inclusive time: a frame's own samples plus its callees' (each frame counted once per stack).
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map();
  for (const [id, us] of selfUs) {
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { where, fn } = frame(byId.get(at).callFrame);
      if (!where.startsWith('dist/') && !where.includes('node_modules/')) continue;
      if (seen.has(fn)) continue;
      seen.add(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    }
  }
  const rows = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  return { total, functions: rows(byFunction), packages: rows(byPackage), inclusive: rows(inclusive) };
}

async function main() {
  const { values } = parseArgs({
    options: {
      stream: { type: 'boolean', default: false },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      top: { type: 'string', default: '40' },
      'node-option': { type: 'string', multiple: true, default: [] },
    },
  });
  const simPort = await freePort();
  const gatewayPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cortex-profile-'));
  const configPath = join(dir, 'profile.yaml');
  writeFileSync(configPath, gatewayConfig(`http://127.0.0.1:${simPort}`));
  let simulator;
  let gateway;
  try {
    simulator = await startSimulator({ port: simPort });
    gateway = startCortex({
      configPath,
      port: gatewayPort,
      dataDir: dir,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...values['node-option']],
    });
    await waitForHttp(`http://127.0.0.1:${gatewayPort}/v1/models`);
    const result = await autocannon({
      url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
      method: 'POST',
      connections: Number(values.connections),
      duration: Number(values.seconds),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: chatBody('bench', values.stream),
    });
    process.stdout.write(
      `${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, ` +
        `${result.non2xx + result.errors} errors (status codes ${JSON.stringify(result.statusCodeStats)})\n`,
    );
  } finally {
    await stop(gateway);
    await stop(simulator);
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const summary = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')), Number(values.top));
  process.stdout.write(
    `profile: ${join(dir, file)}\n\nself time by package:\n${summary.packages.join('\n')}\n`,
  );
  process.stdout.write(`\nself time by function:\n${summary.functions.join('\n')}\n`);
  process.stdout.write(`\ninclusive time (JavaScript frames):\n${summary.inclusive.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`profile failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
