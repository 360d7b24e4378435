'use strict';
// Benchmark: the SQLite dead letter store written the way the gateway writes it, one awaited add()
// per failed request, each its own durable transaction (record, providers, eviction, counters).
// Runs with the production settings (WAL, synchronous NORMAL) and again with FULL (fsync per commit).
const { randomUUID } = require('node:crypto');
const { mkdtempSync, rmSync, statSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { percentile } = require('./lib/numbers');

// DLQ_BENCH_DIST points at another compiled tree (tsc --outDir) when dist/ is not built.
const dist = process.env.DLQ_BENCH_DIST ?? join(__dirname, '..', 'dist');

const PROVIDERS = ['openai', 'anthropic', 'gemini'];
const CLASSES = ['service_unavailable', 'rate_limited', 'timeout', 'network_error'];
const SYSTEM_PROMPT =
  'You are a support assistant for an online shop. Answer in two or three sentences, cite the order number ' +
  'when there is one, and never invent shipping dates.';
const QUESTION =
  'My order 48213 was supposed to arrive on Tuesday but the tracking page has not changed since Friday. ' +
  'It says "label created". Can you tell me whether it has actually shipped, and if not, can I cancel it ' +
  'and get a refund to the original card instead of store credit?';

function attempt(provider, failureClass, waitedMs) {
  return {
    provider,
    model: `${provider}-large`,
    keySuffix: 'x9Qa',
    outcome: 'failure',
    failureClass,
    status: failureClass === 'rate_limited' ? 429 : 503,
    durationMs: 180 + (waitedMs % 70),
    waitedMs,
    message: `${provider} answered ${failureClass}`,
  };
}

/** A failed chat request as the gateway records it: four messages, two or three attempts. */
function benchRecord(i, now) {
  const failureClass = CLASSES[i % CLASSES.length];
  const attempts = [
    attempt(PROVIDERS[i % 3], failureClass, 0),
    attempt(PROVIDERS[(i + 1) % 3], failureClass, 250),
  ];
  if (i % 2 === 0) attempts.push(attempt(PROVIDERS[(i + 2) % 3], failureClass, 500));
  return {
    id: `dlq_${randomUUID().replaceAll('-', '')}`,
    createdAt: now,
    requestId: `req-${i}`,
    traceId: randomUUID().replaceAll('-', ''),
    client: { name: i % 3 === 0 ? 'team-batch' : 'team-search', tier: i % 3 === 0 ? 'normal' : 'premium' },
    request: {
      model: 'chat',
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: QUESTION },
        { role: 'assistant', content: 'Let me check the carrier status for order 48213.' },
        { role: 'user', content: `Thanks, please hurry (${i}).` },
      ],
      params: { temperature: 0.3, max_tokens: 400, user: `customer-${i % 997}` },
      stream: i % 4 === 0,
    },
    failureClass,
    status: 503,
    message: 'All providers failed',
    attempts,
    state: 'pending',
    replayCount: 0,
    replays: [],
  };
}

async function runSetting(synchronous, records, maxSize) {
  const { SqliteDlqStore } = require(join(dist, 'dead-letter/sqlite.dlq-store'));
  const { SystemClock } = require(join(dist, 'common/clock'));
  const dir = mkdtempSync(join(os.tmpdir(), 'cortex-dlq-bench-'));
  const path = join(dir, 'dlq.sqlite');
  const clock = new SystemClock();
  const store = new SqliteDlqStore({ path, synchronous, clock });
  try {
    const warmUp = Math.min(1000, records);
    for (let i = 0; i < warmUp; i++) await store.add(benchRecord(records + i, clock.now()), maxSize);
    const latenciesMs = new Float64Array(records);
    const started = process.hrtime.bigint();
    for (let i = 0; i < records; i++) {
      const record = benchRecord(i, clock.now());
      const before = process.hrtime.bigint();
      await store.add(record, maxSize);
      latenciesMs[i] = Number(process.hrtime.bigint() - before) / 1e6;
    }
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    latenciesMs.sort();
    const stats = await store.stats();
    return {
      synchronous,
      recordsPerSecond: Math.round(records / elapsedS),
      p50Ms: Number(percentile(latenciesMs, 0.5).toFixed(3)),
      p99Ms: Number(percentile(latenciesMs, 0.99).toFixed(3)),
      maxMs: Number(latenciesMs[records - 1].toFixed(3)),
      currentSize: stats.currentSize,
      totalEvicted: stats.totalEvicted,
      fileBytes: statSync(path).size,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sustained records/s and add() latency of the SQLite store, NORMAL then FULL. */
async function runDlqStoreBench({
  records = Number(process.env.BENCH_DLQ_RECORDS ?? 20000),
  maxSize = 1000,
} = {}) {
  const recordBytes = Buffer.byteLength(JSON.stringify(benchRecord(0, Date.now())));
  const normal = await runSetting('NORMAL', records, maxSize);
  const full = await runSetting('FULL', records, maxSize);
  return { records, maxSize, recordBytes, results: [normal, full] };
}

module.exports = { runDlqStoreBench };

if (require.main === module) {
  runDlqStoreBench().then((result) => console.log(JSON.stringify(result, null, 2)));
}
