'use strict';
// Sequential measurement helpers: one keep-alive undici connection, one request at a time, timed with
// process.hrtime (sub-millisecond), plus percentiles and CPU pinning of the bench process itself.
const { execFileSync } = require('node:child_process');
const { readdirSync, readFileSync } = require('node:fs');
const { Client } = require('undici');

/**
 * A client for one origin that sends one request at a time on a single keep-alive connection, so
 * every measured time is one request's own round trip (no queueing behind other requests).
 */
class SequentialProbe {
  constructor(origin, { timeoutMs = 30_000 } = {}) {
    this.client = new Client(origin, {
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  /** Sends one request and reads the whole body; `ms` covers both. `startedAt` is epoch ms. */
  async request({ method = 'GET', path, headers = {}, body }) {
    const startedAt = Date.now();
    const start = process.hrtime.bigint();
    const response = await this.client.request({ method, path, headers, body });
    const text = await response.body.text();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return { ms, startedAt, status: response.statusCode, headers: response.headers, text };
  }

  /** POST a JSON body; the answer is parsed when it is JSON. */
  async postJson(path, payload, headers = {}) {
    const result = await this.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    try {
      result.json = JSON.parse(result.text);
    } catch {
      result.json = undefined;
    }
    return result;
  }

  close() {
    return this.client.close();
  }
}

/**
 * Runs `step(i)` one after another until `maxRequests` steps ran, `maxMs` passed (both bounds
 * always apply) or a step returned false, sleeping `pauseMs` between steps. Returns the steps run.
 */
async function sequence({ maxRequests, maxMs, pauseMs = 0, step }) {
  const deadline = Date.now() + maxMs;
  let i = 0;
  while (i < maxRequests && Date.now() < deadline) {
    if (pauseMs > 0 && i > 0) await sleep(pauseMs);
    const more = await step(i);
    i++;
    if (more === false) break;
  }
  return i;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Nearest-rank percentile (q in 0..1) of an ascending array. */
function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** n, p50, p95, p99, mean and max of a list of milliseconds. */
function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean: n ? sorted.reduce((sum, v) => sum + v, 0) / n : NaN,
    max: n ? sorted[n - 1] : NaN,
  };
}

/**
 * Pins every thread of process `pid` to `core` with taskset; returns a function that restores the
 * previous affinity (a no-op when taskset is missing or refuses).
 */
function pinProcess(pid, core) {
  try {
    const current = execFileSync('taskset', ['-p', String(pid)]).toString();
    const mask = /:\s*([0-9a-f]+)\s*$/i.exec(current.trim())?.[1];
    execFileSync('taskset', ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' });
    return () => {
      if (!mask) return;
      try {
        execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
      } catch {
        // the previous affinity could not be restored; the process keeps the pinned one
      }
    };
  } catch {
    return () => {};
  }
}

/**
 * CPU time of every live thread of `pid`, in nanoseconds (first field of /proc/PID/task/TID/schedstat):
 * far finer than the clock ticks of /proc/PID/stat, so short blocks of requests can be told apart.
 */
function cpuNs(pid) {
  let total = 0;
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return NaN;
  }
  for (const tid of tasks) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

module.exports = { SequentialProbe, sequence, sleep, percentile, summarize, pinProcess, cpuNs };
