import { FailureClass } from '../../common/failure-class';
import {
  NOW,
  responseContext,
  thrownUpstreamError,
  typedEvent,
} from '../../../test/support/codec-spec-helpers';
import { frameSse, readFixture, readJsonFixture } from '../../../test/support/frame-fixture';
import type { ChatCompletionChunk, ChatRequest } from '../chat.types';
import type { StreamEvent } from '../protocol-codec';
import { CohereCodec } from './cohere.codec';

const context = (includeUsage = false) => responseContext('command-a-03-2025', includeUsage);

describe(CohereCodec.name, () => {
  const codec = new CohereCodec();

  describe('buildChatRequest', () => {
    it('translates the fixture request', () => {
      const fixture = readJsonFixture('cohere', 'request.json') as ChatRequest;
      const spec = codec.buildChatRequest(
        { ...fixture, model: 'fast-chat' },
        { model: 'command-a-03-2025', apiKey: 'co-key', stream: true },
      );
      expect(spec).toMatchObject({ method: 'POST', path: '/v2/chat' });
      expect(spec.headers).toEqual({
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: 'Bearer co-key',
      });
      expect(JSON.parse(spec.body!)).toEqual(fixture);
    });

    it('renames parameters and translates tool calls, tool results and content arrays', () => {
      const request: ChatRequest = {
        model: 'm',
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Weather?' },
              { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        ],
        top_p: 0.5,
        stop: ['x', 'y'],
        max_completion_tokens: 10,
        seed: 3,
        tools: [
          { type: 'function', function: { name: 'weather', parameters: { type: 'object' } } },
          { type: 'function', function: { name: 'time' } },
        ],
        tool_choice: { type: 'function', function: { name: 'weather' } },
      };
      expect(
        JSON.parse(codec.buildChatRequest(request, { model: 'command-r', stream: false }).body!),
      ).toEqual({
        model: 'command-r',
        stream: false,
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Weather?' },
              { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            ],
          },
          {
            role: 'assistant',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        ],
        p: 0.5,
        stop_sequences: ['x', 'y'],
        max_tokens: 10,
        seed: 3,
        tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
        tool_choice: 'REQUIRED',
      });
    });

    it('probes the chat model list under /v1', () => {
      expect(codec.buildProbeRequest('co-key')).toEqual({
        method: 'GET',
        path: '/v1/models?page_size=1&endpoint=chat',
        headers: { accept: 'application/json', authorization: 'Bearer co-key' },
      });
    });
  });

  describe('parseChatResponse', () => {
    it('translates the fixture answer with billed usage', () => {
      expect(codec.parseChatResponse(readJsonFixture('cohere', 'response.json'), context())).toEqual({
        id: 'chatcmpl-ctx',
        object: 'chat.completion',
        created: 1761040000,
        model: 'command-a-03-2025',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello!' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      });
    });

    it('reads tool calls', () => {
      const call = {
        id: 'weather_1',
        type: 'function',
        function: { name: 'weather', arguments: '{"city":"Oslo"}' },
      };
      const body = {
        message: { role: 'assistant', tool_plan: 'I will look.', tool_calls: [call] },
        finish_reason: 'TOOL_CALL',
      };
      expect(codec.parseChatResponse(body, context()).choices[0]).toMatchObject({
        message: { content: null, tool_calls: [call] },
        finish_reason: 'tool_calls',
      });
    });

    it.each([
      ['STOP_SEQUENCE', 'stop'],
      ['MAX_TOKENS', 'length'],
    ])('maps %s to %s', (reason, expected) => {
      const body = { message: { content: [{ type: 'text', text: 'x' }] }, finish_reason: reason };
      expect(codec.parseChatResponse(body, context()).choices[0].finish_reason).toBe(expected);
    });

    it.each([
      ['ERROR', FailureClass.ServiceUnavailable],
      ['TIMEOUT', FailureClass.Timeout],
    ])('raises finish_reason %s as %s', (reason, failureClass) => {
      const body = { message: { content: [] }, finish_reason: reason };
      expect(thrownUpstreamError(() => codec.parseChatResponse(body, context()))).toMatchObject({
        failureClass,
        upstreamCode: reason,
      });
    });

    it('rejects a body without message', () => {
      expect(thrownUpstreamError(() => codec.parseChatResponse({ id: 'x' }, context())).failureClass).toBe(
        FailureClass.ParseError,
      );
    });
  });

  describe('stream decoder', () => {
    const decode = (events: StreamEvent[], includeUsage = false) => {
      const decoder = codec.createStreamDecoder(context(includeUsage));
      const chunks: ChatCompletionChunk[] = events.flatMap((e) => decoder.push(e));
      return { decoder, chunks, end: () => decoder.end() };
    };

    it('translates the fixture stream and ends at message-end', () => {
      const { decoder, chunks, end } = decode(frameSse(readFixture('cohere', 'stream.txt')), true);
      expect(decoder.done).toBe(true);
      const all = [...chunks, ...end()];
      expect(all.map((chunk) => [chunk.choices[0]?.delta, chunk.choices[0]?.finish_reason])).toEqual([
        [{ role: 'assistant', content: '' }, null],
        [{ content: 'Hello' }, null],
        [{ content: '!' }, null],
        [{}, 'stop'],
        [undefined, undefined],
      ]);
      expect(all[4]).toMatchObject({
        id: 'chatcmpl-ctx',
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      });
      expect(decoder.usage).toEqual({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
    });

    it('streams tool calls', () => {
      const { chunks } = decode([
        typedEvent('message-start', { id: 'x', delta: { message: { role: 'assistant' } } }),
        typedEvent('tool-plan-delta', { delta: { message: { tool_plan: 'Looking' } } }),
        typedEvent('tool-call-start', {
          index: 0,
          delta: {
            message: {
              tool_calls: { id: 'w_1', type: 'function', function: { name: 'weather', arguments: '' } },
            },
          },
        }),
        typedEvent('tool-call-delta', {
          index: 0,
          delta: { message: { tool_calls: { function: { arguments: '{"city":' } } } },
        }),
        typedEvent('tool-call-delta', {
          index: 0,
          delta: { message: { tool_calls: { function: { arguments: '"Oslo"}' } } } },
        }),
        typedEvent('tool-call-end', { index: 0 }),
        typedEvent('message-end', { delta: { finish_reason: 'TOOL_CALL' } }),
      ]);
      expect(
        chunks.map((chunk) => chunk.choices[0].delta.tool_calls ?? chunk.choices[0].finish_reason),
      ).toEqual([
        null,
        [{ index: 0, id: 'w_1', type: 'function', function: { name: 'weather', arguments: '' } }],
        [{ index: 0, function: { arguments: '{"city":' } }],
        [{ index: 0, function: { arguments: '"Oslo"}' } }],
        'tool_calls',
      ]);
    });

    it('raises a message-end with finish_reason ERROR', () => {
      const decoder = codec.createStreamDecoder(context());
      const end = typedEvent('message-end', { delta: { finish_reason: 'ERROR', error: 'internal failure' } });
      expect(thrownUpstreamError(() => decoder.push(end))).toMatchObject({
        failureClass: FailureClass.ServiceUnavailable,
        upstreamMessage: 'internal failure',
      });
    });

    it('fails a stream without message-end', () => {
      const { end } = decode(frameSse(readFixture('cohere', 'stream.txt')).slice(0, 4));
      expect(thrownUpstreamError(end).failureClass).toBe(FailureClass.NetworkError);
    });

    it('rejects a frame that is not JSON', () => {
      expect(
        thrownUpstreamError(() => decode([{ event: 'content-delta', data: '{"type":' }])).failureClass,
      ).toBe(FailureClass.ParseError);
    });
  });

  describe('classifyError', () => {
    it.each([
      ['error-401.json', 401, FailureClass.AuthError, 'invalid api token'],
      [
        'error-429.json',
        429,
        FailureClass.RateLimited,
        'You are past the per minute request limit, please wait and try again later.',
      ],
      [
        'error-500.json',
        500,
        FailureClass.ServiceUnavailable,
        'internal server error, this has been reported to our developers',
      ],
    ])('classifies %s (status %i) as %s', (file, status, failureClass, message) => {
      expect(codec.classifyError(status, {}, readFixture('cohere', file), NOW)).toMatchObject({
        failureClass,
        status,
        upstreamMessage: message,
        longTerm: false,
      });
    });

    it.each([
      [498, '{"message":"invalid token"}', FailureClass.AuthError, false],
      [
        429,
        '{"message":"You are using a Trial key, which is limited to 1000 API calls / month."}',
        FailureClass.QuotaExceeded,
        true,
      ],
      [400, '{"message":"invalid request: too many tokens"}', FailureClass.BadRequest, false],
    ])('classifies %i %s as %s', (status, body, failureClass, longTerm) => {
      expect(codec.classifyError(status, {}, body, NOW)).toMatchObject({ failureClass, longTerm });
    });

    it('reads Retry-After when Cohere sends it', () => {
      const error = codec.classifyError(
        429,
        { 'retry-after': '7' },
        readFixture('cohere', 'error-429.json'),
        NOW,
      );
      expect(error.retryAfterMs).toBe(7000);
    });
  });
});
