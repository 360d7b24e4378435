import { FailureClass } from '../../common/failure-class';
import { NOW, responseContext, thrownUpstreamError } from '../../../test/support/codec-spec-helpers';
import {
  frameSse,
  readFixture,
  readHeadersFixture,
  readJsonFixture,
} from '../../../test/support/frame-fixture';
import type { ChatCompletionChunk, ChatRequest } from '../chat.types';
import type { StreamEvent } from '../protocol-codec';
import { OpenAiCodec } from './openai.codec';

const context = (includeUsage = false) => responseContext('gpt-4o-mini', includeUsage);

function decode(provider: string, file: string, includeUsage: boolean) {
  const decoder = new OpenAiCodec().createStreamDecoder(context(includeUsage));
  const chunks: ChatCompletionChunk[] = [];
  for (const event of frameSse(readFixture(provider, file))) chunks.push(...decoder.push(event));
  chunks.push(...decoder.end());
  return { decoder, chunks };
}

describe(OpenAiCodec.name, () => {
  const codec = new OpenAiCodec();

  describe('buildChatRequest', () => {
    it('forwards the request with the deployment model and always asks for stream usage', () => {
      const request = {
        ...(readJsonFixture('openai', 'request.json') as ChatRequest),
        logit_bias: { '50256': -100 },
      };
      delete request.stream_options;
      const spec = codec.buildChatRequest(request, {
        model: 'gpt-4o-mini-2024-07-18',
        apiKey: 'sk-k1',
        stream: true,
      });
      expect(spec).toMatchObject({ method: 'POST', path: '/chat/completions' });
      expect(spec.headers).toEqual({
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: 'Bearer sk-k1',
      });
      expect(JSON.parse(spec.body!)).toEqual({
        model: 'gpt-4o-mini-2024-07-18',
        messages: request.messages,
        temperature: 0.2,
        max_completion_tokens: 64,
        stream: true,
        stream_options: { include_usage: true },
        logit_bias: { '50256': -100 },
      });
    });

    it('sends stream false without stream_options and no auth header when keyless', () => {
      const request = readJsonFixture('groq', 'request.json') as ChatRequest;
      const spec = codec.buildChatRequest(
        { ...request, stream_options: { include_usage: true } },
        {
          model: 'llama-3.3-70b-versatile',
          stream: false,
        },
      );
      const body = JSON.parse(spec.body!);
      expect(body.stream).toBe(false);
      expect(body).not.toHaveProperty('stream_options');
      expect(spec.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json' });
    });

    it('probes the model list', () => {
      expect(codec.buildProbeRequest('gsk_k')).toEqual({
        method: 'GET',
        path: '/models',
        headers: { accept: 'application/json', authorization: 'Bearer gsk_k' },
      });
    });
  });

  describe('parseChatResponse', () => {
    it('keeps the upstream identity and drops fields Cortex does not type', () => {
      const completion = codec.parseChatResponse(readJsonFixture('openai', 'response.json'), context(false));
      expect(completion).toEqual({
        id: 'chatcmpl-Bq7TzR4vN8pWc3aYdE1fHs0mLk2Qx',
        object: 'chat.completion',
        created: 1761040000,
        model: 'gpt-4o-mini-2024-07-18',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello!', refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: 21,
          completion_tokens: 2,
          total_tokens: 23,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        system_fingerprint: 'fp_7c4e1a9b2d',
      });
    });

    it("strips Groq's x_groq, usage_breakdown and timing floats", () => {
      const completion = codec.parseChatResponse(readJsonFixture('groq', 'response.json'), context(false));
      expect(completion.usage).toEqual({ prompt_tokens: 47, completion_tokens: 3, total_tokens: 50 });
      expect(Object.keys(completion).sort()).toEqual([
        'choices',
        'created',
        'id',
        'model',
        'object',
        'system_fingerprint',
        'usage',
      ]);
      expect(completion.choices[0].message).toEqual({ role: 'assistant', content: 'Hello!' });
    });

    it('falls back to the context identity when the upstream gives none', () => {
      const completion = codec.parseChatResponse({ choices: [{ message: { content: 'x' } }] }, context());
      expect(completion).toMatchObject({ id: 'chatcmpl-ctx', created: 1761040000, model: 'gpt-4o-mini' });
    });

    it.each([
      ['not an object', 'oops'],
      ['no choices', { id: 'x' }],
      ['a choice without message', { choices: [{}] }],
    ])('rejects %s as a parse error', (_case, body) => {
      expect(thrownUpstreamError(() => codec.parseChatResponse(body, context(false))).failureClass).toBe(
        FailureClass.ParseError,
      );
    });

    it('turns an error object in a 200 body into its class', () => {
      const error = thrownUpstreamError(() =>
        codec.parseChatResponse(readJsonFixture('openai', 'error-500.json'), context(false)),
      );
      expect(error.failureClass).toBe(FailureClass.ServiceUnavailable);
      expect(error.upstreamCode).toBe('server_error');
    });
  });

  describe('stream decoder', () => {
    it('passes OpenAI chunks through with usage null and the usage chunk last when asked', () => {
      const { decoder, chunks } = decode('openai', 'stream.txt', true);
      expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
        { role: 'assistant', content: '', refusal: null },
        { content: 'Hello' },
        { content: '!' },
        {},
        undefined,
      ]);
      expect(chunks.slice(0, 4).every((chunk) => chunk.usage === null)).toBe(true);
      expect(chunks[3].choices[0].finish_reason).toBe('stop');
      expect(chunks[4]).toMatchObject({
        id: 'chatcmpl-Bq7TzR4vN8pWc3aYdE1fHs0mLk2Qx',
        choices: [],
        usage: { total_tokens: 23 },
      });
      expect(JSON.stringify(chunks)).not.toContain('obfuscation');
      expect(decoder.done).toBe(true);
    });

    it('keeps usage for the gateway but sends none when the client did not ask', () => {
      const { decoder, chunks } = decode('openai', 'stream.txt', false);
      expect(chunks).toHaveLength(4);
      expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
      expect(decoder.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 2, total_tokens: 23 });
    });

    it("reads Groq's x_groq.usage from the final chunk", () => {
      const { decoder, chunks } = decode('groq', 'stream.txt', true);
      expect(decoder.usage).toEqual({ prompt_tokens: 47, completion_tokens: 3, total_tokens: 50 });
      expect(chunks).toHaveLength(5);
      expect(chunks[4]).toEqual({
        id: 'chatcmpl-5f2d9c1e-8a47-4b6e-9c3d-2e1f0a7b8c9d',
        object: 'chat.completion.chunk',
        created: 1761040000,
        model: 'llama-3.3-70b-versatile',
        system_fingerprint: 'fp_4cf2a1e9b0',
        choices: [],
        usage: { prompt_tokens: 47, completion_tokens: 3, total_tokens: 50 },
      });
      expect(JSON.stringify(chunks)).not.toContain('x_groq');
    });

    it("decodes Ollama's /v1 stream", () => {
      const { chunks } = decode('ollama', 'openai-compat-stream.txt', false);
      expect(chunks.map((chunk) => chunk.choices[0].delta.content).join('')).toBe('Hello!');
      expect(chunks[2].choices[0]).toEqual({
        index: 0,
        delta: { role: 'assistant', content: '' },
        logprobs: null,
        finish_reason: 'stop',
      });
    });

    it('fails a stream that ends without [DONE]', () => {
      const decoder = codec.createStreamDecoder(context(true));
      const events = frameSse(readFixture('openai', 'stream.txt')).slice(0, 2);
      events.forEach((event) => decoder.push(event));
      const error = thrownUpstreamError(() => decoder.end());
      expect(error.failureClass).toBe(FailureClass.NetworkError);
      expect(error.message).toContain('stream ended early');
    });

    it.each<[string, StreamEvent, FailureClass]>([
      [
        'an error envelope',
        { data: '{"error":{"message":"overloaded","type":"server_error"}}' },
        FailureClass.ServiceUnavailable,
      ],
      [
        'a rate limit',
        { data: '{"error":{"message":"slow down","code":"rate_limit_exceeded"}}' },
        FailureClass.RateLimited,
      ],
      ['an SSE error event', { event: 'error', data: '{"message":"boom"}' }, FailureClass.ServiceUnavailable],
      ['a frame that is not JSON', { data: '{"choices": [' }, FailureClass.ParseError],
      ['a frame without choices', { data: '{"id":"x"}' }, FailureClass.ParseError],
    ])('throws on %s', (_case, event, failureClass) => {
      const decoder = codec.createStreamDecoder(context(false));
      expect(thrownUpstreamError(() => decoder.push(event)).failureClass).toBe(failureClass);
    });
  });

  describe('classifyError', () => {
    const classify = (provider: string, file: string, status: number, headersFile?: string) =>
      codec.classifyError(
        status,
        headersFile ? readHeadersFixture(provider, headersFile).headers : {},
        readFixture(provider, file),
        NOW,
      );

    it('classifies a bad key as auth_error and masks the key in the message', () => {
      const error = classify('openai', 'error-401.json', 401);
      expect(error).toMatchObject({
        failureClass: FailureClass.AuthError,
        status: 401,
        upstreamCode: 'invalid_api_key',
      });
      expect(error.upstreamMessage).toBe(
        'Incorrect API key provided: ****wxyz. You can find your API key at https://platform.openai.com/account/api-keys.',
      );
    });

    it.each([
      ['openai', 'error-429.json', 'headers-429.txt', 1000],
      ['openai', 'error-429.json', undefined, 135],
      ['groq', 'error-429.json', 'headers-429.txt', 4000],
      ['groq', 'error-429.json', undefined, 3300],
    ])('classifies %s %s (headers %s) as rate_limited for %i ms', (provider, file, headersFile, ms) => {
      const error = classify(provider, file, 429, headersFile);
      expect(error).toMatchObject({
        failureClass: FailureClass.RateLimited,
        retryAfterMs: ms,
        longTerm: false,
      });
      expect(error.upstreamCode).toBe('rate_limit_exceeded');
    });

    it('classifies insufficient_quota as a long-term quota', () => {
      const error = classify('openai', 'error-429-insufficient-quota.json', 429, 'headers-429.txt');
      expect(error).toMatchObject({
        failureClass: FailureClass.QuotaExceeded,
        longTerm: true,
        upstreamCode: 'insufficient_quota',
      });
    });

    it.each([
      ['openai', 'error-500.json', 500, FailureClass.ServiceUnavailable, 'server_error'],
      ['groq', 'error-401.json', 401, FailureClass.AuthError, 'invalid_api_key'],
      ['groq', 'error-498.json', 498, FailureClass.ServiceUnavailable, 'capacity_exceeded'],
      ['groq', 'error-503.json', 503, FailureClass.ServiceUnavailable, 'internal_server_error'],
      ['ollama', 'openai-compat-error-404.json', 404, FailureClass.ServiceUnavailable, 'not_found_error'],
    ])('classifies %s %s (status %i) as %s', (provider, file, status, failureClass, code) => {
      expect(classify(provider, file, status)).toMatchObject({ failureClass, status, upstreamCode: code });
    });

    it('sends a 404 to the next deployment without retrying this one', () => {
      const error = classify('ollama', 'openai-compat-error-404.json', 404);
      expect(error).toMatchObject({ shouldRetry: false, upstreamMessage: "model 'llama9' not found" });
    });

    it("reads vLLM's flat error body", () => {
      const body =
        '{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":"max_tokens","code":400}';
      expect(codec.classifyError(400, {}, body, NOW)).toMatchObject({
        failureClass: FailureClass.BadRequest,
        upstreamMessage: 'max_tokens is too large',
        upstreamCode: '400',
        param: 'max_tokens',
      });
    });

    it('classifies an HTML 502 page by its status alone', () => {
      const error = codec.classifyError(
        502,
        { 'retry-after': '2' },
        '<html><body>Bad gateway</body></html>',
        NOW,
      );
      expect(error).toMatchObject({
        failureClass: FailureClass.ServiceUnavailable,
        retryAfterMs: 2000,
        upstreamMessage: undefined,
      });
    });

    it.each([
      [408, {}, FailureClass.Timeout, undefined],
      [500, { 'x-should-retry': 'false' }, FailureClass.ServiceUnavailable, false],
      [400, { 'x-should-retry': 'true' }, FailureClass.ServiceUnavailable, true],
      [413, {}, FailureClass.BadRequest, undefined],
    ])('classifies %i with %j as %s', (status, headers, failureClass, shouldRetry) => {
      expect(codec.classifyError(status, headers, '{}', NOW)).toMatchObject({ failureClass, shouldRetry });
    });
  });
});
