import { startSimulator, type MalformedKind, type SimulatorHandle } from '../../src/simulator';
import { frameData, MESSAGES, rawRequest, sseFrames } from './sim-test.helpers';

/** Broken answers: each must be recognizably broken in the way a real upstream or proxy breaks. */
describe('simulator malformed answers', () => {
  let sim: SimulatorHandle;
  const openai = (stream: boolean) =>
    rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: { model: 'gpt-4o-mini', messages: MESSAGES, stream },
      headers: { authorization: 'Bearer sk-a' },
    });
  const malformed = (kind: MalformedKind, extra: Record<string, unknown> = {}, name = 'openai') =>
    sim.setFaults(name, { rules: [{ action: 'malformed', kind, ...extra }] });
  const parses = (text: string) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  it('truncated_json: 200 with half a JSON body and a matching Content-Length', async () => {
    await malformed('truncated_json');
    const response = await openai(false);
    expect(response.status).toBe(200);
    expect(response.error).toBeUndefined();
    expect(response.headers['content-type']).toBe('application/json');
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
    expect(response.body.startsWith('{\n  "id": "chatcmpl-')).toBe(true);
    expect(parses(response.body)).toBe(false);
  });

  it('html: an HTML error page, with 200 or the status the rule gives', async () => {
    await malformed('html');
    const ok = await openai(false);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(ok.body).toContain('<title>502 Bad Gateway</title>');
    await malformed('html', { status: 502 });
    const gateway = await openai(true);
    expect(gateway.status).toBe(502);
    expect(gateway.body.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('no_choices: well-formed JSON without the content field, in each protocol', async () => {
    await malformed('no_choices');
    const body = JSON.parse((await openai(false)).body) as Record<string, unknown>;
    expect(body).toMatchObject({ object: 'chat.completion' });
    expect(body).not.toHaveProperty('choices');
    const frames = sseFrames((await openai(true)).body);
    expect(frames.at(-1)).toBe('data: [DONE]');
    expect(frames.slice(1, 13).map((f) => 'choices' in (frameData(f) as object))).toEqual(
      Array<boolean>(12).fill(false),
    );

    await malformed('no_choices', {}, 'gemini');
    const gemini = await rawRequest(`${sim.baseUrl('gemini')}/models/gemini-2.0-flash:generateContent`, {
      body: { contents: [{ parts: [{ text: 'hi' }] }] },
      headers: { 'x-goog-api-key': 'k' },
    });
    expect(JSON.parse(gemini.body)).not.toHaveProperty('candidates');
  });

  it('bad_sse_line: a non-JSON data frame first (or after N chunks), then the stream as normal', async () => {
    await malformed('bad_sse_line');
    const first = sseFrames((await openai(true)).body);
    expect(first[0]).toMatch(/^data: \{"id":"chatcmpl-/);
    expect(parses(first[0].slice(6))).toBe(false);
    expect(first.slice(1).every((f) => f === 'data: [DONE]' || parses(f.slice(6)))).toBe(true);
    expect(first.at(-1)).toBe('data: [DONE]');

    await malformed('bad_sse_line', { after_chunks: 3 });
    const later = sseFrames((await openai(true)).body);
    expect(later.map((f) => f === 'data: [DONE]' || parses(f.slice(6))).indexOf(false)).toBe(4);

    await malformed('bad_sse_line', {}, 'ollama');
    const ollama = await rawRequest(`${sim.baseUrl('ollama')}/api/chat`, {
      body: { model: 'llama3.2', messages: MESSAGES },
    });
    const lines = ollama.body.trim().split('\n');
    expect(parses(lines[0])).toBe(false);
    expect(lines).toHaveLength(14);
  });

  it('content_length_mismatch: declares more bytes than it sends, then closes', async () => {
    await malformed('content_length_mismatch');
    const response = await openai(false);
    expect(response.status).toBe(200);
    expect(response.error).toBeDefined();
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body) + 128);
    expect(parses(response.body)).toBe(true);
    const stream = await openai(true);
    expect(stream.error).toBeDefined();
    expect(stream.body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('truncated_final_frame: the last frame ends mid-JSON and the stream ends cleanly', async () => {
    await malformed('truncated_final_frame');
    const response = await openai(true);
    expect(response.error).toBeUndefined();
    expect(response.body).not.toContain('[DONE]');
    const frames = sseFrames(response.body);
    expect(frames.slice(0, -1).every((f) => parses(f.slice(6)))).toBe(true);
    expect(frames.at(-1)).toMatch(/^data: \{"id":"chatcmpl-/);
    expect(parses(frames.at(-1)!.slice(6))).toBe(false);
    expect(response.body.endsWith('\n\n')).toBe(false);

    await malformed('truncated_final_frame', {}, 'gemini');
    const gemini = await rawRequest(
      `${sim.baseUrl('gemini')}/models/gemini-2.0-flash:streamGenerateContent?alt=sse`,
      {
        body: { contents: [{ parts: [{ text: 'hi' }] }] },
        headers: { 'x-goog-api-key': 'k' },
      },
    );
    const geminiFrames = sseFrames(gemini.body, '\r\n\r\n');
    expect(geminiFrames).toHaveLength(12);
    expect(parses(geminiFrames[10].slice(6))).toBe(true);
    expect(parses(geminiFrames[11].slice(6))).toBe(false);
  });

  it('records the malformed answers as sent with status 200', async () => {
    await malformed('truncated_json');
    await openai(false);
    expect(sim.requests()[0]).toMatchObject({ status: 200, completed: true, fault: 'rule:0:malformed' });
  });
});
