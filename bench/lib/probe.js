'use strict';
// Sequential measurement helpers: one keep-alive undici connection, one request at a time, timed with
// process.hrtime (sub-millisecond), and steps run one after another within a count and a time bound.
const { Client } = require('undici');
const { sleep } = require('./processes');

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

module.exports = { SequentialProbe, sequence };
