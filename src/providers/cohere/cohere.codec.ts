import type { IncomingHttpHeaders } from 'node:http';
import { FailureClass } from '../../common/failure-class';
import type { UpstreamError } from '../../common/upstream-error';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, FinishReason, Usage } from '../chat.types';
import { buildCompletion, buildUsage, ChunkWriter } from '../chunk-writer';
import { parseFailure, streamEndedEarly, streamFailure, upstreamFailure } from '../error-classification';
import { asArray, asNumber, asObject, asString, parseJson, type JsonObject } from '../json';
import { readToolCalls } from '../openai/openai-readers';
import type {
  ProtocolCodec,
  ResponseContext,
  StreamDecoder,
  StreamEvent,
  UpstreamRequestSpec,
  UpstreamTarget,
} from '../protocol-codec';
import { toCohereRequest } from './cohere-request';

/**
 * `cohere`: Cohere's Chat API v2 (`/v2/chat`; models are listed under `/v1`).
 *
 * base_url: the origin only, e.g. `https://api.cohere.com`; the version is part of each path
 * because chat and the model list live under different versions.
 */
export class CohereCodec implements ProtocolCodec {
  readonly type = 'cohere';
  readonly streamFraming = 'sse';

  buildChatRequest(request: ChatRequest, target: UpstreamTarget): UpstreamRequestSpec {
    return {
      method: 'POST',
      path: '/v2/chat',
      headers: headers(target.apiKey, target.stream ? 'text/event-stream' : 'application/json', true),
      body: JSON.stringify(toCohereRequest(request, target.model, target.stream)),
    };
  }

  parseChatResponse(body: unknown, context: ResponseContext): ChatCompletion {
    const object = asObject(body);
    const message = asObject(object?.message);
    if (!object || !message) throw parseFailure(this.type, 'the response has no message');
    const finishReason = mapFinishReason(asString(object.finish_reason), undefined);
    const texts = asArray(message.content).flatMap((item) => {
      const part = asObject(item);
      return part?.type === 'text' && typeof part.text === 'string' ? [part.text] : [];
    });
    return buildCompletion(
      context,
      context.model,
      [
        {
          content: texts.length > 0 ? texts.join('') : null,
          toolCalls: readToolCalls(message.tool_calls),
          finishReason,
        },
      ],
      readUsage(object.usage),
    );
  }

  createStreamDecoder(context: ResponseContext): StreamDecoder {
    return new CohereStreamDecoder(context);
  }

  buildProbeRequest(apiKey?: string): UpstreamRequestSpec {
    return {
      method: 'GET',
      path: '/v1/models?page_size=1&endpoint=chat',
      headers: headers(apiKey, 'application/json', false),
    };
  }

  classifyError(status: number, headers: IncomingHttpHeaders, bodyText: string, now: number): UpstreamError {
    const message = asString(asObject(parseJson(bodyText))?.message);
    return upstreamFailure(this.type, status, headers, now, {
      message,
      // Trial keys are capped per month as well as per minute; only the minute clears by waiting.
      quota: status === 429 && message !== undefined && /\bmonth|monthly\b/i.test(message),
      // Cohere's 498 is "invalid token", unlike Groq's.
      failureClass: status === 498 ? FailureClass.AuthError : undefined,
    });
  }
}

function headers(apiKey: string | undefined, accept: string, json: boolean): Record<string, string> {
  const result: Record<string, string> = json ? { 'content-type': 'application/json', accept } : { accept };
  if (apiKey) result.authorization = `Bearer ${apiKey}`;
  return result;
}

/** ERROR and TIMEOUT are failures of the upstream, not answers: they throw. */
function mapFinishReason(reason: string | undefined, error: string | undefined): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case 'ERROR':
      throw streamFailure('cohere', FailureClass.ServiceUnavailable, error ?? 'generation failed', reason);
    case 'TIMEOUT':
      throw streamFailure('cohere', FailureClass.Timeout, error ?? 'generation timed out', reason);
    default:
      return 'stop';
  }
}

/**
 * Usage is read from `billed_units`, what the customer pays for; `tokens` also counts Cohere's
 * prompt template (502 tokens for a 9-token prompt), which the client never sent.
 */
function readUsage(value: unknown): Usage | undefined {
  const usage = asObject(value);
  const billed = asObject(usage?.billed_units);
  const tokens = asObject(usage?.tokens);
  const prompt = asNumber(billed?.input_tokens) ?? asNumber(tokens?.input_tokens);
  const completion = asNumber(billed?.output_tokens) ?? asNumber(tokens?.output_tokens);
  if (prompt === undefined && completion === undefined) return undefined;
  const result = buildUsage(prompt ?? 0, completion ?? 0);
  const cached = asNumber(usage?.cached_tokens);
  if (cached !== undefined) result.prompt_tokens_details = { cached_tokens: cached };
  return result;
}

/** Cohere's typed events; complete at `message-end` (there is no [DONE] sentinel). */
class CohereStreamDecoder implements StreamDecoder {
  done = false;
  usage: Usage | undefined;
  private readonly writer: ChunkWriter;
  private readonly toolIndexes = new Map<number, number>();
  private ended = false;

  constructor(context: ResponseContext) {
    this.writer = new ChunkWriter(context);
  }

  push(event: StreamEvent): ChatCompletionChunk[] {
    if (this.done || event.data.trim() === '[DONE]') return [];
    const data = asObject(parseJson(event.data));
    if (!data) throw parseFailure('cohere', 'a stream event is not a JSON object');
    const delta = asObject(data.delta);
    const message = asObject(delta?.message);
    switch (asString(data.type) ?? event.event) {
      case 'message-start':
        return this.writer.open();
      case 'content-start':
      case 'content-delta':
        return this.writer.content(asString(asObject(message?.content)?.text) ?? '');
      case 'tool-call-start':
      case 'tool-call-delta':
        return this.toolCall(asNumber(data.index) ?? 0, asObject(message?.tool_calls) ?? {});
      case 'message-end': {
        const finishReason = mapFinishReason(asString(delta?.finish_reason), asString(delta?.error));
        this.usage = readUsage(delta?.usage);
        this.done = true;
        return this.writer.finish(finishReason);
      }
      case 'error':
        throw streamFailure('cohere', FailureClass.ServiceUnavailable, asString(data.message));
      default:
        return [];
    }
  }

  end(): ChatCompletionChunk[] {
    if (!this.done) throw streamEndedEarly('cohere');
    if (this.ended) return [];
    this.ended = true;
    return this.writer.usageChunk(this.usage);
  }

  private toolCall(cohereIndex: number, call: JsonObject): ChatCompletionChunk[] {
    const fn = asObject(call.function);
    const args = asString(fn?.arguments);
    let index = this.toolIndexes.get(cohereIndex);
    if (index === undefined) {
      index = this.toolIndexes.size;
      this.toolIndexes.set(cohereIndex, index);
      const id = asString(call.id) ?? '';
      const name = asString(fn?.name) ?? '';
      return this.writer.toolCalls([
        { index, id, type: 'function', function: { name, arguments: args ?? '' } },
      ]);
    }
    return args ? this.writer.toolCalls([{ index, function: { arguments: args } }]) : [];
  }
}
