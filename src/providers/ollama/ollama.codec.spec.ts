import { FailureClass } from '../../common/failure-class';
import { NOW, responseContext, thrownUpstreamError } from '../../../test/support/codec-spec-helpers';
import { frameNdjson, readFixture, readJsonFixture } from '../../../test/support/frame-fixture';
import type { ChatCompletionChunk, ChatRequest } from '../chat.types';
import type { StreamEvent } from '../protocol-codec';
import { OllamaCodec } from './ollama.codec';

const context = (includeUsage = false) => responseContext('llama3.2', includeUsage);

describe(OllamaCodec.name, () => {
  const codec = new OllamaCodec();

  describe('buildChatRequest', () => {
    it('translates into the fixture body with stream false and options', () => {
      const request: ChatRequest = {
        model: 'fast-chat',
        messages: [
          { role: 'system', content: 'You are a terse assistant.' },
          { role: 'user', content: 'Say hello.' },
        ],
        temperature: 0.2,
        max_tokens: 64,
      };
      const spec = codec.buildChatRequest(request, { model: 'llama3.2', stream: false });
      expect(spec).toEqual({
        method: 'POST',
        path: '/api/chat',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: spec.body,
      });
      expect(JSON.parse(spec.body!)).toEqual(readJsonFixture('ollama', 'request.json'));
    });

    it('says stream true explicitly and translates tools, images and parameters', () => {
      const request: ChatRequest = {
        model: 'm',
        messages: [
          { role: 'developer', content: 'Use tools.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4A' } },
            ],
          },
          {
            role: 'assistant',
            content: '',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
        ],
        top_p: 0.8,
        max_completion_tokens: 20,
        stop: 'END',
        seed: 1,
        response_format: { type: 'json_object' },
        tools: [{ type: 'function', function: { name: 'look' } }],
      };
      const spec = codec.buildChatRequest(request, { model: 'llava', apiKey: 'ol-key', stream: true });
      expect(spec.headers.authorization).toBe('Bearer ol-key');
      expect(JSON.parse(spec.body!)).toEqual({
        model: 'llava',
        stream: true,
        messages: [
          { role: 'system', content: 'Use tools.' },
          { role: 'user', content: 'What is this?', images: ['/9j/4A'] },
          {
            role: 'assistant',
            content: '',
            tool_calls: [{ function: { name: 'look', arguments: { x: 1 } } }],
          },
          { role: 'tool', content: 'a cat', tool_name: 'look' },
        ],
        options: { top_p: 0.8, num_predict: 20, stop: ['END'], seed: 1 },
        tools: [{ type: 'function', function: { name: 'look' } }],
        format: 'json',
      });
    });

    it('probes the tags', () => {
      expect(codec.buildProbeRequest()).toEqual({
        method: 'GET',
        path: '/api/tags',
        headers: { accept: 'application/json' },
      });
    });
  });

  describe('parseChatResponse', () => {
    it('translates the fixture answer with eval counts as usage', () => {
      expect(codec.parseChatResponse(readJsonFixture('ollama', 'response.json'), context())).toEqual({
        id: 'chatcmpl-ctx',
        object: 'chat.completion',
        created: 1761040000,
        model: 'llama3.2',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello!' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 31, completion_tokens: 3, total_tokens: 34 },
      });
    });

    it('reads tool calls with object arguments and a length stop', () => {
      const body = {
        model: 'llama3.2',
        message: {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { name: 'look', arguments: { x: 1 } } }],
        },
        done: true,
        done_reason: 'stop',
        eval_count: 5,
      };
      expect(codec.parseChatResponse(body, context()).choices[0]).toEqual({
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_ctx_0', type: 'function', function: { name: 'look', arguments: '{"x":1}' } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      });
      const cut = { message: { role: 'assistant', content: 'Hel' }, done: true, done_reason: 'length' };
      expect(codec.parseChatResponse(cut, context()).choices[0].finish_reason).toBe('length');
    });

    it('rejects a body without message', () => {
      expect(thrownUpstreamError(() => codec.parseChatResponse({ done: true }, context())).failureClass).toBe(
        FailureClass.ParseError,
      );
    });
  });

  describe('stream decoder', () => {
    const decode = (events: StreamEvent[], includeUsage = false) => {
      const decoder = codec.createStreamDecoder(context(includeUsage));
      const chunks: ChatCompletionChunk[] = [];
      for (const event of events) chunks.push(...decoder.push(event));
      return { decoder, chunks, end: () => decoder.end() };
    };

    it('translates the NDJSON fixture and ends at done: true', () => {
      const { decoder, chunks, end } = decode(frameNdjson(readFixture('ollama', 'stream.txt')), true);
      expect(decoder.done).toBe(true);
      const all = [...chunks, ...end()];
      expect(all.map((chunk) => [chunk.choices[0]?.delta, chunk.choices[0]?.finish_reason])).toEqual([
        [{ role: 'assistant', content: '' }, null],
        [{ content: 'Hello' }, null],
        [{ content: '!' }, null],
        [{}, 'stop'],
        [undefined, undefined],
      ]);
      expect(all[4]).toEqual({
        id: 'chatcmpl-ctx',
        object: 'chat.completion.chunk',
        created: 1761040000,
        model: 'llama3.2',
        choices: [],
        usage: { prompt_tokens: 31, completion_tokens: 3, total_tokens: 34 },
      });
    });

    it('keeps usage for the gateway without a usage chunk when not asked', () => {
      const { decoder, end } = decode(frameNdjson(readFixture('ollama', 'stream.txt')));
      expect(end()).toEqual([]);
      expect(decoder.usage).toEqual({ prompt_tokens: 31, completion_tokens: 3, total_tokens: 34 });
    });

    it('throws the error line of a stream that fails midway', () => {
      const decoder = codec.createStreamDecoder(context());
      const [first, second] = frameNdjson(readFixture('ollama', 'stream-error-midway.txt'));
      expect(decoder.push(first).map((chunk) => chunk.choices[0].delta.content)).toEqual(['', 'Hello']);
      expect(thrownUpstreamError(() => decoder.push(second))).toMatchObject({
        failureClass: FailureClass.ServiceUnavailable,
        upstreamMessage: 'an error was encountered while running the model',
      });
    });

    it('fails a stream without its done line', () => {
      const { end } = decode(frameNdjson(readFixture('ollama', 'stream.txt')).slice(0, 2));
      expect(thrownUpstreamError(end).failureClass).toBe(FailureClass.NetworkError);
    });

    it('rejects a line that is not JSON', () => {
      expect(thrownUpstreamError(() => decode([{ data: '{"model":' }])).failureClass).toBe(
        FailureClass.ParseError,
      );
    });
  });

  describe('classifyError', () => {
    it.each([
      ['error-401.json', 401, FailureClass.AuthError, 'unauthorized', undefined],
      ['error-404.json', 404, FailureClass.ServiceUnavailable, "model 'llama3.2' not found", false],
      [
        'error-500.json',
        500,
        FailureClass.ServiceUnavailable,
        'llama runner process has terminated: exit status 2',
        undefined,
      ],
    ])('classifies %s (status %i) as %s', (file, status, failureClass, message, shouldRetry) => {
      expect(codec.classifyError(status, {}, readFixture('ollama', file), NOW)).toMatchObject({
        failureClass,
        status,
        upstreamMessage: message,
        shouldRetry,
      });
    });

    it.each([
      [400, '{"error":"\\"nomic-embed-text\\" does not support chat"}', FailureClass.ServiceUnavailable],
      [400, '{"error":"model is required"}', FailureClass.BadRequest],
      [429, '{"error":"too many requests"}', FailureClass.RateLimited],
      [502, 'Bad Gateway', FailureClass.ServiceUnavailable],
    ])('classifies %i %s as %s', (status, body, failureClass) => {
      expect(codec.classifyError(status, {}, body, NOW).failureClass).toBe(failureClass);
    });
  });
});
