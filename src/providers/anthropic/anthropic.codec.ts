import type { IncomingHttpHeaders } from 'node:http';
import { FailureClass } from '../../common/failure-class';
import type { UpstreamError } from '../../common/upstream-error';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  FinishReason,
  ToolCall,
  Usage,
} from '../chat.types';
import { buildCompletion, buildUsage, ChunkWriter } from '../chunk-writer';
import { parseFailure, streamEndedEarly, streamFailure, upstreamFailure } from '../error-classification';
import { asNumber, asObject, asString, parseJson, type JsonObject } from '../json';
import type {
  ProtocolCodec,
  ResponseContext,
  StreamDecoder,
  StreamEvent,
  UpstreamRequestSpec,
  UpstreamTarget,
} from '../protocol-codec';
import { toAnthropicRequest } from './anthropic-request';

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * `anthropic`: the Anthropic Messages API.
 *
 * base_url: the origin only, e.g. `https://api.anthropic.com` (no `/v1`); `/v1/messages` and
 * `/v1/models` are appended, as Anthropic's own SDK does with its base URL.
 */
export class AnthropicCodec implements ProtocolCodec {
  readonly type = 'anthropic';
  readonly streamFraming = 'sse';

  buildChatRequest(request: ChatRequest, target: UpstreamTarget): UpstreamRequestSpec {
    return {
      method: 'POST',
      path: '/v1/messages',
      headers: headers(target.apiKey, target.stream ? 'text/event-stream' : 'application/json', true),
      body: JSON.stringify(toAnthropicRequest(request, target.model, target.stream)),
    };
  }

  parseChatResponse(body: unknown, context: ResponseContext): ChatCompletion {
    const object = asObject(body);
    if (object?.type === 'error') throw errorEventFailure(object.error);
    if (!object || !Array.isArray(object.content)) {
      throw parseFailure(this.type, 'the response has no content');
    }
    const texts: string[] = [];
    const toolCalls: ToolCall[] = [];
    for (const item of object.content) {
      const block = asObject(item);
      if (block?.type === 'text' && typeof block.text === 'string') texts.push(block.text);
      const name = asString(block?.name);
      if (block?.type === 'tool_use' && name !== undefined) {
        const args = JSON.stringify(block.input ?? {});
        toolCalls.push({
          id: asString(block.id) ?? '',
          type: 'function',
          function: { name, arguments: args },
        });
      }
    }
    return buildCompletion(
      context,
      asString(object.model) ?? context.model,
      [
        {
          content: texts.length > 0 ? texts.join('') : null,
          toolCalls,
          finishReason: mapStopReason(object.stop_reason),
        },
      ],
      readUsage(asObject(object.usage)),
    );
  }

  createStreamDecoder(context: ResponseContext): StreamDecoder {
    return new AnthropicStreamDecoder(context);
  }

  buildProbeRequest(apiKey?: string): UpstreamRequestSpec {
    return { method: 'GET', path: '/v1/models?limit=1', headers: headers(apiKey, 'application/json', false) };
  }

  classifyError(status: number, headers: IncomingHttpHeaders, bodyText: string, now: number): UpstreamError {
    const error = asObject(asObject(parseJson(bodyText))?.error);
    const type = asString(error?.type);
    const message = asString(error?.message);
    // Out of credit arrives as a 400 invalid_request_error; a spend limit as a 429 that waiting will not clear.
    const quota =
      type === 'billing_error' ||
      asString(asObject(error?.details)?.error_code) === 'enforced_spend_limit_reached' ||
      (message !== undefined && /credit balance is too low|spend limit/i.test(message));
    return upstreamFailure(this.type, status, headers, now, {
      message,
      code: type,
      quota,
      failureClass: quota ? FailureClass.QuotaExceeded : undefined,
    });
  }
}

function headers(apiKey: string | undefined, accept: string, json: boolean): Record<string, string> {
  const result: Record<string, string> = { accept, 'anthropic-version': ANTHROPIC_VERSION };
  if (json) result['content-type'] = 'application/json';
  if (apiKey) result['x-api-key'] = apiKey;
  return result;
}

function mapStopReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

const ERROR_TYPE_CLASSES: Record<string, FailureClass> = {
  rate_limit_error: FailureClass.RateLimited,
  timeout_error: FailureClass.Timeout,
  authentication_error: FailureClass.AuthError,
  permission_error: FailureClass.AuthError,
  billing_error: FailureClass.QuotaExceeded,
  invalid_request_error: FailureClass.BadRequest,
  request_too_large: FailureClass.BadRequest,
};

/** An `error` event (or error body with a 2xx): only the error type tells the class. */
function errorEventFailure(value: unknown): UpstreamError {
  const error = asObject(value);
  const type = asString(error?.type);
  const failureClass = (type && ERROR_TYPE_CLASSES[type]) || FailureClass.ServiceUnavailable;
  return streamFailure('anthropic', failureClass, asString(error?.message), type);
}

/** OpenAI's prompt_tokens includes cached tokens; Anthropic counts them apart. */
function readUsage(usage: JsonObject | undefined, outputTokens?: number): Usage | undefined {
  const input = asNumber(usage?.input_tokens);
  if (!usage || input === undefined) return undefined;
  const cacheRead = asNumber(usage.cache_read_input_tokens) ?? 0;
  const prompt = input + (asNumber(usage.cache_creation_input_tokens) ?? 0) + cacheRead;
  const result = buildUsage(prompt, outputTokens ?? asNumber(usage.output_tokens) ?? 0);
  if (cacheRead > 0) result.prompt_tokens_details = { cached_tokens: cacheRead };
  return result;
}

/** Named events; complete at `message_stop`. Output tokens are cumulative in `message_delta`. */
class AnthropicStreamDecoder implements StreamDecoder {
  done = false;
  usage: Usage | undefined;
  private readonly writer: ChunkWriter;
  private readonly toolIndexes = new Map<number, number>();
  private inputUsage: JsonObject | undefined;
  private finished = false;
  private ended = false;

  constructor(context: ResponseContext) {
    this.writer = new ChunkWriter(context);
  }

  push(event: StreamEvent): ChatCompletionChunk[] {
    if (this.done) return [];
    const data = asObject(parseJson(event.data));
    if (!data) throw parseFailure('anthropic', 'a stream event is not a JSON object');
    const index = asNumber(data.index) ?? 0;
    switch (asString(data.type) ?? event.event) {
      case 'error':
        throw errorEventFailure(data.error);
      case 'message_start': {
        const message = asObject(data.message);
        this.writer.model = asString(message?.model) ?? this.writer.model;
        this.inputUsage = asObject(message?.usage);
        this.usage = readUsage(this.inputUsage);
        return this.writer.open();
      }
      case 'content_block_start':
        return this.blockStart(index, asObject(data.content_block) ?? {});
      case 'content_block_delta':
        return this.blockDelta(index, asObject(data.delta) ?? {});
      case 'message_delta':
        return this.messageDelta(data);
      case 'message_stop':
        this.done = true;
        return this.finished ? [] : this.finish('stop');
      default:
        return [];
    }
  }

  end(): ChatCompletionChunk[] {
    if (!this.done) throw streamEndedEarly('anthropic');
    if (this.ended) return [];
    this.ended = true;
    return this.writer.usageChunk(this.usage);
  }

  private blockStart(index: number, block: JsonObject): ChatCompletionChunk[] {
    if (block.type === 'text') return this.writer.content(asString(block.text) ?? '');
    if (block.type !== 'tool_use') return [];
    const toolIndex = this.toolIndexes.size;
    this.toolIndexes.set(index, toolIndex);
    const id = asString(block.id) ?? '';
    const name = asString(block.name) ?? '';
    return this.writer.toolCalls([
      { index: toolIndex, id, type: 'function', function: { name, arguments: '' } },
    ]);
  }

  private blockDelta(index: number, delta: JsonObject): ChatCompletionChunk[] {
    if (delta.type === 'text_delta') return this.writer.content(asString(delta.text) ?? '');
    const toolIndex = this.toolIndexes.get(index);
    const partial = asString(delta.partial_json);
    if (delta.type !== 'input_json_delta' || toolIndex === undefined || !partial) return [];
    return this.writer.toolCalls([{ index: toolIndex, function: { arguments: partial } }]);
  }

  private messageDelta(data: JsonObject): ChatCompletionChunk[] {
    const usage = asObject(data.usage);
    const output = asNumber(usage?.output_tokens);
    if (usage?.input_tokens !== undefined) this.inputUsage = { ...this.inputUsage, ...usage };
    this.usage = readUsage(this.inputUsage, output ?? this.usage?.completion_tokens) ?? this.usage;
    const reason = asObject(data.delta)?.stop_reason;
    return typeof reason === 'string' ? this.finish(mapStopReason(reason)) : [];
  }

  private finish(reason: FinishReason): ChatCompletionChunk[] {
    this.finished = true;
    return this.writer.finish(reason);
  }
}
