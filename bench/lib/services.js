'use strict';
// The simulator and Cortex as the benchmarks run them: the simulator pinned to core 1 (with the load),
// Cortex to core 0; the simulator's control API; the one-provider gateway config and the chat request
// the load sends.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { startNode, waitForHttp, stop, sleep } = require('./processes');

const ROOT = join(__dirname, '..', '..');
const API_KEY = 'sk-bench-0000';
const UPSTREAM_MODEL = 'gpt-4o-mini';

/** Cortex config: one provider `sim` (the simulator's OpenAI protocol, one key) behind the model `bench`. */
function gatewayConfig(simulatorUrl) {
  return [
    'providers:',
    '  sim:',
    '    type: openai',
    `    base_url: ${simulatorUrl}/openai/v1`,
    `    api_keys: ["${API_KEY}"]`,
    '    max_concurrency: 1024',
    'models:',
    '  bench:',
    `    - { provider: sim, model: ${UPSTREAM_MODEL} }`,
  ].join('\n');
}

/** A simulator faults file: the OpenAI protocol answers with `words` words (a stream: one chunk each). */
const responseWordsFaults = (words) => `faults:\n  openai:\n    response_words: ${words}\n`;

/** The benchmarks' chat completion request, as a JSON string. */
function chatBody(model, stream = false) {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Benchmark request: say something short.' }],
    ...(stream ? { stream: true } : {}),
  });
}

/**
 * Starts `root`'s dist/simulator/main.js on `port` and waits until it answers. `faults` (the text of a
 * faults file) is written to `dir`/faults.yaml and passed with --faults.
 */
async function startSimulator({ port, root = ROOT, faults, dir, args = [], core = 1, raiseFdLimit }) {
  const faultArgs = [];
  if (faults !== undefined) {
    const faultsPath = join(dir, 'faults.yaml');
    writeFileSync(faultsPath, faults);
    faultArgs.push('--faults', faultsPath);
  }
  const child = startNode(
    join(root, 'dist/simulator/main.js'),
    ['--port', String(port), ...faultArgs, ...args],
    {
      core,
      name: 'sim',
      raiseFdLimit,
    },
  );
  try {
    await waitForHttp(`http://127.0.0.1:${port}/_sim/health`);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return child;
}

/**
 * The Node flags Cortex runs with, read from `npm start` so the benchmarks measure Cortex as it ships
 * (the Dockerfile's CMD carries the same ones; test/e2e/start-command.e2e-spec.ts keeps them equal).
 */
const CORTEX_NODE_FLAGS = require('../../package.json')
  .scripts.start.split(/\s+/)
  .filter((word) => word.startsWith('--'));

/**
 * Starts `root`'s dist/main.js on 127.0.0.1:`port` with the config file and data directory given;
 * `env` adds variables (undefined removes an inherited one), the other options go to startNode.
 * Does not wait: each benchmark waits for what it needs (models, readiness).
 */
function startCortex({
  root = ROOT,
  configPath,
  port,
  dataDir,
  env = {},
  core = 0,
  name = 'cortex',
  nodeArgs = [],
  ...options
}) {
  return startNode(join(root, 'dist/main.js'), [], {
    ...options,
    nodeArgs: [...CORTEX_NODE_FLAGS, ...nodeArgs],
    core,
    name,
    env: {
      CORTEX_CONFIG: configPath,
      PORT: String(port),
      HOST: '127.0.0.1',
      CORTEX_DATA_DIR: dataDir,
      ...env,
    },
  });
}

/** The simulator's control API (`/_sim`). */
function simulatorControl(simulatorUrl) {
  const call = async (method, path, body) => {
    const response = await fetch(`${simulatorUrl}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  return {
    call,
    setFaults: (name, profile) => call('PUT', `/providers/${name}/faults`, profile),
    clearFaults: (name) => call('DELETE', `/providers/${name}/faults`),
    clearRequests: () => call('DELETE', '/requests'),
    /** Chat requests only (health-check reads left out), oldest first. */
    requests: async (provider) =>
      (await call('GET', `/requests?probes=false${provider ? `&provider=${provider}` : ''}`)).requests,
    /** Waits until every recorded request has ended (answered, aborted or reset), at most `maxMs`. */
    async settled(maxMs = 3000) {
      const deadline = Date.now() + maxMs;
      for (;;) {
        const records = await this.requests();
        if (records.every((r) => r.endedAt !== undefined) || Date.now() > deadline) return records;
        await sleep(50);
      }
    },
  };
}

module.exports = {
  ROOT,
  API_KEY,
  UPSTREAM_MODEL,
  gatewayConfig,
  responseWordsFaults,
  chatBody,
  startSimulator,
  startCortex,
  CORTEX_NODE_FLAGS,
  simulatorControl,
};
