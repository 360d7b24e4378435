import type { OutgoingHttpHeaders } from 'node:http';
import type { SimRequest } from '../transport';
import type { InternalErrorVariant, RetryHintKind } from '../fault-profile.types';
import { FrameTemplate, quote, SLOT, SLOT2 } from '../frame-template.util';
import { uniqueAlnum, uniqueHex } from '../id-generator';
import type {
  ChatCall,
  Completion,
  Endpoint,
  ErrorRequest,
  FlavourResponder,
  HttpAnswer,
  StreamScript,
} from './flavour.types';
import { openAiError } from './openai.errors';
import {
  badChunkFrame,
  bareCompletion,
  deltaChoices,
  finishReason,
  matchOpenAiPath,
  parseOpenAiChat,
  sse,
  SSE_DONE,
} from './openai-wire';
import { bearerKey, prettyAnswer, streamErrorRequest } from './wire.util';

// OpenAI answers with the dated snapshot of an alias; other names are echoed.
const SNAPSHOTS: Record<string, string> = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o': 'gpt-4o-2024-08-06',
};
const FINGERPRINT = 'fp_7c4e1a9b2d';
// Stand-ins for OpenAI's random-length `obfuscation` padding, cycled per chunk.
const OBFUSCATION = ['q8Z1', 'k3', 'Xw9pA', 'T2', 'm', 'Rz0', 'bN7Qe', 'u'];

const RATE_HEADERS: OutgoingHttpHeaders = {
  'openai-organization': 'org-simulator',
  'openai-processing-ms': '1',
  'openai-version': '2020-10-01',
  'x-ratelimit-limit-requests': '5000',
  'x-ratelimit-limit-tokens': '200000',
  'x-ratelimit-remaining-requests': '4999',
  'x-ratelimit-remaining-tokens': '199000',
  'x-ratelimit-reset-requests': '12ms',
  'x-ratelimit-reset-tokens': '300ms',
};

/** OpenAI Chat Completions: pretty JSON bodies, SSE with `[DONE]`, `{error:{message,type,param,code}}`. */
export class OpenAiResponder implements FlavourResponder {
  readonly flavour = 'openai' as const;
  readonly requiresKey = true;
  readonly missingKeyStatus = 401;
  readonly invalidKeyStatus = 401;

  match(method: string, path: string): Endpoint {
    return matchOpenAiPath(method, path, '/v1');
  }

  apiKey(req: SimRequest): string | undefined {
    return bearerKey(req);
  }

  parseChat(_endpoint: Endpoint, body: unknown): ChatCall | string {
    return parseOpenAiChat(body);
  }

  newRequestId(): string {
    return `req_${uniqueHex(32)}`;
  }

  private headers(requestId: string, contentType: string): OutgoingHttpHeaders {
    return { 'content-type': contentType, 'x-request-id': requestId, ...RATE_HEADERS };
  }

  private usage(c: Completion) {
    return {
      prompt_tokens: c.call.promptTokens,
      completion_tokens: c.completionTokens,
      total_tokens: c.call.promptTokens + c.completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
  }

  chatAnswer(c: Completion): HttpAnswer {
    const body = {
      id: `chatcmpl-${uniqueAlnum(29)}`,
      object: 'chat.completion',
      created: c.created,
      model: SNAPSHOTS[c.call.model] ?? c.call.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: c.text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason(c),
        },
      ],
      usage: this.usage(c),
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
    };
    return prettyAnswer(this.headers(c.requestId, 'application/json'), body);
  }

  bareAnswer(c: Completion): HttpAnswer {
    const body = bareCompletion(`chatcmpl-${uniqueAlnum(29)}`, c);
    return prettyAnswer(this.headers(c.requestId, 'application/json'), body);
  }

  chatStream(c: Completion): StreamScript {
    const { includeUsage, includeObfuscation } = c.call;
    const base = {
      id: `chatcmpl-${uniqueAlnum(29)}`,
      object: 'chat.completion.chunk',
      created: c.created,
      model: SNAPSHOTS[c.call.model] ?? c.call.model,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
    };
    // Chunks take the paddings in turn: the role chunk the first, piece i's chunk padding i + 1.
    const padding = (i: number) => OBFUSCATION[i % OBFUSCATION.length];
    const frame = (choices: unknown[], usage: unknown, obfuscation: string): string => {
      const chunk: Record<string, unknown> = { ...base, choices };
      if (includeUsage) chunk.usage = usage;
      if (includeObfuscation) chunk.obfuscation = obfuscation;
      return sse(JSON.stringify(chunk));
    };
    const template = new FrameTemplate(
      frame(deltaChoices({ content: SLOT }, null), null, SLOT2),
      includeObfuscation ? [SLOT, SLOT2] : [SLOT],
    );
    const bareChunk: Record<string, unknown> = { ...base };
    if (includeUsage) bareChunk.usage = null;
    const n = c.pieces.length;
    return {
      headers: this.headers(c.requestId, 'text/event-stream; charset=utf-8'),
      head: frame(deltaChoices({ role: 'assistant', content: '', refusal: null }, null), null, padding(0)),
      content: (i) =>
        template.fill(quote(c.pieces[i]), includeObfuscation ? quote(padding(i + 1)) : undefined),
      tail:
        frame(deltaChoices({}, finishReason(c)), null, padding(n + 1)) +
        (includeUsage ? frame([], this.usage(c), padding(n + 2)) : '') +
        SSE_DONE,
      bare: () => sse(JSON.stringify(bareChunk)),
      error: (status, message) =>
        sse(JSON.stringify({ error: openAiError(streamErrorRequest(c, status, message)) })),
      badFrame: badChunkFrame(base.id),
    };
  }

  modelsAnswer(requestId: string): HttpAnswer {
    const data = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'].map((id) => ({
      id,
      object: 'model',
      created: 1721172741,
      owned_by: 'system',
    }));
    return prettyAnswer(this.headers(requestId, 'application/json'), { object: 'list', data });
  }

  errorAnswer(r: ErrorRequest): HttpAnswer {
    // Observed: indent 2 and no trailing newline (a 500 had Content-Length 175, the fixture's length).
    return {
      status: r.status,
      headers: this.headers(r.requestId, 'application/json'),
      body: JSON.stringify({ error: openAiError(r) }, null, 2),
    };
  }

  defaultHints(status: number, variant: InternalErrorVariant): readonly RetryHintKind[] {
    return status === 429 && variant !== 'quota' ? ['ratelimit_reset', 'retry_after'] : [];
  }
}
