'use strict';
// Microbenchmark: what the resilience engine adds to one request in the closed state (breaker
// permit, key from the pool, retry budget, ramp check, deadline timer, attempt record, latency
// sample), measured through the real RequestRouter with an adapter that answers at once.
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const { parseConfig } = require(join(dist, 'config/config.loader'));
const { SystemClock } = require(join(dist, 'common/clock'));
const { MathRandomSource } = require(join(dist, 'common/random'));
const { CortexEventBus } = require(join(dist, 'common/events'));
const { ModelCatalog } = require(join(dist, 'providers/model-catalog.service'));
const { ResiliencePolicies } = require(join(dist, 'resilience/resilience-policies.service'));
const { ResilienceState } = require(join(dist, 'resilience/resilience-state.service'));
const { DeploymentAttempts } = require(join(dist, 'resilience/deployment-attempts'));
const { RequestRouter } = require(join(dist, 'resilience/request-router.service'));

const ITERATIONS = Number(process.env.BENCH_DECISIONS ?? 200_000);

const completion = {
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'ok' }, logprobs: null, finish_reason: 'stop' },
  ],
};

function buildRouter() {
  const config = parseConfig(
    {
      providers: {
        a: {
          type: 'openai',
          base_url: 'http://127.0.0.1:9/v1',
          api_keys: ['sk-bench-aaaa', 'sk-bench-bbbb'],
        },
        b: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_keys: ['sk-bench-cccc'] },
      },
      models: {
        chat: [
          { provider: 'a', model: 'm' },
          { provider: 'b', model: 'm' },
        ],
      },
    },
    {},
  );
  const clock = new SystemClock();
  const random = new MathRandomSource();
  const bus = new CortexEventBus({ emit: () => true, emitAsync: async () => [], hasListeners: () => false });
  const policies = new ResiliencePolicies(config);
  const state = new ResilienceState(config, policies, clock, bus);
  const attempts = new DeploymentAttempts(policies, state, bus, clock, random);
  const adapter = { complete: () => Promise.resolve(completion) };
  const registry = { adapter: () => adapter };
  return new RequestRouter(
    registry,
    attempts,
    new ModelCatalog(config),
    policies,
    state,
    bus,
    clock,
    random,
    config,
    // RoutingAdjustments at the healthy level: nothing changed.
    { timeoutFactor: 1, preferFastProviders: false },
  );
}

async function measure(label, fn) {
  for (let i = 0; i < 20_000; i++) await fn(); // warm-up for the JIT
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await fn();
  const elapsedNs = Number(process.hrtime.bigint() - started);
  return { label, usPerCall: elapsedNs / ITERATIONS / 1000 };
}

async function runResilienceDecisions() {
  const router = buildRouter();
  const request = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };
  const signal = new AbortController().signal;
  const context = { requestId: 'bench', signal };
  const adapterOnly = await measure('adapter call alone', () => Promise.resolve(completion));
  const routed = await measure('through RequestRouter.complete', () => router.complete(request, context));
  return {
    adapterOnly,
    routed,
    perRequestUs: routed.usPerCall - adapterOnly.usPerCall,
    iterations: ITERATIONS,
  };
}

module.exports = { runResilienceDecisions };

if (require.main === module) {
  runResilienceDecisions().then((result) => console.log(JSON.stringify(result, null, 2)));
}
