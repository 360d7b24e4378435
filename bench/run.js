'use strict';
// `npm run bench`: runs the benchmarks and writes docs/BENCHMARKS.md with the machine, versions and commands.
const { writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { runOverhead, overheadTable, pinned, DURATION_S, ROUNDS } = require('./overhead');
const { runResilienceDecisions } = require('./resilience-decisions');
const { runDlqStoreBench } = require('./dlq-store');

async function main() {
  const started = new Date();
  process.stderr.write('bench: resilience decisions per request (closed state)...\n');
  const decisions = await runResilienceDecisions();
  process.stderr.write('bench: dead letter store writes...\n');
  const dlq = await runDlqStoreBench({ records: Number(process.env.BENCH_DLQ_RECORDS ?? 20000) });
  process.stderr.write('bench: overhead (direct vs through Cortex)...\n');
  const overhead = await runOverhead();
  const ratio = (mode, connections, key) => {
    const find = (target) =>
      overhead.find((row) => row.mode === mode && row.connections === connections && row.target === target);
    return find('through Cortex')[key] / find('direct to simulator')[key];
  };
  const report = [
    '# Benchmarks',
    '',
    `Run ${started.toISOString()} with \`npm run bench\` (BENCH_DURATION_S=${DURATION_S}, BENCH_ROUNDS=${ROUNDS}).`,
    '',
    '## Machine',
    '',
    `- ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; load generator autocannon 9 in the bench process`,
    `- processes pinned with taskset: ${pinned ? 'gateway on core 0; simulator and load generator on core 1' : 'no (taskset missing)'}`,
    '',
    '## Resilience decisions per request (closed state)',
    '',
    'The real RequestRouter with an adapter that answers at once (no I/O): breaker permit, key from the pool, retry',
    'budget, ramp check, deadline timer, attempt record and latency sample, per request, minus the bare adapter call.',
    `${decisions.iterations} sequential requests after a warm-up (\`node bench/resilience-decisions.js\`).`,
    '',
    '| measured | µs per request |',
    '|---|---:|',
    `| adapter call alone | ${decisions.adapterOnly.usPerCall.toFixed(2)} |`,
    `| through RequestRouter.complete | ${decisions.routed.usPerCall.toFixed(2)} |`,
    `| **resilience decisions** (target < 20 µs) | **${decisions.perRequestUs.toFixed(2)}** |`,
    '',
    '## Dead letter queue: SQLite store writes',
    '',
    `${dlq.records} records of ${dlq.recordBytes} bytes written one at a time as the gateway does (each \`add\` its own`,
    `transaction with the eviction beyond max_size ${dlq.maxSize}), WAL mode, \`node bench/dlq-store.js\`.`,
    'NORMAL is the default: durable across a killed process (tested with SIGKILL); FULL also across power loss.',
    '',
    '| synchronous | records/s | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    ...dlq.results.map(
      (r) => `| ${r.synchronous} | ${r.recordsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} |`,
    ),
    '',
    '## Overhead: Cortex against calling the simulator directly',
    '',
    'The simulator (zero latency, OpenAI protocol, 12-word answers) is the upstream. Each cell is the mean of the',
    "rounds, the targets alternating. CPU time is the serving process's own user+system time (from /proc) divided by",
    'the requests it served: for "direct" that is the simulator, for "through Cortex" the gateway alone.',
    '',
    overheadTable(overhead),
    '',
    `Ratios (through Cortex / direct): non-stream at 50 connections, req/s ${ratio('non-stream', 50, 'rps').toFixed(2)}×, ` +
      `CPU per request ${ratio('non-stream', 50, 'cpuMsPerRequest').toFixed(2)}×; ` +
      `stream at 50 connections, req/s ${ratio('stream (12 chunks)', 50, 'rps').toFixed(2)}×.`,
    '',
  ].join('\n');
  writeFileSync(join(__dirname, '..', 'docs', 'BENCHMARKS.md'), report);
  process.stdout.write(report);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
