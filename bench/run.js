'use strict';
// `npm run bench`: every benchmark in one run, written to docs/BENCHMARKS.md with the machine, the
// versions and the commands. Sections: overhead against a bare proxy and Portkey, failure modes,
// 10,000 concurrent streams, the hot-path profile notes, resilience decisions, dead letter writes.
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { runOverhead, overheadMarkdown } = require('./overhead');
const { runFailureModes, failureModesMarkdown } = require('./failure-modes');
const { runStreams, streamsMarkdown } = require('./streams-10k');
const { runResilienceDecisions } = require('./resilience-decisions');
const { runDlqStoreBench } = require('./dlq-store');

const ROOT = join(__dirname, '..');

function step(name) {
  process.stderr.write(`bench: ${name}...\n`);
}

function gitRevision() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT })
      .toString()
      .trim();
    return dirty ? `${sha} with uncommitted changes` : sha;
  } catch {
    return 'unknown';
  }
}

function machineSection(started, finished, overhead, streams) {
  const cpus = os.cpus();
  return [
    '## Machine and method',
    '',
    `- ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `${os.type()} ${os.release()}; load average ${os.loadavg()[0].toFixed(2)} when the run ended`,
    `- Node ${process.version} (the project's \`node\` devDependency), Cortex at ${gitRevision()}`,
    `- Run ${started.toISOString()} to ${finished.toISOString()} ` +
      `(${((finished - started) / 60000).toFixed(1)} min): \`npm ci && npm run bench\` ` +
      `(BENCH_DURATION_S=${overhead.config.durationS}, BENCH_ROUNDS=${overhead.config.rounds}, ` +
      `BENCH_STREAMS=${streams.settings.streams}, BENCH_STREAM_SECONDS=${streams.settings.seconds}).`,
    '- Each section runs standalone too: `node bench/overhead.js`, `node bench/failure-modes.js`, ' +
      '`node bench/streams-10k.js`, `node bench/resilience-decisions.js`, `node bench/dlq-store.js` ' +
      '(after `npm run build`, through `npx` so Node 24 runs them).',
    '- Loopback only. CPU time per request (user + system time of the serving process from /proc, divided by ' +
      'the requests it served) is the figure to trust on a shared 2-core machine; requests per second and ' +
      'tail latency move with whatever else runs.',
    '',
  ].join('\n');
}

function decisionsSection(decisions) {
  return [
    '## Resilience decisions per request (closed state)',
    '',
    'The real RequestRouter with an adapter that answers at once (no I/O): breaker permit, key from the pool, retry',
    'budget, ramp check, deadline timer, attempt record and latency sample, per request, minus the bare adapter call.',
    `${decisions.iterations} sequential requests after a warm-up.`,
    '',
    '| measured | µs per request |',
    '|---|---:|',
    `| adapter call alone | ${decisions.adapterOnly.usPerCall.toFixed(2)} |`,
    `| through RequestRouter.complete | ${decisions.routed.usPerCall.toFixed(2)} |`,
    `| **resilience decisions** (target < 20 µs) | **${decisions.perRequestUs.toFixed(2)}** |`,
    '',
  ].join('\n');
}

function dlqSection(dlq) {
  return [
    '## Dead letter queue: SQLite store writes',
    '',
    `${dlq.records} records of ${dlq.recordBytes} bytes written one at a time as the gateway does (each \`add\` its own`,
    `transaction with the eviction beyond max_size ${dlq.maxSize}), WAL mode.`,
    'NORMAL is the default: durable across a killed process (tested with SIGKILL); FULL also across power loss.',
    '',
    '| synchronous | records/s | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    ...dlq.results.map(
      (r) => `| ${r.synchronous} | ${r.recordsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} |`,
    ),
    '',
  ].join('\n');
}

async function main() {
  const started = new Date();
  step('overhead: direct, bare proxy, Cortex, Portkey');
  const overhead = await runOverhead();
  step('failure modes');
  const failureModes = await runFailureModes();
  step('concurrent streams');
  const streams = await runStreams();
  step('resilience decisions per request');
  const decisions = await runResilienceDecisions();
  step('dead letter store writes');
  const dlq = await runDlqStoreBench();
  const finished = new Date();

  const report = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` from one run; every table below comes from that run except the hot-path',
    'section, whose before/after figures come from `bench/compare-builds.js` (its command is given there).',
    '',
    machineSection(started, finished, overhead, streams),
    overheadMarkdown(overhead),
    failureModesMarkdown(failureModes),
    '',
    '## Streams at scale',
    '',
    streamsMarkdown(streams),
    '',
    readFileSync(join(__dirname, 'hot-path.md'), 'utf8').trim(),
    '',
    decisionsSection(decisions),
    dlqSection(dlq),
  ].join('\n');
  writeFileSync(join(ROOT, 'docs', 'BENCHMARKS.md'), report);
  process.stdout.write(report);
  const failed = overhead.errorsTotal + (streams.errorCount ?? 0);
  if (failed > 0) {
    process.stderr.write(`bench: ${failed} requests or streams failed; see docs/BENCHMARKS.md\n`);
  }
  if (failed > 0) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
