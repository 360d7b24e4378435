import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { googleJson } from '../../src/simulator/flavours/google-json.util';
import {
  fixture,
  fixtureHeaderNames,
  frameData,
  frameEvent,
  prettyStyle,
  rawRequest,
  shapeOf,
  sseFrames,
} from './sim-test.helpers';

/** Byte-level comparison of the gemini and cohere flavours with the recorded fixtures. */
describe('wire format against the fixtures: gemini and cohere', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  describe('gemini', () => {
    const request = JSON.parse(fixture('gemini', 'request.json')) as Record<string, unknown>;
    const call = (method: string, key = 'AIza-test', model = 'gemini-2.0-flash', body: unknown = request) =>
      rawRequest(`${sim.baseUrl('gemini')}/models/${model}:${method}`, {
        body,
        headers: { 'x-goog-api-key': key },
      });

    it('frames a stream with CRLF, no sentinel and Google\'s `": "` serializer style', async () => {
      const response = await call('streamGenerateContent?alt=sse');
      expect(response.headers['content-type']).toBe('text/event-stream');
      const expected = sseFrames(fixture('gemini', 'stream.txt'), '\r\n\r\n');
      const frames = sseFrames(response.body, '\r\n\r\n');
      expect(response.body.endsWith('}\r\n\r\n')).toBe(true);
      expect(frames).toHaveLength(12);
      // The serializer check holds for the fixture too, so it is Google's style and not ours.
      for (const frame of [...frames, ...expected])
        expect(frame.slice(6)).toBe(googleJson(JSON.parse(frame.slice(6))));
      expect(shapeOf(frameData(frames[0]))).toEqual(shapeOf(frameData(expected[0])));
      expect(shapeOf(frameData(frames.at(-1)!))).toEqual(shapeOf(frameData(expected.at(-1)!)));
    });

    it('renders generateContent like response.json: pretty with a trailing newline', async () => {
      const response = await call('generateContent');
      expect(response.headers['content-type']).toBe('application/json; charset=UTF-8');
      expect(prettyStyle(response.body)).toBe('pretty+newline');
      expect(shapeOf(JSON.parse(response.body))).toEqual(
        shapeOf(JSON.parse(fixture('gemini', 'response.json'))),
      );
    });

    it('sends the error fixtures byte for byte', async () => {
      await sim.setFaults('gemini', {
        invalid_keys: ['AIza-revoked'],
        rules: [
          { status: 429, models: ['gemini-2.0-flash'], hint_ms: 41_000 },
          { status: 500, models: ['broken'] },
          { status: 503, models: ['busy'] },
        ],
      });
      expect((await call('generateContent', 'AIza-revoked')).body).toBe(
        fixture('gemini', 'error-400-invalid-key.json'),
      );
      const limited = await call('generateContent');
      expect(limited.body).toBe(fixture('gemini', 'error-429.json'));
      expect(Object.keys(limited.headers)).toEqual(expect.arrayContaining(fixtureHeaderNames('gemini')));
      expect(limited.headers['content-type']).toBe('application/json; charset=UTF-8');
      expect((await call('generateContent', 'AIza-test', 'broken')).body).toBe(
        fixture('gemini', 'error-500.json'),
      );
      expect((await call('generateContent', 'AIza-test', 'busy')).body).toBe(
        fixture('gemini', 'error-503.json'),
      );
      const missing = await rawRequest(`${sim.baseUrl('gemini')}/models/gemini-2.0-flash:generateContent`, {
        body: request,
      });
      expect(missing.status).toBe(403);
      expect(missing.body).toBe(fixture('gemini', 'error-403.json'));
    });

    it('marks a daily quota with a PerDay quota id and takes the key from ?key= too', async () => {
      await sim.setFaults('gemini', { quota: { requests_per_key: 1 } });
      const url = `${sim.baseUrl('gemini')}/models/gemini-2.0-flash:generateContent?key=AIza-query`;
      expect((await rawRequest(url, { body: request })).status).toBe(200);
      const exhausted = await rawRequest(url, { body: request });
      expect(exhausted.status).toBe(429);
      expect(exhausted.body).toContain('"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"');
      expect(exhausted.body).not.toContain('RetryInfo');
      expect(sim.requests().map((r) => r.key)).toEqual(['AIza-query', 'AIza-query']);
    });

    it('lists models like models.json', async () => {
      const response = await rawRequest(`${sim.baseUrl('gemini')}/models`, {
        headers: { 'x-goog-api-key': 'k' },
      });
      const expected = JSON.parse(fixture('gemini', 'models.json')) as { models: unknown[] };
      expect(shapeOf((JSON.parse(response.body) as { models: unknown[] }).models)).toEqual(
        shapeOf(expected.models),
      );
    });
  });

  describe('cohere', () => {
    const request = JSON.parse(fixture('cohere', 'request.json')) as Record<string, unknown>;
    const chat = (body: unknown, key = 'co-test') =>
      rawRequest(`${sim.baseUrl('cohere')}/v2/chat`, { body, headers: { authorization: `Bearer ${key}` } });

    it('frames a stream like stream.txt: event and data lines, type repeated, no sentinel', async () => {
      const response = await chat(request);
      expect(response.headers['content-type']).toBe('text/event-stream');
      const expected = sseFrames(fixture('cohere', 'stream.txt'));
      const frames = sseFrames(response.body);
      expect(frames.map(frameEvent)).toEqual([
        'message-start',
        'content-start',
        ...Array<string>(12).fill('content-delta'),
        'content-end',
        'message-end',
      ]);
      for (const frame of frames) {
        expect(frame).toMatch(/^event: [a-z-]+\ndata: \{.*\}$/);
        expect((frameData(frame) as { type: string }).type).toBe(frameEvent(frame));
      }
      const byEvent = (list: string[], name: string) => list.find((frame) => frameEvent(frame) === name)!;
      for (const name of ['message-start', 'content-start', 'content-delta', 'content-end', 'message-end']) {
        expect(shapeOf(frameData(byEvent(frames, name)))).toEqual(
          shapeOf(frameData(byEvent(expected, name))),
        );
      }
    });

    it('renders chat like response.json', async () => {
      const response = await chat({ ...request, stream: false });
      expect(prettyStyle(response.body)).toBe(prettyStyle(fixture('cohere', 'response.json')));
      expect(shapeOf(JSON.parse(response.body))).toEqual(
        shapeOf(JSON.parse(fixture('cohere', 'response.json'))),
      );
    });

    it('sends {message} error bodies byte for byte', async () => {
      await sim.setFaults('cohere', {
        invalid_keys: ['co-bad'],
        rules: [
          { status: 429, models: ['busy'] },
          { status: 500, models: ['broken'] },
        ],
      });
      expect((await chat(request, 'co-bad')).body).toBe(fixture('cohere', 'error-401.json'));
      expect((await chat({ ...request, model: 'busy' })).body).toBe(fixture('cohere', 'error-429.json'));
      expect((await chat({ ...request, model: 'broken' })).body).toBe(fixture('cohere', 'error-500.json'));
    });

    it('lists models like models.json on /v1/models', async () => {
      const response = await rawRequest(`${sim.baseUrl('cohere')}/v1/models`, {
        headers: { authorization: 'Bearer co' },
      });
      const expected = JSON.parse(fixture('cohere', 'models.json')) as { models: unknown[] };
      expect(shapeOf((JSON.parse(response.body) as { models: unknown[] }).models)).toEqual(
        shapeOf(expected.models),
      );
    });
  });
});
