import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { MESSAGES, rawRequest, sseFrames, waitFor } from './sim-test.helpers';

interface H2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Set when the stream did not end cleanly, e.g. ERR_HTTP2_STREAM_ERROR after an RST_STREAM. */
  error?: string;
  /** The RST_STREAM code the stream closed with (0 = NO_ERROR). */
  rstCode: number;
}

/** One request over an HTTP/2 session; resolves with everything received, partial bodies included. */
function h2Request(
  session: ClientHttp2Session,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; onData?: (text: string) => void } = {},
): Promise<H2Response> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve) => {
    const stream = session.request({
      ':method': body === undefined ? 'GET' : 'POST',
      ':path': path,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    });
    const response: H2Response = { status: 0, headers: {}, body: '', rstCode: 0 };
    stream.on('response', (headers) => {
      response.status = Number(headers[':status']);
      response.headers = headers;
    });
    stream.setEncoding('utf8');
    stream.on('data', (part: string) => {
      response.body += part;
      options.onData?.(part);
    });
    stream.on('error', (error: NodeJS.ErrnoException) => (response.error = error.code ?? error.message));
    stream.on('close', () => resolve({ ...response, rstCode: stream.rstCode ?? 0 }));
    stream.end(body);
  });
}

/** Ids and creation times differ per request; everything else of a simulated answer is deterministic. */
function normalized(text: string): string {
  return text.replace(/"id":\s*"[^"]*"/g, '"id":"<id>"').replace(/"created":\s*\d+/g, '"created":0');
}

/** Cleartext HTTP/2 with prior knowledge, on the same port as HTTP/1.1. */
describe('simulator over h2c', () => {
  let sim: SimulatorHandle;
  let session: ClientHttp2Session;
  const chat = (stream: boolean, extra: Record<string, unknown> = {}) => ({
    model: 'gpt-4o-mini',
    messages: MESSAGES,
    stream,
    ...extra,
  });
  const auth = { authorization: 'Bearer sk-h2' };
  const chatPath = () => new URL(`${sim.baseUrl('openai')}/chat/completions`).pathname;
  const contentFrames = (text: string) =>
    sseFrames(text).filter((f) => f.includes('"content":"') && !f.includes('"content":""'));

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(async () => {
    await sim.reset();
    session = connect(sim.url);
  });
  afterEach(() => session.close());
  afterAll(() => sim.close());

  it('answers a non-stream chat with the same body bytes as over HTTP/1.1', async () => {
    const h1 = await rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: chat(false),
      headers: auth,
    });
    const h2 = await h2Request(session, chatPath(), { body: chat(false), headers: auth });
    expect(h2.status).toBe(200);
    expect(h2.error).toBeUndefined();
    expect(h2.headers['content-type']).toBe(h1.headers['content-type']);
    expect(h2.headers['content-length']).toBe(h1.headers['content-length']);
    expect(normalized(h2.body)).toBe(normalized(h1.body));
    expect(JSON.parse(h2.body).choices[0].message.content).toMatch(/^[A-Z][a-z]+( [a-z]+){11}\.$/);
  });

  it('streams the same SSE frames as over HTTP/1.1, [DONE] included', async () => {
    const extra = { stream_options: { include_usage: true } };
    const h1 = await rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: chat(true, extra),
      headers: auth,
    });
    const h2 = await h2Request(session, chatPath(), { body: chat(true, extra), headers: auth });
    expect(h2.status).toBe(200);
    expect(h2.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(h2.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    expect(normalized(h2.body)).toBe(normalized(h1.body));
    expect(contentFrames(h2.body)).toHaveLength(12);
    expect(h2.body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('streams the Anthropic event frames byte for byte like HTTP/1.1', async () => {
    const body = { model: 'claude-3-5-haiku-latest', max_tokens: 100, messages: MESSAGES, stream: true };
    const headers = { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' };
    const h1 = await rawRequest(`${sim.baseUrl('anthropic')}/v1/messages`, { body, headers });
    const h2 = await h2Request(session, '/anthropic/v1/messages', { body, headers });
    expect(h2.status).toBe(200);
    expect(normalized(h2.body)).toBe(normalized(h1.body));
    expect(h2.body).toContain('event: message_stop');
  });

  it('serves concurrent streams on one connection and records the protocol and the connection', async () => {
    await sim.setFaults('openai', { response_words: 20, chunk_delay_ms: 5 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => h2Request(session, chatPath(), { body: chat(true), headers: auth })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    for (const answer of answers) expect(contentFrames(answer.body)).toHaveLength(20);
    await rawRequest(`${sim.baseUrl('openai')}/chat/completions`, { body: chat(false), headers: auth });

    const records = sim.requests({ provider: 'openai' });
    const h2Records = records.filter((r) => r.httpVersion === '2.0');
    expect(h2Records).toHaveLength(20);
    expect(new Set(h2Records.map((r) => r.connection)).size).toBe(1);
    expect(h2Records.every((r) => r.completed && !r.aborted && r.chunks === 20)).toBe(true);
    const h1Record = records.find((r) => r.httpVersion === '1.1')!;
    expect(h1Record.connection).not.toBe(h2Records[0].connection);
    // Records look alike on both protocols: no pseudo-headers, the authority as host.
    expect(Object.keys(h2Records[0].headers).some((name) => name.startsWith(':'))).toBe(false);
    expect(h2Records[0].headers.host).toBe(new URL(sim.url).host);
    expect(h2Records[0].key).toBe('sk-h2');
  });

  it('disconnect resets only that stream (RST_STREAM); the other streams on the connection finish', async () => {
    await sim.setFaults('openai', {
      response_words: 10,
      chunk_delay_ms: 10,
      rules: [{ action: 'disconnect', after_chunks: 3, models: ['broken'] }],
    });
    const [broken, healthy] = await Promise.all([
      h2Request(session, chatPath(), { body: chat(true, { model: 'broken' }), headers: auth }),
      h2Request(session, chatPath(), { body: chat(true), headers: auth }),
    ]);
    expect(broken.status).toBe(200);
    expect(broken.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    expect(broken.error).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(contentFrames(broken.body)).toHaveLength(3);
    expect(broken.body).not.toContain('[DONE]');
    expect(contentFrames(healthy.body)).toHaveLength(10);
    expect(healthy.body).toContain('[DONE]');
    expect(session.destroyed).toBe(false);
    await waitFor(() => sim.requests().every((r) => r.endedAt !== undefined));
    const brokenRecord = sim.requests().find((r) => r.model === 'broken')!;
    expect(brokenRecord).toMatchObject({ status: 200, chunks: 3, completed: false, aborted: false });
  });

  it('reset_before_headers resets the stream before any header; the connection stays usable', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'reset_before_headers', first_n: 1 }] });
    const reset = await h2Request(session, chatPath(), { body: chat(true), headers: auth });
    expect(reset.status).toBe(0);
    expect(reset.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    const next = await h2Request(session, chatPath(), { body: chat(false), headers: auth });
    expect(next.status).toBe(200);
    const records = sim.requests();
    expect(records[0]).toMatchObject({ completed: false, aborted: false });
    expect(records[0].status).toBeUndefined();
    expect(records[1].connection).toBe(records[0].connection);
  });

  it('content_length_mismatch: the promised bytes never come, the stream is reset', async () => {
    await sim.setFaults('openai', { rules: [{ action: 'malformed', kind: 'content_length_mismatch' }] });
    const answer = await h2Request(session, chatPath(), { body: chat(false), headers: auth });
    expect(answer.status).toBe(200);
    expect(answer.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body) + 128);
  });

  it('records aborted when the client cancels a stream, and stops writing to it', async () => {
    await sim.setFaults('openai', { response_words: 200, chunk_delay_ms: 20 });
    let frames = 0;
    const stream = session.request({
      ':method': 'POST',
      ':path': chatPath(),
      'content-type': 'application/json',
      ...auth,
    });
    await new Promise<void>((resolve) => {
      stream.on('data', (part: Buffer) => {
        frames += part.toString().split('\n\n').length - 1;
        if (frames >= 3) {
          stream.close(constants.NGHTTP2_CANCEL);
          resolve();
        }
      });
      stream.end(JSON.stringify(chat(true)));
    });
    await waitFor(() => sim.requests()[0].aborted);
    const record = sim.requests()[0];
    expect(record.completed).toBe(false);
    expect(record.chunks).toBeLessThan(10);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.requests()[0].chunks).toBe(record.chunks);
    // The session outlives the cancelled stream.
    expect((await h2Request(session, chatPath(), { body: chat(false), headers: auth })).status).toBe(200);
  });

  it('respects HTTP/2 flow control: a paused reader holds the stream, a resumed one gets all of it', async () => {
    await sim.setFaults('cohere', { response_words: 100_000 });
    const stream = session.request({
      ':method': 'POST',
      ':path': '/cohere/v2/chat',
      'content-type': 'application/json',
      ...auth,
    });
    let bytes = 0;
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.once('data', () => stream.pause());
    stream.on('data', (part: Buffer) => (bytes += part.length));
    stream.end(JSON.stringify({ model: 'command', messages: MESSAGES, stream: true }));
    await waitFor(() => stream.isPaused());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = sim.requests()[0].chunks;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sim.requests()[0].chunks).toBe(held);
    expect(held).toBeLessThan(100_000);
    stream.resume();
    await ended;
    expect(bytes).toBeGreaterThan(100_000 * 80);
    await waitFor(() => sim.requests()[0].completed);
    expect(sim.requests()[0]).toMatchObject({ chunks: 100_000, completed: true, aborted: false });
  });

  it('close() ends hanging HTTP/2 requests and their sessions', async () => {
    const other = await startSimulator({ port: 0, faults: { openai: { rules: [{ action: 'hang' }] } } });
    const otherSession = connect(other.url);
    const sessionClosed = new Promise<void>((resolve) => otherSession.once('close', resolve));
    otherSession.on('error', () => {});
    const hanging = h2Request(otherSession, '/openai/v1/chat/completions', {
      body: chat(false),
      headers: auth,
    });
    await waitFor(() => other.requests().length === 1);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    const answer = await hanging;
    expect(answer.status).toBe(0);
    await sessionClosed;
    expect(other.requests()[0]).toMatchObject({ completed: false, aborted: true });
  });
});
