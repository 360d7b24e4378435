import { startSimulator, type SimulatorHandle } from '../../src/simulator';
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

/** Byte-level comparison of the ollama and anthropic flavours with the recorded fixtures. */
describe('wire format against the fixtures: ollama and anthropic', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  describe('ollama', () => {
    const request = JSON.parse(fixture('ollama', 'request.json')) as Record<string, unknown>;
    const chat = (body: unknown) => rawRequest(`${sim.baseUrl('ollama')}/api/chat`, { body });
    const lines = (text: string) => text.split('\n').slice(0, -1);

    it('streams NDJSON like stream.txt: one compact object per line, field order kept', async () => {
      const response = await chat({ ...request, stream: true });
      expect(response.headers['content-type']).toBe('application/x-ndjson');
      expect(response.body.endsWith('}\n')).toBe(true);
      const expected = lines(fixture('ollama', 'stream.txt'));
      const got = lines(response.body);
      expect(got).toHaveLength(13);
      for (const line of got) expect(prettyStyle(line)).toBe('compact');
      expect(shapeOf(JSON.parse(got[0]))).toEqual(shapeOf(JSON.parse(expected[0])));
      expect(shapeOf(JSON.parse(got.at(-1)!))).toEqual(shapeOf(JSON.parse(expected.at(-1)!)));
    });

    it('renders a non-stream answer like response.json: compact, no trailing newline', async () => {
      const response = await chat(request);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(prettyStyle(response.body)).toBe(prettyStyle(fixture('ollama', 'response.json')));
      expect(shapeOf(JSON.parse(response.body))).toEqual(
        shapeOf(JSON.parse(fixture('ollama', 'response.json'))),
      );
    });

    it('sends {error} bodies and the mid-stream error line byte for byte', async () => {
      await sim.setFaults('ollama', {
        known_models: ['llama3.2', 'broken', 'midway'],
        rules: [
          { status: 500, models: ['broken'] },
          { action: 'stream_error', after_chunks: 1, models: ['midway'] },
        ],
      });
      const missing = await chat(request);
      expect(missing.status).toBe(200);
      const unknown = await chat({ ...request, model: 'llama9' });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toBe(fixture('ollama', 'error-404.json').replace('llama3.2', 'llama9'));
      expect((await chat({ ...request, model: 'broken' })).body).toBe(fixture('ollama', 'error-500.json'));
      const midway = await chat({ ...request, model: 'midway', stream: true });
      expect(midway.status).toBe(200);
      const expected = lines(fixture('ollama', 'stream-error-midway.txt'));
      const got = lines(midway.body);
      expect(got).toHaveLength(2);
      expect(got[1]).toBe(expected[1]);
      expect(shapeOf(JSON.parse(got[0]))).toEqual(shapeOf(JSON.parse(expected[0])));
    });

    it('answers tags and version like tags.json and version.json', async () => {
      const tags = await rawRequest(`${sim.baseUrl('ollama')}/api/tags`);
      const expected = JSON.parse(fixture('ollama', 'tags.json')) as { models: unknown[] };
      expect(shapeOf((JSON.parse(tags.body) as { models: unknown[] }).models)).toEqual(
        shapeOf(expected.models),
      );
      expect((await rawRequest(`${sim.baseUrl('ollama')}/api/version`)).body).toBe(
        fixture('ollama', 'version.json'),
      );
    });
  });

  describe('anthropic', () => {
    const request = JSON.parse(fixture('anthropic', 'request.json')) as Record<string, unknown>;
    const messages = (body: unknown, key = 'sk-ant-test') =>
      rawRequest(`${sim.baseUrl('anthropic')}/v1/messages`, {
        body,
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      });
    const withoutRequestId = (text: string) => text.replace(/"request_id":"[^"]+"/, '"request_id":"-"');

    it('frames a stream like stream.txt: named events, compact data, message_stop last', async () => {
      const response = await messages(request);
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const expected = sseFrames(fixture('anthropic', 'stream.txt'));
      const frames = sseFrames(response.body);
      expect(frames.map(frameEvent)).toEqual([
        'message_start',
        'content_block_start',
        ...Array<string>(12).fill('content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      for (const frame of frames) {
        expect(frame).toMatch(/^event: [a-z_]+\ndata: \{.*\}$/);
        expect(prettyStyle(frame.slice(frame.indexOf('data: ') + 6))).toBe('compact');
      }
      expect(frames.slice(-3)).toEqual(
        expected.slice(-3).map((f) => f.replace('"output_tokens":5', '"output_tokens":12')),
      );
      const byEvent = (list: string[], name: string) => list.find((frame) => frameEvent(frame) === name)!;
      for (const name of ['message_start', 'content_block_start', 'content_block_delta']) {
        expect(shapeOf(frameData(byEvent(frames, name)))).toEqual(
          shapeOf(frameData(byEvent(expected, name))),
        );
      }
    });

    it('renders a message like response.json', async () => {
      const response = await messages({ ...request, stream: false });
      expect(prettyStyle(response.body)).toBe(prettyStyle(fixture('anthropic', 'response.json')));
      expect(shapeOf(JSON.parse(response.body))).toEqual(
        shapeOf(JSON.parse(fixture('anthropic', 'response.json'))),
      );
      expect(response.headers['request-id']).toMatch(/^req_011C\w{20}$/);
    });

    it('sends compact errors with request_id, byte for byte apart from the id', async () => {
      await sim.setFaults('anthropic', {
        invalid_keys: ['sk-ant-bad'],
        rules: [
          { status: 429, models: ['limited'], hint_ms: 19_000 },
          { status: 500, models: ['broken'] },
          { status: 529, models: ['busy'] },
        ],
      });
      const auth = await messages(request, 'sk-ant-bad');
      expect(withoutRequestId(auth.body)).toBe(withoutRequestId(fixture('anthropic', 'error-401.json')));
      const limited = await messages({ ...request, model: 'limited' });
      expect(withoutRequestId(limited.body)).toBe(withoutRequestId(fixture('anthropic', 'error-429.json')));
      expect(Object.keys(limited.headers)).toEqual(expect.arrayContaining(fixtureHeaderNames('anthropic')));
      expect(limited.headers['retry-after']).toBe('19');
      const body = JSON.parse(limited.body) as { request_id: string };
      expect(limited.headers['request-id']).toBe(body.request_id);
      expect(withoutRequestId((await messages({ ...request, model: 'broken' })).body)).toBe(
        withoutRequestId(fixture('anthropic', 'error-500.json')),
      );
      expect(withoutRequestId((await messages({ ...request, model: 'busy' })).body)).toBe(
        withoutRequestId(fixture('anthropic', 'error-529.json')),
      );
    });

    it('ends a broken stream with the error event of stream-error-midway.txt', async () => {
      await sim.setFaults('anthropic', { rules: [{ action: 'stream_error' }] });
      const response = await messages(request);
      const frames = sseFrames(response.body);
      const expected = sseFrames(fixture('anthropic', 'stream-error-midway.txt'));
      expect(frames.at(-1)).toBe(expected.at(-1));
      expect(frames.map(frameEvent)).toEqual(['message_start', 'content_block_start', 'error']);
    });

    it('rejects a request without anthropic-version or max_tokens with a 400 invalid_request_error', async () => {
      const noVersion = await rawRequest(`${sim.baseUrl('anthropic')}/v1/messages`, {
        body: request,
        headers: { 'x-api-key': 'sk-ant-test' },
      });
      expect(noVersion.status).toBe(400);
      expect(JSON.parse(noVersion.body)).toMatchObject({
        error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
      });
      const noMax = await messages({ ...request, max_tokens: undefined });
      expect(JSON.parse(noMax.body)).toMatchObject({ error: { message: 'max_tokens: Field required' } });
    });
  });
});
