'use strict';
// Before/after for a hot-path change: two built checkouts of Cortex (each with dist/ and node_modules)
// take turns under the same load through the same simulator, and the gateway's CPU time per request
// is compared. Rounds alternate so drift on a shared machine hits both alike.
//   git worktree add /tmp/cortex-base <commit> && (cd /tmp/cortex-base && ln -s $PWD/node_modules . && npx nest build)
//   node bench/compare-builds.js --base /tmp/cortex-base [--head .] [--rounds 4] [--seconds 6]
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { parseArgs } = require('node:util');
const autocannon = require('autocannon');
const { cpuSeconds, waitForHttp, freePort, stop } = require('./lib/processes');
const {
  gatewayConfig,
  responseWordsFaults,
  chatBody,
  startSimulator,
  startCortex,
} = require('./lib/services');
const { median } = require('./lib/numbers');

async function startGateway(root, simPort, dir, nodeArgs) {
  const port = await freePort();
  const configPath = join(dir, `gateway-${port}.yaml`);
  writeFileSync(configPath, gatewayConfig(`http://127.0.0.1:${simPort}`));
  const child = startCortex({ root, configPath, port, dataDir: dir, name: `cortex ${root}`, nodeArgs });
  await waitForHttp(`http://127.0.0.1:${port}/v1/models`);
  return { child, url: `http://127.0.0.1:${port}/v1/chat/completions` };
}

async function measure(gateway, { stream, seconds, connections }) {
  const before = cpuSeconds(gateway.child.pid);
  const result = await autocannon({
    url: gateway.url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body: chatBody('bench', stream),
  });
  const errors = result.non2xx + result.errors + result.timeouts;
  if (errors > 0) throw new Error(`${errors} failed requests through ${gateway.url}`);
  return ((cpuSeconds(gateway.child.pid) - before) * 1000) / result.requests.total;
}

async function main() {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      head: { type: 'string', default: join(__dirname, '..') },
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '6' },
      connections: { type: 'string', default: '50' },
      words: { type: 'string', default: '20' },
      'base-node-option': { type: 'string', multiple: true, default: [] },
      'head-node-option': { type: 'string', multiple: true, default: [] },
    },
  });
  if (!values.base) throw new Error('--base <checkout with dist/> is required');
  const dir = mkdtempSync(join(tmpdir(), 'cortex-compare-'));
  const simPort = await freePort();
  let simulator;
  const builds = [];
  try {
    simulator = await startSimulator({
      port: simPort,
      root: values.head,
      dir,
      faults: responseWordsFaults(Number(values.words)),
    });
    builds.push({
      name: 'base',
      ...(await startGateway(resolve(values.base), simPort, dir, values['base-node-option'])),
    });
    builds.push({
      name: 'head',
      ...(await startGateway(resolve(values.head), simPort, dir, values['head-node-option'])),
    });
    const options = { seconds: Number(values.seconds), connections: Number(values.connections) };
    for (const stream of [false, true]) {
      const samples = { base: [], head: [] };
      for (const build of builds) await measure(build, { ...options, stream, seconds: 2 }); // warm-up
      for (let round = 0; round < Number(values.rounds); round++) {
        for (const build of round % 2 === 0 ? builds : [...builds].reverse())
          samples[build.name].push(await measure(build, { ...options, stream }));
      }
      const base = median(samples.base);
      const head = median(samples.head);
      process.stdout.write(
        `${stream ? `stream (${values.words} words)` : 'non-stream'}: CPU ms per request, median of ` +
          `${values.rounds} — base ${base.toFixed(3)}, head ${head.toFixed(3)} ` +
          `(${(((head - base) / base) * 100).toFixed(1)}%); base ${samples.base.map((v) => v.toFixed(3)).join(' ')}; ` +
          `head ${samples.head.map((v) => v.toFixed(3)).join(' ')}\n`,
      );
    }
  } finally {
    for (const build of builds) await stop(build.child);
    await stop(simulator);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`compare failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
