import { FailureClass } from '../../common/failure-class';
import {
  NOW,
  responseContext,
  thrownUpstreamError,
  typedEvent,
} from '../../../test/support/codec-spec-helpers';
import {
  frameSse,
  readFixture,
  readHeadersFixture,
  readJsonFixture,
} from '../../../test/support/frame-fixture';
import type { ChatCompletionChunk, ChatRequest } from '../chat.types';
import type { StreamEvent } from '../protocol-codec';
import { AnthropicCodec } from './anthropic.codec';

const context = (includeUsage = false) => responseContext('claude-sonnet-4-20250514', includeUsage);

describe(AnthropicCodec.name, () => {
  const codec = new AnthropicCodec();

  describe('buildChatRequest', () => {
    it('translates into the fixture body', () => {
      const request: ChatRequest = {
        model: 'smart-chat',
        messages: [
          { role: 'system', content: 'You are a terse assistant.' },
          { role: 'user', content: 'Say hello.' },
        ],
        max_tokens: 64,
        temperature: 0.2,
        stream: true,
      };
      const spec = codec.buildChatRequest(request, {
        model: 'claude-sonnet-4-20250514',
        apiKey: 'sk-ant-k',
        stream: true,
      });
      expect(spec).toMatchObject({ method: 'POST', path: '/v1/messages' });
      expect(spec.headers).toEqual({
        accept: 'text/event-stream',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
        'x-api-key': 'sk-ant-k',
      });
      expect(JSON.parse(spec.body!)).toEqual(readJsonFixture('anthropic', 'request.json'));
    });

    it('probes the model list', () => {
      expect(codec.buildProbeRequest('sk-ant-k')).toEqual({
        method: 'GET',
        path: '/v1/models?limit=1',
        headers: { accept: 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-k' },
      });
    });
  });

  describe('parseChatResponse', () => {
    it('translates the fixture answer', () => {
      expect(codec.parseChatResponse(readJsonFixture('anthropic', 'response.json'), context())).toEqual({
        id: 'chatcmpl-ctx',
        object: 'chat.completion',
        created: 1761040000,
        model: 'claude-sonnet-4-20250514',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello!' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 17, completion_tokens: 5, total_tokens: 22 },
      });
    });

    it('reads tool_use blocks and counts cached prompt tokens', () => {
      const body = {
        type: 'message',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }],
        stop_reason: 'tool_use',
        usage: {
          input_tokens: 3,
          cache_creation_input_tokens: 10,
          cache_read_input_tokens: 100,
          output_tokens: 7,
        },
      };
      const completion = codec.parseChatResponse(body, context());
      expect(completion.choices[0]).toMatchObject({
        message: {
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        finish_reason: 'tool_calls',
      });
      expect(completion.usage).toEqual({
        prompt_tokens: 113,
        completion_tokens: 7,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 100 },
      });
    });

    it.each([
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
      ['refusal', 'content_filter'],
    ])('maps stop_reason %s to %s', (stopReason, expected) => {
      const body = { content: [{ type: 'text', text: 'x' }], stop_reason: stopReason };
      expect(codec.parseChatResponse(body, context()).choices[0].finish_reason).toBe(expected);
    });

    it('rejects a body without content', () => {
      expect(
        thrownUpstreamError(() => codec.parseChatResponse({ type: 'message' }, context())).failureClass,
      ).toBe(FailureClass.ParseError);
    });
  });

  describe('stream decoder', () => {
    const decode = (events: StreamEvent[], includeUsage = false) => {
      const decoder = codec.createStreamDecoder(context(includeUsage));
      const chunks: ChatCompletionChunk[] = [];
      for (const e of events) chunks.push(...decoder.push(e));
      return { decoder, chunks, end: () => decoder.end() };
    };

    it('translates the fixture stream and ends at message_stop', () => {
      const { decoder, chunks, end } = decode(frameSse(readFixture('anthropic', 'stream.txt')), true);
      expect(decoder.done).toBe(true);
      const all = [...chunks, ...end()];
      expect(all.map((chunk) => [chunk.choices[0]?.delta, chunk.choices[0]?.finish_reason])).toEqual([
        [{ role: 'assistant', content: '' }, null],
        [{ content: 'Hello!' }, null],
        [{}, 'stop'],
        [undefined, undefined],
      ]);
      expect(all[3]).toEqual({
        id: 'chatcmpl-ctx',
        object: 'chat.completion.chunk',
        created: 1761040000,
        model: 'claude-sonnet-4-20250514',
        choices: [],
        usage: { prompt_tokens: 17, completion_tokens: 5, total_tokens: 22 },
      });
    });

    it('streams tool_use blocks as tool call deltas', () => {
      const { chunks, decoder } = decode([
        typedEvent('message_start', {
          message: { model: 'claude-x', usage: { input_tokens: 9, output_tokens: 1 } },
        }),
        typedEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        typedEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Let me check.' } }),
        typedEvent('content_block_start', {
          index: 1,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} },
        }),
        typedEvent('content_block_delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '' },
        }),
        typedEvent('content_block_delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '{"city":"Oslo"}' },
        }),
        typedEvent('content_block_stop', { index: 1 }),
        typedEvent('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 20 } }),
        typedEvent('message_stop', {}),
      ]);
      expect(chunks.slice(1).map((chunk) => chunk.choices[0].delta)).toEqual([
        { content: 'Let me check.' },
        {
          tool_calls: [
            { index: 0, id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '' } },
          ],
        },
        { tool_calls: [{ index: 0, function: { arguments: '{"city":"Oslo"}' } }] },
        {},
      ]);
      expect(chunks.at(-1)?.choices[0].finish_reason).toBe('tool_calls');
      expect(chunks[0].model).toBe('claude-x');
      expect(decoder.usage).toEqual({ prompt_tokens: 9, completion_tokens: 20, total_tokens: 29 });
    });

    it('ignores pings and throws the overloaded error event as service_unavailable', () => {
      const [start, ping, error] = frameSse(readFixture('anthropic', 'stream-error-midway.txt'));
      const decoder = codec.createStreamDecoder(context());
      expect(decoder.push(start)).toHaveLength(1);
      expect(decoder.push(ping)).toEqual([]);
      expect(thrownUpstreamError(() => decoder.push(error))).toMatchObject({
        failureClass: FailureClass.ServiceUnavailable,
        upstreamCode: 'overloaded_error',
        upstreamMessage: 'Overloaded',
      });
    });

    it('fails a stream without message_stop', () => {
      const { end } = decode(frameSse(readFixture('anthropic', 'stream.txt')).slice(0, 5));
      expect(thrownUpstreamError(end).failureClass).toBe(FailureClass.NetworkError);
    });

    it('rejects an event that is not JSON', () => {
      expect(thrownUpstreamError(() => decode([{ event: 'message_start', data: '{' }])).failureClass).toBe(
        FailureClass.ParseError,
      );
    });
  });

  describe('classifyError', () => {
    const headers = readHeadersFixture('anthropic', 'headers-429.txt').headers;

    it.each([
      ['error-401.json', 401, FailureClass.AuthError, 'authentication_error'],
      ['error-500.json', 500, FailureClass.ServiceUnavailable, 'api_error'],
      ['error-529.json', 529, FailureClass.ServiceUnavailable, 'overloaded_error'],
    ])('classifies %s (status %i) as %s', (file, status, failureClass, code) => {
      expect(codec.classifyError(status, {}, readFixture('anthropic', file), NOW)).toMatchObject({
        failureClass,
        status,
        upstreamCode: code,
      });
    });

    it('reads retry-after from the 429 headers', () => {
      expect(
        codec.classifyError(429, headers, readFixture('anthropic', 'error-429.json'), NOW),
      ).toMatchObject({
        failureClass: FailureClass.RateLimited,
        retryAfterMs: 19000,
        upstreamCode: 'rate_limit_error',
        longTerm: false,
      });
    });

    it('falls back to the reset of the exhausted limit without retry-after', () => {
      const { 'retry-after': _ignored, ...withoutRetryAfter } = headers;
      const error = codec.classifyError(
        429,
        withoutRetryAfter,
        readFixture('anthropic', 'error-429.json'),
        NOW,
      );
      expect(error.retryAfterMs).toBe(36000);
    });

    it.each([
      [402, '{"type":"error","error":{"type":"billing_error","message":"Payment required"}}'],
      [
        400,
        '{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}',
      ],
      [
        429,
        '{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"enforced_spend_limit_reached"}}}',
      ],
    ])('classifies %i %s as a long-term quota', (status, body) => {
      expect(codec.classifyError(status, {}, body, NOW)).toMatchObject({
        failureClass: FailureClass.QuotaExceeded,
        longTerm: true,
      });
    });

    it('classifies a 413 from Cloudflare (HTML) as bad_request', () => {
      expect(
        codec.classifyError(413, {}, '<html>413 Request Entity Too Large</html>', NOW).failureClass,
      ).toBe(FailureClass.BadRequest);
    });
  });
});
