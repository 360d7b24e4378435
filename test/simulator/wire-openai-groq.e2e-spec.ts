import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import {
  fixture,
  fixtureHeaderNames,
  frameData,
  prettyStyle,
  rawRequest,
  shapeOf,
  sseFrames,
} from './sim-test.helpers';

/** Byte-level comparison of the openai and groq flavours with the recorded fixtures. */
describe('wire format against the fixtures: openai and groq', () => {
  let sim: SimulatorHandle;
  const post = (name: string, body: unknown, key = 'sk-test-simulator-0001') =>
    rawRequest(`${sim.baseUrl(name)}/chat/completions`, {
      body,
      headers: { authorization: `Bearer ${key}` },
    });

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  describe('openai', () => {
    const request = JSON.parse(fixture('openai', 'request.json')) as Record<string, unknown>;

    it('frames a stream like stream.txt: compact data lines, blank-line separators, [DONE] last', async () => {
      const response = await post('openai', request);
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const expected = sseFrames(fixture('openai', 'stream.txt'));
      const frames = sseFrames(response.body);
      expect(response.body.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
      expect(frames.at(-1)).toBe('data: [DONE]');
      expect(frames.every((frame) => frame.startsWith('data: ') && !frame.includes('\n'))).toBe(true);
      for (const frame of frames.slice(0, -1))
        expect(frame.slice(6)).toBe(JSON.stringify(JSON.parse(frame.slice(6))));
      // role chunk, one per word, finish chunk, usage chunk, [DONE]
      expect(frames).toHaveLength(1 + 12 + 1 + 1 + 1);
      expect(shapeOf(frameData(frames[0]))).toEqual(shapeOf(frameData(expected[0])));
      expect(shapeOf(frameData(frames[1]))).toEqual(shapeOf(frameData(expected[1])));
      expect(shapeOf(frameData(frames.at(-3)!))).toEqual(shapeOf(frameData(expected.at(-3)!)));
      expect(shapeOf(frameData(frames.at(-2)!))).toEqual(shapeOf(frameData(expected.at(-2)!)));
    });

    it('sends no usage field at all without include_usage', async () => {
      const response = await post('openai', { ...request, stream_options: undefined });
      const frames = sseFrames(response.body).slice(0, -1);
      expect(frames).toHaveLength(14);
      expect(frames.every((frame) => !('usage' in (frameData(frame) as object)))).toBe(true);
    });

    it('renders a completion like response.json: pretty, trailing newline, same key order', async () => {
      const response = await post('openai', { ...request, stream: false, stream_options: undefined });
      expect(response.headers['content-type']).toBe('application/json');
      expect(prettyStyle(response.body)).toBe(prettyStyle(fixture('openai', 'response.json')));
      expect(shapeOf(JSON.parse(response.body))).toEqual(
        shapeOf(JSON.parse(fixture('openai', 'response.json'))),
      );
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
    });

    it('sends error bodies byte for byte as the fixtures: indent 2, no trailing newline', async () => {
      await sim.setFaults('openai', { quota: { requests_per_key: 0 } });
      const quota = await post('openai', request, 'sk-quota');
      expect(quota.status).toBe(429);
      expect(quota.body).toBe(fixture('openai', 'error-429-insufficient-quota.json'));
      await sim.setFaults('openai', {
        invalid_keys: ['sk-test-0123456789abcdefghijwxyz'],
        rules: [{ status: 500, keys: ['sk-500'] }],
      });
      const server = await post('openai', request, 'sk-500');
      expect(server.body).toBe(fixture('openai', 'error-500.json'));
      const auth = await post('openai', request, 'sk-test-0123456789abcdefghijwxyz');
      expect(auth.status).toBe(401);
      expect(prettyStyle(auth.body)).toBe('pretty');
      expect(shapeOf(JSON.parse(auth.body))).toEqual(
        shapeOf(JSON.parse(fixture('openai', 'error-401.json'))),
      );
      expect(auth.body).toContain('sk-test-********************wxyz');
    });

    it('sends the 429 headers of headers-429.txt', async () => {
      await sim.setFaults('openai', { rules: [{ status: 429, hint_ms: 135 }] });
      const response = await post('openai', request);
      expect(Object.keys(response.headers)).toEqual(expect.arrayContaining(fixtureHeaderNames('openai')));
      expect(response.headers['x-ratelimit-reset-tokens']).toBe('135ms');
      expect(shapeOf(JSON.parse(response.body))).toEqual(
        shapeOf(JSON.parse(fixture('openai', 'error-429.json'))),
      );
      expect(JSON.parse(response.body)).toMatchObject({
        error: { message: expect.stringContaining('Please try again in 135ms.') },
      });
    });
  });

  describe('groq', () => {
    const request = JSON.parse(fixture('groq', 'request.json')) as Record<string, unknown>;

    it('frames a stream like stream.txt: x_groq id first, x_groq usage last, [DONE]', async () => {
      const response = await post('groq', request);
      const expected = sseFrames(fixture('groq', 'stream.txt'));
      const frames = sseFrames(response.body);
      expect(frames).toHaveLength(1 + 12 + 1 + 1);
      expect(frames.at(-1)).toBe('data: [DONE]');
      expect(shapeOf(frameData(frames[0]))).toEqual(shapeOf(frameData(expected[0])));
      expect(shapeOf(frameData(frames[1]))).toEqual(shapeOf(frameData(expected[1])));
      expect(shapeOf(frameData(frames.at(-2)!))).toEqual(shapeOf(frameData(expected.at(-2)!)));
    });

    it('renders a completion with the key order of response.json', async () => {
      const response = await post('groq', { ...request, stream: false });
      expect(prettyStyle(response.body)).toBe(prettyStyle(fixture('groq', 'response.json')));
      expect(shapeOf(JSON.parse(response.body))).toEqual(
        shapeOf(JSON.parse(fixture('groq', 'response.json'))),
      );
    });

    it('sends compact error bodies with a trailing newline, byte for byte', async () => {
      await sim.setFaults('groq', {
        invalid_keys: ['gsk_bad'],
        rules: [
          { status: 498, models: ['flex'] },
          { status: 503, models: ['down'] },
          { status: 429, models: ['llama-3.3-70b-versatile'], hint_ms: 3300 },
        ],
      });
      const auth = await post('groq', request, 'gsk_bad');
      expect(auth.body).toBe(fixture('groq', 'error-401.json'));
      expect(auth.headers['content-length']).toBe('96');
      expect((await post('groq', { ...request, model: 'flex' })).body).toBe(
        fixture('groq', 'error-498.json'),
      );
      expect((await post('groq', { ...request, model: 'down' })).body).toBe(
        fixture('groq', 'error-503.json'),
      );
      const limited = await post('groq', request);
      expect(prettyStyle(limited.body)).toBe('compact+newline');
      expect(shapeOf(JSON.parse(limited.body))).toEqual(
        shapeOf(JSON.parse(fixture('groq', 'error-429.json'))),
      );
      expect(Object.keys(limited.headers)).toEqual(expect.arrayContaining(fixtureHeaderNames('groq')));
      expect(limited.headers['retry-after']).toBe('3.3');
      expect(limited.headers['x-ratelimit-reset-tokens']).toBe('3.3s');
    });
  });
});
