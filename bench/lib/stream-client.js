'use strict';
// Load generator of bench/streams-10k.js, run as its own (pinned) child process with an IPC channel.
// Opens `streams` SSE streams to Cortex and `controlStreams` straight to the simulator, spread evenly
// over `rampMs`, over plain node:http (one socket per stream). Parsing is minimal: frames are only
// scanned for the simulator's send stamps (`<t=EPOCH_MS>`, profile field stamp_chunks), `[DONE]` and
// an in-band error event. Each stamp gives one chunk's delivery latency (arrival − send, both
// `performance.timeOrigin + performance.now()`, the same wall clock in both processes), filed by
// route (Cortex or direct) and by phase (ramp, hold, tail; the parent says when the hold starts
// and ends). Messages to the parent: {type:'progress'} every second, {type:'result'} at the end.
const http = require('node:http');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const config = JSON.parse(process.env.BENCH_STREAM_CLIENT);
const { cortexUrl, directUrl, apiKey, streams, controlStreams, rampMs, words, cortexModel, directModel } =
  config;

const now = () => performance.timeOrigin + performance.now();

/** Latency histogram: 10 µs buckets up to 2 s, the rest kept exactly. */
class Histogram {
  constructor() {
    this.buckets = new Uint32Array(200_000);
    this.over = [];
    this.count = 0;
    this.sum = 0;
    this.max = 0;
    this.min = Infinity;
  }
  add(ms) {
    const value = ms < 0 ? 0 : ms;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
    const bucket = Math.floor(value * 100);
    if (bucket < this.buckets.length) this.buckets[bucket]++;
    else this.over.push(value);
  }
  percentile(p) {
    if (this.count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return (i + 0.5) / 100;
    }
    const over = this.over.slice().sort((a, b) => a - b);
    return over[Math.min(over.length - 1, rank - seen - 1)];
  }
  summary() {
    return {
      count: this.count,
      mean: this.count ? this.sum / this.count : NaN,
      min: this.count ? this.min : NaN,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.count ? this.max : NaN,
    };
  }
}

const PHASES = ['ramp', 'hold', 'tail'];
const ROUTES = ['cortex', 'direct'];
const latency = Object.fromEntries(
  ROUTES.map((route) => [route, Object.fromEntries(PHASES.map((phase) => [phase, new Histogram()]))]),
);
let phase = 'ramp';
// Per progress period: the worst chunk latency by route, and the load generator's own event-loop
// delay (a stalled load generator shows up in both routes alike).
const worst = { cortex: 0, direct: 0 };
const ownLoop = monitorEventLoopDelay({ resolution: 10 });
ownLoop.enable();

const counts = { opened: 0, headers: 0, finished: 0, ok: 0, chunks: 0 };
const errors = {};
const errorSamples = [];
const headersMs = new Histogram();

function fail(stream, kind, detail) {
  if (stream.failed) return;
  stream.failed = true;
  errors[kind] = (errors[kind] ?? 0) + 1;
  if (errorSamples.length < 10) errorSamples.push({ route: stream.route, id: stream.id, kind, detail });
}

const agent = new http.Agent({ keepAlive: false, maxSockets: streams + controlStreams + 16 });

function openStream(id, route) {
  const direct = route === 'direct';
  const base = direct ? directUrl : cortexUrl;
  const body = JSON.stringify({
    model: direct ? directModel : cortexModel,
    messages: [{ role: 'user', content: `Benchmark stream ${id}: keep talking.` }],
    stream: true,
  });
  const stream = { id, route, chunks: 0, done: false, failed: false, rest: '', started: now() };
  counts.opened++;
  const req = http.request(`${base}/chat/completions`, {
    method: 'POST',
    agent,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${apiKey}`,
    },
  });
  req.on('error', (error) => {
    fail(stream, error.code ?? 'request_error', error.message);
    finish(stream);
  });
  req.on('response', (res) => {
    counts.headers++;
    headersMs.add(now() - stream.started);
    if (res.statusCode !== 200) {
      fail(stream, `status_${res.statusCode}`);
      res.resume();
    }
    res.setEncoding('latin1');
    res.on('data', (part) => onData(stream, part));
    res.on('aborted', () => fail(stream, 'aborted'));
    res.on('error', (error) => fail(stream, error.code ?? 'response_error', error.message));
    res.on('close', () => finish(stream));
  });
  req.end(body);
}

function onData(stream, part) {
  let text = stream.rest === '' ? part : stream.rest + part;
  const cut = text.lastIndexOf('\n\n');
  if (cut < 0) {
    stream.rest = text;
    return;
  }
  stream.rest = text.length === cut + 2 ? '' : text.slice(cut + 2);
  if (stream.rest !== '') text = text.slice(0, cut + 2);
  const arrived = now();
  const histogram = latency[stream.route][phase];
  let at = text.indexOf('<t=');
  while (at !== -1) {
    const end = text.indexOf('>', at);
    const delay = arrived - Number(text.slice(at + 3, end));
    histogram.add(delay);
    if (delay > worst[stream.route]) worst[stream.route] = delay;
    stream.chunks++;
    counts.chunks++;
    at = text.indexOf('<t=', end);
  }
  if (text.includes('data: {"error"'))
    fail(stream, 'sse_error', text.slice(text.indexOf('data: {"error"'), 300));
  if (text.includes('data: [DONE]')) stream.done = true;
}

function finish(stream) {
  if (stream.closed) return;
  stream.closed = true;
  counts.finished++;
  if (!stream.done) fail(stream, 'no_done', `ended after ${stream.chunks} chunks`);
  else if (stream.chunks !== words) fail(stream, 'chunk_count', `${stream.chunks} of ${words} chunks`);
  if (!stream.failed) counts.ok++;
  if (counts.finished === streams + controlStreams) report();
}

function progress() {
  process.send?.({
    type: 'progress',
    phase,
    ...counts,
    errors: Object.values(errors).reduce((a, b) => a + b, 0),
    worstCortexMs: worst.cortex,
    worstDirectMs: worst.direct,
    ownLoopMaxMs: Math.max(0, ownLoop.max / 1e6 - 10),
  });
  worst.cortex = 0;
  worst.direct = 0;
  ownLoop.reset();
}

function report() {
  clearInterval(ticker);
  const summary = {};
  for (const route of ROUTES) {
    summary[route] = {};
    for (const name of PHASES) summary[route][name] = latency[route][name].summary();
  }
  process.send?.(
    { type: 'result', counts, errors, errorSamples, latency: summary, headersMs: headersMs.summary() },
    () => process.exit(0),
  );
}

process.on('message', (message) => {
  if (message?.type === 'phase' && PHASES.includes(message.phase)) phase = message.phase;
});

const ticker = setInterval(progress, 1000);

// Control streams are interleaved evenly with the Cortex streams over the same ramp.
const total = streams + controlStreams;
const every = controlStreams > 0 ? total / controlStreams : Infinity;
let cortexId = 0;
let directId = 0;
let index = 0;
const startedAt = now();
function rampStep() {
  const due = Math.min(total, Math.floor(((now() - startedAt) / rampMs) * total) + 1);
  while (index < due) {
    const isDirect =
      directId < controlStreams && (cortexId >= streams || Math.floor((index + 1) / every) > directId);
    if (isDirect) openStream(directId++, 'direct');
    else openStream(cortexId++, 'cortex');
    index++;
  }
  if (index < total) setTimeout(rampStep, 5);
  else process.send?.({ type: 'ramped', atMs: now() - startedAt });
}
rampStep();
