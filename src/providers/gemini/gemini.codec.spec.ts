import { FailureClass } from '../../common/failure-class';
import { NOW, responseContext, thrownUpstreamError } from '../../../test/support/codec-spec-helpers';
import {
  frameSse,
  readFixture,
  readHeadersFixture,
  readJsonFixture,
} from '../../../test/support/frame-fixture';
import type { ChatCompletionChunk, ChatRequest } from '../chat.types';
import { GeminiCodec } from './gemini.codec';

const context = (includeUsage = false) => responseContext('gemini-2.0-flash-001', includeUsage);

describe(GeminiCodec.name, () => {
  const codec = new GeminiCodec();

  describe('buildChatRequest', () => {
    it('translates the fixture conversation into the fixture body', () => {
      const request: ChatRequest = {
        model: 'fast-chat',
        messages: [
          { role: 'system', content: 'You are a terse assistant.' },
          { role: 'user', content: 'Say hello.' },
          { role: 'assistant', content: 'Hello.' },
          { role: 'user', content: [{ type: 'text', text: 'Again, with an exclamation mark.' }] },
        ],
        temperature: 0.2,
        max_tokens: 64,
      };
      const spec = codec.buildChatRequest(request, {
        model: 'gemini-2.0-flash',
        apiKey: 'AIzaKEY',
        stream: false,
      });
      expect(spec).toMatchObject({ method: 'POST', path: '/models/gemini-2.0-flash:generateContent' });
      expect(spec.headers).toEqual({
        'content-type': 'application/json',
        accept: 'application/json',
        'x-goog-api-key': 'AIzaKEY',
      });
      expect(JSON.parse(spec.body!)).toEqual(readJsonFixture('gemini', 'request.json'));
    });

    it('streams through streamGenerateContent with alt=sse', () => {
      const spec = codec.buildChatRequest(
        { model: 'm', messages: [] },
        { model: 'models/gemini-2.5-pro', stream: true },
      );
      expect(spec.path).toBe('/models/gemini-2.5-pro:streamGenerateContent?alt=sse');
      expect(spec.headers.accept).toBe('text/event-stream');
    });

    it('probes one model of the list', () => {
      expect(codec.buildProbeRequest('AIzaKEY')).toEqual({
        method: 'GET',
        path: '/models?pageSize=1',
        headers: { accept: 'application/json', 'x-goog-api-key': 'AIzaKEY' },
      });
    });
  });

  describe('parseChatResponse', () => {
    it('translates the fixture answer', () => {
      expect(codec.parseChatResponse(readJsonFixture('gemini', 'response.json'), context())).toEqual({
        id: 'chatcmpl-ctx',
        object: 'chat.completion',
        created: 1761040000,
        model: 'gemini-2.0-flash',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello!' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 18, completion_tokens: 2, total_tokens: 20 },
      });
    });

    it('turns function calls into tool calls and counts thoughts as output', () => {
      const body = {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { text: 'hmm', thought: true },
                { functionCall: { name: 'weather', args: { city: 'Oslo' } } },
              ],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: {
          promptTokenCount: 10,
          candidatesTokenCount: 5,
          thoughtsTokenCount: 7,
          totalTokenCount: 22,
        },
      };
      const completion = codec.parseChatResponse(body, context());
      expect(completion.choices[0]).toEqual({
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_ctx_0',
              type: 'function',
              function: { name: 'weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      });
      expect(completion.usage).toEqual({
        prompt_tokens: 10,
        completion_tokens: 12,
        total_tokens: 22,
        completion_tokens_details: { reasoning_tokens: 7 },
      });
    });

    it.each([
      ['SAFETY', 'content_filter'],
      ['PROHIBITED_CONTENT', 'content_filter'],
      ['MAX_TOKENS', 'length'],
      ['OTHER', 'stop'],
    ])('maps finishReason %s to %s', (finishReason, expected) => {
      const body = { candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason }] };
      expect(codec.parseChatResponse(body, context()).choices[0].finish_reason).toBe(expected);
    });

    it('answers a blocked prompt with content_filter', () => {
      const body = {
        promptFeedback: { blockReason: 'SAFETY' },
        usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 },
      };
      const completion = codec.parseChatResponse(body, context());
      expect(completion.choices).toEqual([
        {
          index: 0,
          message: { role: 'assistant', content: null },
          logprobs: null,
          finish_reason: 'content_filter',
        },
      ]);
      expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 0, total_tokens: 4 });
    });

    it.each([
      ['a string', 'x'],
      ['no candidates', { usageMetadata: {} }],
      ['an array', []],
    ])('rejects %s', (_case, body) => {
      expect(thrownUpstreamError(() => codec.parseChatResponse(body, context())).failureClass).toBe(
        FailureClass.ParseError,
      );
    });
  });

  describe('stream decoder', () => {
    const decode = (includeUsage: boolean, text = readFixture('gemini', 'stream.txt')) => {
      const decoder = codec.createStreamDecoder(context(includeUsage));
      const chunks: ChatCompletionChunk[] = [];
      for (const event of frameSse(text)) chunks.push(...decoder.push(event));
      return { decoder, chunks, end: () => decoder.end() };
    };

    it('translates the CRLF fixture stream, complete at finishReason', () => {
      const { decoder, chunks, end } = decode(true);
      expect(decoder.done).toBe(true);
      const all = [...chunks, ...end()];
      expect(all.map((chunk) => [chunk.choices[0]?.delta, chunk.choices[0]?.finish_reason])).toEqual([
        [{ role: 'assistant', content: '' }, null],
        [{ content: 'Hel' }, null],
        [{ content: 'lo' }, null],
        [{ content: '!' }, null],
        [{}, 'stop'],
        [undefined, undefined],
      ]);
      expect(
        all.slice(0, 5).every((chunk) => chunk.usage === null && chunk.model === 'gemini-2.0-flash'),
      ).toBe(true);
      expect(all[5]).toEqual({
        id: 'chatcmpl-ctx',
        object: 'chat.completion.chunk',
        created: 1761040000,
        model: 'gemini-2.0-flash',
        choices: [],
        usage: { prompt_tokens: 18, completion_tokens: 2, total_tokens: 20 },
      });
    });

    it('keeps usage for the gateway without sending it when not asked', () => {
      const { decoder, chunks, end } = decode(false);
      expect([...chunks, ...end()].every((chunk) => !('usage' in chunk) && chunk.choices.length === 1)).toBe(
        true,
      );
      expect(decoder.usage).toEqual({ prompt_tokens: 18, completion_tokens: 2, total_tokens: 20 });
    });

    it('streams function calls as tool call deltas', () => {
      const data = {
        candidates: [
          { content: { parts: [{ functionCall: { name: 'time', args: {} } }] }, finishReason: 'STOP' },
        ],
      };
      const { chunks } = decode(false, `data: ${JSON.stringify(data)}\r\n\r\n`);
      expect(chunks.slice(1).map((chunk) => chunk.choices[0])).toEqual([
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: 'call_ctx_0', type: 'function', function: { name: 'time', arguments: '{}' } },
            ],
          },
          logprobs: null,
          finish_reason: null,
        },
        { index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' },
      ]);
    });

    it('fails a stream that closes before a finishReason', () => {
      const { end } = decode(
        false,
        readFixture('gemini', 'stream.txt').split('\r\n\r\n').slice(0, 2).join('\r\n\r\n'),
      );
      expect(thrownUpstreamError(end).failureClass).toBe(FailureClass.NetworkError);
    });

    it.each([
      [
        'an error object',
        '{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}',
        FailureClass.ServiceUnavailable,
        undefined,
      ],
      [
        'an error array',
        JSON.stringify([readJsonFixture('gemini', 'error-429.json')]),
        FailureClass.RateLimited,
        41000,
      ],
      ['a frame that is not JSON', '{"candidates": [', FailureClass.ParseError, undefined],
    ])('throws on %s', (_case, data, failureClass, retryAfterMs) => {
      const decoder = codec.createStreamDecoder(context());
      expect(thrownUpstreamError(() => decoder.push({ data }))).toMatchObject({ failureClass, retryAfterMs });
    });
  });

  describe('classifyError', () => {
    const classify = (file: string, status: number) =>
      codec.classifyError(
        status,
        readHeadersFixture('gemini', 'headers-429.txt').headers,
        readFixture('gemini', file),
        NOW,
      );

    it.each([
      ['error-400-invalid-key.json', 400, FailureClass.AuthError, 'API_KEY_INVALID'],
      ['error-403.json', 403, FailureClass.AuthError, 'PERMISSION_DENIED'],
      ['error-500.json', 500, FailureClass.ServiceUnavailable, 'INTERNAL'],
      ['error-503.json', 503, FailureClass.ServiceUnavailable, 'UNAVAILABLE'],
    ])('classifies %s (status %i) as %s', (file, status, failureClass, code) => {
      expect(classify(file, status)).toMatchObject({
        failureClass,
        status,
        upstreamCode: code,
        retryAfterMs: undefined,
      });
    });

    it('reads RetryInfo from a per-minute 429', () => {
      expect(classify('error-429.json', 429)).toMatchObject({
        failureClass: FailureClass.RateLimited,
        retryAfterMs: 41000,
        longTerm: false,
        upstreamCode: 'RESOURCE_EXHAUSTED',
      });
    });

    it('treats a per-day quota as long-term', () => {
      const body = readFixture('gemini', 'error-429.json').replace('PerMinute', 'PerDay');
      expect(codec.classifyError(429, {}, body, NOW)).toMatchObject({
        failureClass: FailureClass.QuotaExceeded,
        longTerm: true,
        retryAfterMs: 41000,
      });
    });

    it.each([
      [404, 'NOT_FOUND', FailureClass.ServiceUnavailable],
      [400, 'FAILED_PRECONDITION', FailureClass.AuthError],
      [400, 'INVALID_ARGUMENT', FailureClass.BadRequest],
    ])('classifies %i %s as %s', (status, googleStatus, failureClass) => {
      const body = JSON.stringify({ error: { code: status, message: 'm', status: googleStatus } });
      expect(codec.classifyError(status, {}, body, NOW)).toMatchObject({
        failureClass,
        upstreamMessage: 'm',
      });
    });
  });
});
