import type { OutgoingHttpHeaders } from 'node:http';
import type { SimRequest } from '../transport';
import type { InternalErrorVariant, RetryHintKind } from '../fault-profile.types';
import { FrameTemplate, quote, SLOT } from '../frame-template.util';
import { uniqueHex, uniqueUuid } from '../id-generator';
import type {
  ChatCall,
  Completion,
  Endpoint,
  ErrorRequest,
  FlavourResponder,
  HttpAnswer,
  StreamScript,
} from './flavour.types';
import { groqError } from './groq.errors';
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

const FINGERPRINT = 'fp_4cf2a1e9b0';
// Groq's limits are per day for requests and per minute for tokens.
const RATE_HEADERS: OutgoingHttpHeaders = {
  server: 'cloudflare',
  'x-groq-region': 'us-west-1',
  'x-ratelimit-limit-requests': '14400',
  'x-ratelimit-limit-tokens': '12000',
  'x-ratelimit-remaining-requests': '14399',
  'x-ratelimit-remaining-tokens': '11500',
  'x-ratelimit-reset-requests': '6s',
  'x-ratelimit-reset-tokens': '2.5s',
};

function seconds(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Groq: the OpenAI protocol under /openai/v1 with `x_groq`, timing floats and compact error bodies. */
export class GroqResponder implements FlavourResponder {
  readonly flavour = 'groq' as const;
  readonly requiresKey = true;
  readonly missingKeyStatus = 401;
  readonly invalidKeyStatus = 401;

  match(method: string, path: string): Endpoint {
    return matchOpenAiPath(method, path, '/openai/v1');
  }

  apiKey(req: SimRequest): string | undefined {
    return bearerKey(req);
  }

  parseChat(_endpoint: Endpoint, body: unknown): ChatCall | string {
    return parseOpenAiChat(body);
  }

  newRequestId(): string {
    return `req_${uniqueHex(26)}`;
  }

  private headers(requestId: string, contentType: string): OutgoingHttpHeaders {
    return { 'content-type': contentType, 'x-request-id': requestId, ...RATE_HEADERS };
  }

  /** Groq's usage: token counts interleaved with timing floats in seconds, in Groq's field order. */
  private usage(c: Completion) {
    const prompt = c.call.promptTokens;
    const completion = c.completionTokens;
    const promptTime = seconds(prompt * 0.0001);
    const completionTime = seconds(completion * 0.001);
    return {
      queue_time: 0.010237,
      prompt_tokens: prompt,
      prompt_time: promptTime,
      completion_tokens: completion,
      completion_time: completionTime,
      total_tokens: prompt + completion,
      total_time: seconds(promptTime + completionTime),
    };
  }

  chatAnswer(c: Completion): HttpAnswer {
    const body = {
      id: `chatcmpl-${uniqueUuid()}`,
      object: 'chat.completion',
      created: c.created,
      model: c.call.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: c.text },
          logprobs: null,
          finish_reason: finishReason(c),
        },
      ],
      usage: this.usage(c),
      usage_breakdown: null,
      system_fingerprint: FINGERPRINT,
      x_groq: { id: c.requestId },
      service_tier: 'on_demand',
    };
    return prettyAnswer(this.headers(c.requestId, 'application/json'), body);
  }

  bareAnswer(c: Completion): HttpAnswer {
    const body = bareCompletion(`chatcmpl-${uniqueUuid()}`, c);
    return prettyAnswer(this.headers(c.requestId, 'application/json'), body);
  }

  chatStream(c: Completion): StreamScript {
    const base = {
      id: `chatcmpl-${uniqueUuid()}`,
      object: 'chat.completion.chunk',
      created: c.created,
      model: c.call.model,
      system_fingerprint: FINGERPRINT,
    };
    const template = new FrameTemplate(
      sse(JSON.stringify({ ...base, choices: deltaChoices({ content: SLOT }, null) })),
    );
    return {
      headers: this.headers(c.requestId, 'text/event-stream'),
      head: sse(
        JSON.stringify({
          ...base,
          choices: deltaChoices({ role: 'assistant', content: '' }, null),
          x_groq: { id: c.requestId },
        }),
      ),
      content: (i) => template.fill(quote(c.pieces[i])),
      // Groq reports stream usage in the final chunk's x_groq, not in a separate usage chunk.
      tail:
        sse(
          JSON.stringify({
            ...base,
            choices: deltaChoices({}, finishReason(c)),
            x_groq: { id: c.requestId, usage: this.usage(c) },
          }),
        ) + SSE_DONE,
      bare: () => sse(JSON.stringify(base)),
      error: (status, message) =>
        sse(JSON.stringify({ error: groqError(streamErrorRequest(c, status, message)) })),
      badFrame: badChunkFrame(base.id),
    };
  }

  modelsAnswer(requestId: string): HttpAnswer {
    const data = ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant'].map((id) => ({
      id,
      object: 'model',
      created: 1733447754,
      owned_by: 'Meta',
      active: true,
      context_window: 131072,
      public_apps: null,
      max_completion_tokens: 32768,
    }));
    return {
      status: 200,
      headers: this.headers(requestId, 'application/json'),
      body: JSON.stringify({ object: 'list', data }) + '\n',
    };
  }

  errorAnswer(r: ErrorRequest): HttpAnswer {
    // Observed: compact with a trailing newline (a 401 had Content-Length 96, the fixture's length).
    return {
      status: r.status,
      headers: this.headers(r.requestId, 'application/json'),
      body: JSON.stringify({ error: groqError(r) }) + '\n',
    };
  }

  defaultHints(status: number, variant: InternalErrorVariant): readonly RetryHintKind[] {
    if (status !== 429) return [];
    return variant === 'quota' ? ['retry_after'] : ['retry_after', 'ratelimit_reset'];
  }
}
