import type { OutgoingHttpHeaders } from 'node:http';
import type { SimRequest } from '../transport';
import type { InternalErrorVariant, RetryHintKind } from '../fault-profile.types';
import { FrameTemplate, quote, SLOT } from '../frame-template.util';
import { formatRfc3339Seconds } from '../go-duration.util';
import { uniqueAlnum } from '../id-generator';
import { arrayField, isRecord, maxTokensField, stringField } from '../json-narrow.util';
import { PromptDigest } from '../text-hash.util';
import { anthropicError, anthropicErrorType } from './anthropic.errors';
import type {
  ChatCall,
  Completion,
  Endpoint,
  ErrorRequest,
  FlavourResponder,
  HttpAnswer,
  StreamScript,
} from './flavour.types';
import { bearerKey, matchModels, namedEvent, prettyAnswer, typedEvent } from './wire.util';

// The reset headers are absolute RFC 3339 instants; rebuilt at most once per second.
let rateSecond = -1;
let rateHeaders: OutgoingHttpHeaders = {};
function currentRateHeaders(now: number): OutgoingHttpHeaders {
  const second = Math.floor(now / 1000);
  if (second !== rateSecond) {
    rateSecond = second;
    const soon = formatRfc3339Seconds(now + 1000);
    const minute = formatRfc3339Seconds(now + 60_000);
    rateHeaders = {
      'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': soon,
      'anthropic-ratelimit-input-tokens-limit': '30000',
      'anthropic-ratelimit-input-tokens-remaining': '29000',
      'anthropic-ratelimit-input-tokens-reset': minute,
      'anthropic-ratelimit-output-tokens-limit': '8000',
      'anthropic-ratelimit-output-tokens-remaining': '8000',
      'anthropic-ratelimit-output-tokens-reset': soon,
      'anthropic-ratelimit-tokens-limit': '38000',
      'anthropic-ratelimit-tokens-remaining': '37000',
      'anthropic-ratelimit-tokens-reset': minute,
    };
  }
  return rateHeaders;
}

/** Anthropic Messages: x-api-key + anthropic-version, named SSE events, `{type:'error',...,request_id}`. */
export class AnthropicResponder implements FlavourResponder {
  readonly flavour = 'anthropic' as const;
  readonly requiresKey = true;
  readonly missingKeyStatus = 401;
  readonly invalidKeyStatus = 401;

  match(method: string, path: string): Endpoint {
    if (method === 'POST' && path === '/v1/messages') return { kind: 'chat' };
    return matchModels(method, path, '/v1/models') ?? { kind: 'not_found' };
  }

  /** `x-api-key` per the API reference; the official SDK 1.x sends the key as `Authorization: Bearer`. */
  apiKey(req: SimRequest): string | undefined {
    const key = req.headers['x-api-key'];
    return typeof key === 'string' && key !== '' ? key : bearerKey(req);
  }

  checkHeaders(req: SimRequest): string | undefined {
    return req.headers['anthropic-version'] ? undefined : 'anthropic-version: header is required';
  }

  parseChat(_endpoint: Endpoint, body: unknown): ChatCall | string {
    if (!isRecord(body)) return 'There was an issue with your request body: invalid JSON.';
    const model = stringField(body, 'model');
    if (!model) return 'model: Field required';
    const maxTokens = maxTokensField(body, 'max_tokens');
    if (maxTokens === undefined) return 'max_tokens: Field required';
    const messages = arrayField(body, 'messages');
    if (!messages) return 'messages: Field required';
    const digest = new PromptDigest(model);
    digest.addContent(body.system);
    digest.addMessages(messages);
    return {
      model,
      stream: body.stream === true,
      maxTokens,
      promptTokens: digest.tokens,
      promptHash: digest.hash,
      includeUsage: false,
      includeObfuscation: false,
    };
  }

  newRequestId(): string {
    return `req_011C${uniqueAlnum(20)}`;
  }

  private headers(requestId: string, contentType: string): OutgoingHttpHeaders {
    return { 'content-type': contentType, 'request-id': requestId, ...currentRateHeaders(Date.now()) };
  }

  private stopReason(c: Completion): string {
    return c.truncated ? 'max_tokens' : 'end_turn';
  }

  /** A message as the Messages API renders it; at the start of a stream it has no stop reason yet. */
  private message(c: Completion, content: unknown[], stopReason: string | null, outputTokens: number) {
    return {
      id: `msg_01${uniqueAlnum(22)}`,
      type: 'message',
      role: 'assistant',
      model: c.call.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: c.call.promptTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: outputTokens,
        service_tier: 'standard',
      },
    };
  }

  chatAnswer(c: Completion): HttpAnswer {
    const body = this.message(c, [{ type: 'text', text: c.text }], this.stopReason(c), c.completionTokens);
    return prettyAnswer(this.headers(c.requestId, 'application/json'), body);
  }

  bareAnswer(c: Completion): HttpAnswer {
    const { content: _content, ...body } = this.message(c, [], this.stopReason(c), c.completionTokens);
    return prettyAnswer(this.headers(c.requestId, 'application/json'), body);
  }

  chatStream(c: Completion): StreamScript {
    const delta = new FrameTemplate(
      typedEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: SLOT } }),
    );
    return {
      headers: this.headers(c.requestId, 'text/event-stream; charset=utf-8'),
      head:
        typedEvent({ type: 'message_start', message: this.message(c, [], null, 1) }) +
        typedEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      content: (i) => delta.fill(quote(c.pieces[i])),
      tail:
        typedEvent({ type: 'content_block_stop', index: 0 }) +
        typedEvent({
          type: 'message_delta',
          delta: { stop_reason: this.stopReason(c), stop_sequence: null },
          usage: { output_tokens: c.completionTokens },
        }) +
        typedEvent({ type: 'message_stop' }),
      bare: () => typedEvent({ type: 'content_block_delta', index: 0 }),
      // In-band errors carry no request_id (see stream-error-midway.txt).
      error: (status, message) =>
        typedEvent({
          type: 'error',
          error: {
            type: anthropicErrorType(status),
            message: message ?? (status === 529 ? 'Overloaded' : 'Internal server error'),
          },
        }),
      badFrame: namedEvent(
        'content_block_delta',
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":',
      ),
    };
  }

  modelsAnswer(requestId: string, model?: string): HttpAnswer {
    const describe = (id: string) => ({
      type: 'model',
      id,
      display_name: id,
      created_at: '2025-05-22T00:00:00Z',
    });
    const ids = ['claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022'];
    const body = model
      ? describe(model)
      : { data: ids.map(describe), has_more: false, first_id: ids[0], last_id: ids[1] };
    return { status: 200, headers: this.headers(requestId, 'application/json'), body: JSON.stringify(body) };
  }

  errorAnswer(r: ErrorRequest): HttpAnswer {
    return {
      status: r.status,
      headers: this.headers(r.requestId, 'application/json'),
      body: JSON.stringify(anthropicError(r)),
    };
  }

  defaultHints(status: number, variant: InternalErrorVariant): readonly RetryHintKind[] {
    return status === 429 && variant !== 'quota' ? ['retry_after', 'anthropic_ratelimit'] : [];
  }
}
