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
import { buildCompletion, buildUsage, ChunkWriter, toolCallId } from '../chunk-writer';
import { parseFailure, streamEndedEarly, streamFailure, upstreamFailure } from '../error-classification';
import { asArray, asNumber, asObject, asString, parseJson, type JsonObject } from '../json';
import type {
  ProtocolCodec,
  ResponseContext,
  StreamDecoder,
  StreamEvent,
  UpstreamRequestSpec,
  UpstreamTarget,
} from '../protocol-codec';
import { toOllamaRequest } from './ollama-request';

/**
 * `ollama`: Ollama's native API (`/api/chat`, NDJSON streams). For its OpenAI-compatible `/v1`
 * endpoints use type `openai` with base_url `http://127.0.0.1:11434/v1` instead.
 *
 * base_url: the server origin, e.g. `http://127.0.0.1:11434`; `/api/...` paths are appended.
 */
export class OllamaCodec implements ProtocolCodec {
  readonly type = 'ollama';
  readonly streamFraming = 'ndjson';

  buildChatRequest(request: ChatRequest, target: UpstreamTarget): UpstreamRequestSpec {
    return {
      method: 'POST',
      path: '/api/chat',
      headers: headers(target.apiKey, target.stream ? 'application/x-ndjson' : 'application/json', true),
      body: JSON.stringify(toOllamaRequest(request, target.model, target.stream)),
    };
  }

  parseChatResponse(body: unknown, context: ResponseContext): ChatCompletion {
    const object = asObject(body);
    if (object?.error !== undefined) {
      throw streamFailure(this.type, FailureClass.ServiceUnavailable, asString(object.error));
    }
    const message = asObject(object?.message);
    if (!object || !message) throw parseFailure(this.type, 'the response has no message');
    const toolCalls = readToolCalls(message.tool_calls).map((call, n): ToolCall => ({
      id: call.id ?? toolCallId(context, n),
      type: 'function',
      function: call.function,
    }));
    const content = asString(message.content) ?? '';
    return buildCompletion(
      context,
      asString(object.model) ?? context.model,
      [
        {
          content: content === '' && toolCalls.length > 0 ? null : content,
          toolCalls,
          finishReason: mapDoneReason(asString(object.done_reason), toolCalls.length > 0),
        },
      ],
      readUsage(object),
    );
  }

  createStreamDecoder(context: ResponseContext): StreamDecoder {
    return new OllamaStreamDecoder(context);
  }

  buildProbeRequest(apiKey?: string): UpstreamRequestSpec {
    return { method: 'GET', path: '/api/tags', headers: headers(apiKey, 'application/json', false) };
  }

  classifyError(status: number, headers: IncomingHttpHeaders, bodyText: string, now: number): UpstreamError {
    const message = asString(asObject(parseJson(bodyText))?.error);
    // `"x" does not support chat` (or tools) is this deployment's limit, like its 404 "model not
    // found": another deployment may serve the same request, so fall back instead of answering 400.
    const unsupported = status === 400 && message !== undefined && /does not support/i.test(message);
    return upstreamFailure(this.type, status, headers, now, {
      message,
      failureClass: unsupported ? FailureClass.ServiceUnavailable : undefined,
    });
  }
}

function headers(apiKey: string | undefined, accept: string, json: boolean): Record<string, string> {
  const result: Record<string, string> = json ? { 'content-type': 'application/json', accept } : { accept };
  // Local Ollama needs no key; ollama.com cloud models take a Bearer key.
  if (apiKey) result.authorization = `Bearer ${apiKey}`;
  return result;
}

function mapDoneReason(reason: string | undefined, calledTools: boolean): FinishReason {
  if (reason === 'length') return 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** Ollama omits metric fields that are zero (a fully cached prompt has no prompt_eval_count). */
function readUsage(object: JsonObject): Usage {
  return buildUsage(asNumber(object.prompt_eval_count) ?? 0, asNumber(object.eval_count) ?? 0);
}

/** Ollama's tool calls carry arguments as an object and usually no id. */
function readToolCalls(
  value: unknown,
): Array<{ id?: string; function: { name: string; arguments: string } }> {
  return asArray(value).flatMap((item) => {
    const call = asObject(item);
    const fn = asObject(call?.function);
    const name = asString(fn?.name);
    if (name === undefined) return [];
    const args = fn?.arguments;
    return [
      {
        id: asString(call?.id),
        function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
      },
    ];
  });
}

/** One JSON object per line; complete at the line with `done: true`. */
class OllamaStreamDecoder implements StreamDecoder {
  done = false;
  usage: Usage | undefined;
  private readonly writer: ChunkWriter;
  private calls = 0;
  private ended = false;

  constructor(private readonly context: ResponseContext) {
    this.writer = new ChunkWriter(context);
  }

  push(event: StreamEvent): ChatCompletionChunk[] {
    if (this.done) return [];
    const line = asObject(parseJson(event.data));
    if (!line) throw parseFailure('ollama', 'a stream line is not a JSON object');
    if (line.error !== undefined) {
      throw streamFailure('ollama', FailureClass.ServiceUnavailable, asString(line.error));
    }
    const message = asObject(line.message);
    if (!message && line.done !== true) throw parseFailure('ollama', 'a stream line has no message');
    this.writer.model = asString(line.model) ?? this.writer.model;
    const chunks = this.writer.content(asString(message?.content) ?? '');
    const deltas = readToolCalls(message?.tool_calls).map((call) => {
      const n = this.calls++;
      return {
        index: n,
        id: call.id ?? toolCallId(this.context, n),
        type: 'function' as const,
        function: call.function,
      };
    });
    if (deltas.length > 0) chunks.push(...this.writer.toolCalls(deltas));
    if (line.done === true) {
      this.done = true;
      this.usage = readUsage(line);
      chunks.push(...this.writer.finish(mapDoneReason(asString(line.done_reason), this.calls > 0)));
    }
    return chunks;
  }

  end(): ChatCompletionChunk[] {
    if (!this.done) throw streamEndedEarly('ollama');
    if (this.ended) return [];
    this.ended = true;
    return this.writer.usageChunk(this.usage);
  }
}
