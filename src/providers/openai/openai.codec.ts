import type { IncomingHttpHeaders } from 'node:http';
import { FailureClass } from '../../common/failure-class';
import type { UpstreamError } from '../../common/upstream-error';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, Usage } from '../chat.types';
import {
  classForStatus,
  parseFailure,
  streamEndedEarly,
  streamFailure,
  upstreamFailure,
} from '../error-classification';
import { asNumber, asObject, asString, isObject, parseJson, type JsonObject } from '../json';
import type {
  ProtocolCodec,
  ResponseContext,
  StreamDecoder,
  StreamEvent,
  UpstreamRequestSpec,
  UpstreamTarget,
} from '../protocol-codec';
import { readDelta, readFinishReason, readOpenAiError, readToolCalls, readUsage } from './openai-readers';

/**
 * `openai`: OpenAI, Groq, vLLM, Ollama's `/v1` and any other OpenAI-compatible API. The request is
 * forwarded as the client sent it (unknown fields included) with the deployment's model.
 *
 * base_url: everything up to and including the API version segment, e.g.
 * `https://api.openai.com/v1`, `https://api.groq.com/openai/v1`, `http://127.0.0.1:11434/v1`;
 * paths (`/chat/completions`, `/models`) are appended to it.
 */
export class OpenAiCodec implements ProtocolCodec {
  readonly type = 'openai';
  readonly streamFraming = 'sse';

  buildChatRequest(request: ChatRequest, target: UpstreamTarget): UpstreamRequestSpec {
    const body: JsonObject = { ...request, model: target.model, stream: target.stream };
    // Always ask for usage so the gateway learns it; the decoder forwards it only if the client asked.
    if (target.stream) body.stream_options = { ...asObject(request.stream_options), include_usage: true };
    else delete body.stream_options;
    return {
      method: 'POST',
      path: '/chat/completions',
      headers: headers(target.apiKey, target.stream ? 'text/event-stream' : 'application/json'),
      body: JSON.stringify(body),
    };
  }

  parseChatResponse(body: unknown, context: ResponseContext): ChatCompletion {
    const object = asObject(body);
    if (!object) throw parseFailure(this.type, 'the response body is not a JSON object');
    if (object.error !== undefined) throw inBodyFailure(object);
    if (!Array.isArray(object.choices)) throw parseFailure(this.type, 'the response has no choices');
    const completion: ChatCompletion = {
      id: asString(object.id) ?? context.id,
      object: 'chat.completion',
      created: asNumber(object.created) ?? context.created,
      model: asString(object.model) ?? context.model,
      choices: object.choices.map((item, position) => {
        const choice = asObject(item);
        const message = asObject(choice?.message);
        if (!choice || !message) throw parseFailure(this.type, 'a choice has no message');
        const toolCalls = readToolCalls(message.tool_calls);
        const refusal = message.refusal;
        return {
          index: asNumber(choice.index) ?? position,
          message: {
            role: 'assistant' as const,
            content: asString(message.content) ?? null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            ...(typeof refusal === 'string' || refusal === null ? { refusal } : {}),
          },
          logprobs: choice.logprobs ?? null,
          finish_reason: readFinishReason(choice.finish_reason),
        };
      }),
    };
    const usage = readUsage(object);
    if (usage) completion.usage = usage;
    const fingerprint = asString(object.system_fingerprint);
    if (fingerprint !== undefined) completion.system_fingerprint = fingerprint;
    return completion;
  }

  createStreamDecoder(context: ResponseContext): StreamDecoder {
    return new OpenAiStreamDecoder(context);
  }

  buildProbeRequest(apiKey?: string): UpstreamRequestSpec {
    const { accept, authorization } = headers(apiKey, 'application/json');
    return {
      method: 'GET',
      path: '/models',
      headers: authorization ? { accept, authorization } : { accept },
    };
  }

  classifyError(status: number, headers: IncomingHttpHeaders, bodyText: string, now: number): UpstreamError {
    const error = readOpenAiError(parseJson(bodyText));
    return upstreamFailure(this.type, status, headers, now, {
      message: error.message,
      code: error.code ?? error.type,
      param: error.param,
      quota: error.code === 'insufficient_quota' || error.type === 'insufficient_quota',
      // 498 is Groq's "flex tier capacity exceeded": the service is busy, not the request bad.
      failureClass: status === 498 ? FailureClass.ServiceUnavailable : undefined,
    });
  }
}

function headers(apiKey: string | undefined, accept: string): Record<string, string> {
  const result: Record<string, string> = { 'content-type': 'application/json', accept };
  if (apiKey) result.authorization = `Bearer ${apiKey}`;
  return result;
}

/** An error object sent where an answer was expected (mid-stream, or in a 200 body). */
function inBodyFailure(body: unknown): UpstreamError {
  const error = readOpenAiError(body);
  const code = error.code ?? error.type ?? '';
  const numeric = Number(code);
  let failureClass = FailureClass.ServiceUnavailable;
  if (Number.isInteger(numeric) && numeric >= 400) failureClass = classForStatus(numeric, false);
  else if (code.includes('insufficient_quota')) failureClass = FailureClass.QuotaExceeded;
  else if (code.includes('rate_limit') || code === 'tokens' || code === 'requests')
    failureClass = FailureClass.RateLimited;
  else if (code.includes('invalid_api_key') || code.includes('authentication'))
    failureClass = FailureClass.AuthError;
  return streamFailure('openai', failureClass, error.message, code || undefined);
}

/**
 * Passes chunks through, rebuilt so only OpenAI fields reach the client. The usage the gateway
 * always asks for is kept aside and sent as the last chunk only when the client asked for it.
 */
class OpenAiStreamDecoder implements StreamDecoder {
  done = false;
  usage: Usage | undefined;
  private ended = false;
  private id: string;
  private created: number;
  private model: string;
  private fingerprint: string | undefined;
  private earlyStopReason: string | undefined;

  constructor(private readonly context: ResponseContext) {
    this.id = context.id;
    this.created = context.created;
    this.model = context.model;
  }

  push(event: StreamEvent): ChatCompletionChunk[] {
    if (this.done) return [];
    if (event.data.trim() === '[DONE]') {
      this.done = true;
      return [];
    }
    const parsed = parseJson(event.data);
    if (event.event === 'error' || (isObject(parsed) && parsed.error !== undefined)) {
      throw inBodyFailure(parsed);
    }
    const object = asObject(parsed);
    if (!object || !Array.isArray(object.choices)) {
      throw parseFailure('openai', 'a stream event is not a chunk');
    }
    this.id = asString(object.id) ?? this.id;
    this.created = asNumber(object.created) ?? this.created;
    this.model = asString(object.model) ?? this.model;
    this.fingerprint = asString(object.system_fingerprint) ?? this.fingerprint;
    this.usage = readUsage(object) ?? this.usage;
    this.earlyStopReason = asString(asObject(object.x_groq)?.error) ?? this.earlyStopReason;
    if (object.choices.length === 0) return [];
    return [this.chunk(object.choices)];
  }

  end(): ChatCompletionChunk[] {
    if (!this.done) throw streamEndedEarly('openai', this.earlyStopReason);
    if (this.ended || !this.context.includeUsage || !this.usage) return [];
    this.ended = true;
    return [{ ...this.envelope(), choices: [], usage: this.usage }];
  }

  private envelope(): Omit<ChatCompletionChunk, 'choices'> {
    const chunk: Omit<ChatCompletionChunk, 'choices'> = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
    };
    if (this.fingerprint !== undefined) chunk.system_fingerprint = this.fingerprint;
    return chunk;
  }

  private chunk(choices: unknown[]): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      ...this.envelope(),
      choices: choices.map((item, position) => {
        const choice = asObject(item) ?? {};
        return {
          index: asNumber(choice.index) ?? position,
          delta: readDelta(choice.delta),
          logprobs: choice.logprobs ?? null,
          finish_reason: readFinishReason(choice.finish_reason),
        };
      }),
    };
    if (this.context.includeUsage) chunk.usage = null;
    return chunk;
  }
}
