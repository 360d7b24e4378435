import { request } from 'node:http';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { MESSAGES, rawRequest, sseFrames, waitFor } from './sim-test.helpers';

/** Transport faults and timing: hang, resets, disconnects, stalls, delays, client aborts, backpressure. */
describe('simulator transport faults and timing', () => {
  let sim: SimulatorHandle;
  const body = (stream: boolean) => ({ model: 'gpt-4o-mini', messages: MESSAGES, stream });
  const openai = (stream: boolean, timeoutMs?: number) =>
    rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: body(stream),
      headers: { authorization: 'Bearer sk-a' },
      timeoutMs,
    });
  const contentFrames = (text: string) =>
    sseFrames(text).filter((f) => f.includes('"content":"') && !f.includes('"content":""'));

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  it('hang: never sends headers; the record shows the client gave up', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'hang' }] });
    const started = Date.now();
    const response = await openai(false, 300);
    expect(response.error).toBe('timeout');
    expect(response.status).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await waitFor(() => sim.requests({ includeProbes: true })[0].aborted);
    const [record] = sim.requests({ includeProbes: true });
    expect(record.status).toBeUndefined();
    expect(record).toMatchObject({ completed: false, aborted: true, fault: 'rule:0:hang' });
    // Measured from the client's start: the record's own `time` is taken once the body was read.
    expect(record.abortedAt! - started).toBeGreaterThanOrEqual(290);
    expect(record.time).toBeGreaterThanOrEqual(started);
  });

  it('reset_before_headers: the connection is reset before any byte', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'reset_before_headers' }] });
    const response = await openai(true);
    expect(response.status).toBe(0);
    expect(response.error).toBe('ECONNRESET');
    await waitFor(() => sim.requests({ includeProbes: true })[0].endedAt !== undefined);
    expect(sim.requests({ includeProbes: true })[0].status).toBeUndefined();
    expect(sim.requests({ includeProbes: true })[0]).toMatchObject({ completed: false, aborted: false });
  });

  it('disconnect after N chunks: N content frames arrive, then a reset', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'disconnect', after_chunks: 5 }] });
    const response = await openai(true);
    expect(response.status).toBe(200);
    expect(['ECONNRESET', 'aborted']).toContain(response.error);
    expect(contentFrames(response.body)).toHaveLength(5);
    expect(response.body).not.toContain('[DONE]');
    await waitFor(() => sim.requests({ includeProbes: true })[0].endedAt !== undefined);
    expect(sim.requests({ includeProbes: true })[0]).toMatchObject({
      status: 200,
      chunks: 5,
      completed: false,
      aborted: false,
    });
  });

  it('disconnect before the first chunk: headers only, then a reset', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'disconnect' }] });
    const response = await openai(true);
    expect(response.status).toBe(200);
    expect(['ECONNRESET', 'aborted']).toContain(response.error);
    expect(response.body).toBe('');
  });

  it('disconnect on a non-stream request: half a body, then a reset', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'disconnect' }] });
    const response = await openai(false);
    expect(response.status).toBe(200);
    expect(['ECONNRESET', 'aborted']).toContain(response.error);
    expect(Number(response.headers['content-length'])).toBeGreaterThan(Buffer.byteLength(response.body));
  });

  it('stall after N chunks: the socket stays open and silent until the client leaves', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'stall', after_chunks: 2 }] });
    const response = await openai(true, 300);
    expect(response.error).toBe('timeout');
    expect(contentFrames(response.body)).toHaveLength(2);
    await waitFor(() => sim.requests({ includeProbes: true })[0].aborted);
    expect(sim.requests({ includeProbes: true })[0]).toMatchObject({
      status: 200,
      chunks: 2,
      completed: false,
      aborted: true,
    });
  });

  it('stream_error: the in-band error event after N chunks, no [DONE]', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'stream_error', after_chunks: 3, status: 503 }] });
    const response = await openai(true);
    expect(response.error).toBeUndefined();
    const frames = sseFrames(response.body);
    expect(frames.at(-1)).toBe(
      'data: {"error":{"message":"The server is overloaded or not ready yet.","type":"server_error","param":null,"code":null}}',
    );
    expect(contentFrames(response.body)).toHaveLength(3);
    expect(response.body).not.toContain('[DONE]');
  });

  it('latency delays the headers; first_token_delay delays the body after the headers', async () => {
    await sim.setFaults('openai', { latency_ms: 120 });
    let started = Date.now();
    await openai(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);

    await sim.setFaults('openai', { first_token_delay_ms: 200 });
    started = Date.now();
    const timings = await new Promise<{ headers: number; end: number }>((resolve, reject) => {
      const req = request(`${sim.baseUrl('openai')}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        const headers = Date.now() - started;
        res.resume();
        res.on('end', () => resolve({ headers, end: Date.now() - started }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body(true)));
    });
    expect(timings.headers).toBeLessThan(150);
    expect(timings.end).toBeGreaterThanOrEqual(195);
  });

  it('chunk_delay spaces the content chunks; a rule can override the timing', async () => {
    await sim.setFaults('openai', {
      response_words: 5,
      chunk_delay_ms: 40,
      rules: [{ action: 'delay', models: ['fast'], chunk_delay_ms: 0 }],
    });
    let started = Date.now();
    const slow = await openai(true);
    expect(contentFrames(slow.body)).toHaveLength(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(155);
    started = Date.now();
    await rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: { ...body(true), model: 'fast' },
      headers: { authorization: 'Bearer k' },
    });
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('stamp_chunks: each content chunk carries the wall-clock instant it was written', async () => {
    await sim.setFaults('openai', { response_words: 4, chunk_delay_ms: 50, stamp_chunks: true });
    const started = performance.timeOrigin + performance.now();
    const response = await openai(true);
    const stamps = contentFrames(response.body).map((frame) => {
      const match = /<t=(\d+\.\d{3})>"/.exec(frame);
      if (!match) throw new Error(`no stamp in ${frame}`);
      return Number(match[1]);
    });
    expect(stamps).toHaveLength(4);
    expect(stamps[0]).toBeGreaterThanOrEqual(started);
    for (let i = 1; i < 4; i++) expect(stamps[i] - stamps[i - 1]).toBeGreaterThanOrEqual(45);
    // Only the stamps differ from the plain answer.
    await sim.patchFaults('openai', { stamp_chunks: null });
    const plain = await openai(true);
    expect(contentFrames(response.body).map((f) => /"content":"([^"<]*)/.exec(f)![1])).toEqual(
      contentFrames(plain.body).map((f) => /"content":"([^"]*)"/.exec(f)![1]),
    );
  });

  it('records aborted when the client leaves mid-stream, and stops writing', async () => {
    await sim.setFaults('openai', { response_words: 200, chunk_delay_ms: 20 });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${sim.baseUrl('openai')}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        let frames = 0;
        res.on('data', (part: Buffer) => {
          frames += part.toString().split('\n\n').length - 1;
          if (frames >= 3) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNRESET' ? undefined : reject(error),
      );
      req.end(JSON.stringify(body(true)));
    });
    await waitFor(() => sim.requests({ includeProbes: true })[0].aborted);
    const record = sim.requests({ includeProbes: true })[0];
    expect(record.completed).toBe(false);
    expect(record.abortedAt).toBeGreaterThanOrEqual(record.time);
    const chunks = record.chunks;
    expect(chunks).toBeLessThan(10);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.requests({ includeProbes: true })[0].chunks).toBe(chunks);
  });

  it('respects backpressure: a paused reader holds the stream, a resumed one gets all of it', async () => {
    await sim.setFaults('cohere', { response_words: 100_000 });
    let paused: (() => void) | undefined;
    const done = new Promise<number>((resolve, reject) => {
      const req = request(`${sim.baseUrl('cohere')}/v2/chat`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        let bytes = 0;
        res.once('data', () => {
          res.pause();
          paused = () => res.resume();
        });
        res.on('data', (part: Buffer) => (bytes += part.length));
        res.on('end', () => resolve(bytes));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'command', messages: MESSAGES, stream: true }));
    });
    await waitFor(() => paused !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = sim.requests({ includeProbes: true })[0].chunks;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sim.requests({ includeProbes: true })[0].chunks).toBe(held);
    expect(held).toBeLessThan(100_000);
    paused!();
    expect(await done).toBeGreaterThan(100_000 * 80);
    expect(sim.requests({ includeProbes: true })[0]).toMatchObject({ chunks: 100_000, completed: true });
  });

  it('close() ends hanging requests and stops listening', async () => {
    const other = await startSimulator({ port: 0, faults: { openai: { rules: [{ action: 'hang' }] } } });
    const pending = rawRequest(`${other.baseUrl('openai')}/models`, {
      headers: { authorization: 'Bearer k' },
    });
    const hanging = rawRequest(`${other.baseUrl('openai')}/chat/completions`, {
      body: body(false),
      headers: { authorization: 'Bearer k' },
    });
    expect((await pending).status).toBe(200);
    await waitFor(() => other.requests({ includeProbes: true }).length === 2);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await hanging).error).toBeDefined();
    expect((await rawRequest(`${other.url}/_sim/health`)).error).toBe('ECONNREFUSED');
  });
});
