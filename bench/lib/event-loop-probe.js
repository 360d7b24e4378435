'use strict';
// Preloaded into the Cortex process by bench/streams-10k.js (`node --require`), so Cortex's own code
// stays untouched. Keeps an event-loop delay histogram (perf_hooks.monitorEventLoopDelay) and, on
// SIGUSR2 and at exit, writes it with the process's memory use as JSON to $BENCH_ELD_FILE, then
// starts a new histogram: each signal closes one measured phase. When $BENCH_ELD_FILE.cmd says `gc`
// and the process runs with --expose-gc, a full garbage collection runs first, so the memory figures
// are the live heap (the collection pauses the process: only done once the measured phases are over).
// Garbage-collection pauses of each phase come from a perf_hooks observer, by kind (minor = scavenge).
// With $BENCH_ALLOC_FILE, V8's sampling heap profiler records each phase's allocations, collected
// objects included, into $BENCH_ALLOC_FILE.<seq>.json (the profiler adds CPU: diagnostics only).
const { monitorEventLoopDelay, constants } = require('node:perf_hooks');
const { writeFileSync, renameSync, readFileSync, existsSync, rmSync } = require('node:fs');
const inspector = require('node:inspector');

const file = process.env.BENCH_ELD_FILE;
const RESOLUTION_MS = 10;

if (file) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let seq = 0;
  const GC_KINDS = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  let gc = {};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[entry.detail?.kind] ?? 'other';
      const pauses = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      pauses.count++;
      pauses.totalMs += entry.duration;
      pauses.maxMs = Math.max(pauses.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  // The histogram holds the intervals between the sampling timer's runs, so it includes the timer's
  // own period: the delay is what exceeds it.
  const lateMs = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  const dump = (reason) => {
    const command = existsSync(`${file}.cmd`) ? readFileSync(`${file}.cmd`, 'utf8').trim() : '';
    rmSync(`${file}.cmd`, { force: true });
    const collected = command === 'gc' && typeof globalThis.gc === 'function';
    if (collected) globalThis.gc();
    const memory = process.memoryUsage();
    const snapshot = {
      seq: ++seq,
      reason,
      collected,
      at: Date.now(),
      resolutionMs: RESOLUTION_MS,
      samples: histogram.count,
      delayMs: {
        p50: lateMs(histogram.percentile(50)),
        p90: lateMs(histogram.percentile(90)),
        p99: lateMs(histogram.percentile(99)),
        p999: lateMs(histogram.percentile(99.9)),
        max: lateMs(histogram.max),
        mean: lateMs(histogram.mean),
      },
      memory,
      gc,
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp`, file);
    histogram.reset();
    gc = {};
  };
  const allocFile = process.env.BENCH_ALLOC_FILE;
  const session = allocFile ? new inspector.Session() : undefined;
  const startSampling = () =>
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  if (session) {
    session.connect();
    startSampling();
  }
  // Ends the phase's sampling (its profile named after the phase's seq) and starts the next one's.
  const rotateSampling = (phase) =>
    session?.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(`${allocFile}.${phase}.json`, JSON.stringify(result.profile));
      startSampling();
    });
  process.on('SIGUSR2', () => {
    dump('signal');
    rotateSampling(seq);
  });
  process.on('exit', () => dump('exit'));
}
