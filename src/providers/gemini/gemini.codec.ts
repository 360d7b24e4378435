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
import { parseFailure, streamEndedEarly, upstreamFailure } from '../error-classification';
import { asArray, asNumber, asObject, asString, parseJson, type JsonObject } from '../json';
import type {
  ProtocolCodec,
  ResponseContext,
  StreamDecoder,
  StreamEvent,
  UpstreamRequestSpec,
  UpstreamTarget,
} from '../protocol-codec';
import { readGoogleRetryDelayMs } from '../retry-hints';
import { toGeminiRequest } from './gemini-request';

/**
 * `gemini`: the Gemini API (generativelanguage), key in `x-goog-api-key`.
 *
 * base_url: up to and including the API version, e.g. `https://generativelanguage.googleapis.com/v1beta`;
 * `/models/{model}:generateContent` and `:streamGenerateContent?alt=sse` are appended to it.
 */
export class GeminiCodec implements ProtocolCodec {
  readonly type = 'gemini';
  readonly streamFraming = 'sse';

  buildChatRequest(request: ChatRequest, target: UpstreamTarget): UpstreamRequestSpec {
    const model = encodeURIComponent(target.model.replace(/^models\//, ''));
    return {
      method: 'POST',
      path: target.stream
        ? `/models/${model}:streamGenerateContent?alt=sse`
        : `/models/${model}:generateContent`,
      headers: headers(target.apiKey, target.stream ? 'text/event-stream' : 'application/json', true),
      body: JSON.stringify(toGeminiRequest(request)),
    };
  }

  parseChatResponse(body: unknown, context: ResponseContext): ChatCompletion {
    const object = asObject(body);
    if (!object) throw parseFailure(this.type, 'the response body is not a JSON object');
    if (object.error !== undefined) throw inBodyFailure(object);
    const model = asString(object.modelVersion) ?? context.model;
    const usage = readUsage(object.usageMetadata);
    const candidates = asArray(object.candidates);
    if (candidates.length === 0) {
      if (!promptBlocked(object)) throw parseFailure(this.type, 'the response has no candidates');
      return buildCompletion(
        context,
        model,
        [{ content: null, toolCalls: [], finishReason: 'content_filter' }],
        usage,
      );
    }
    let calls = 0;
    const choices = candidates.map((item) => {
      const candidate = asObject(item) ?? {};
      const { texts, functionCalls } = readParts(candidate);
      const toolCalls = functionCalls.map((call): ToolCall => ({
        ...call,
        id: call.id ?? toolCallId(context, calls++),
        type: 'function',
      }));
      return {
        content: texts.length > 0 ? texts.join('') : null,
        toolCalls,
        finishReason: mapFinishReason(asString(candidate.finishReason) ?? 'STOP', toolCalls.length > 0),
      };
    });
    return buildCompletion(context, model, choices, usage);
  }

  createStreamDecoder(context: ResponseContext): StreamDecoder {
    return new GeminiStreamDecoder(context);
  }

  buildProbeRequest(apiKey?: string): UpstreamRequestSpec {
    return { method: 'GET', path: '/models?pageSize=1', headers: headers(apiKey, 'application/json', false) };
  }

  classifyError(status: number, headers: IncomingHttpHeaders, bodyText: string, now: number): UpstreamError {
    return geminiFailure(status, headers, parseJson(bodyText), now);
  }
}

function headers(apiKey: string | undefined, accept: string, json: boolean): Record<string, string> {
  const result: Record<string, string> = json ? { 'content-type': 'application/json', accept } : { accept };
  if (apiKey) result['x-goog-api-key'] = apiKey;
  return result;
}

const CONTENT_FILTER = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
]);

function mapFinishReason(reason: string, calledTools: boolean): FinishReason {
  if (CONTENT_FILTER.has(reason)) return 'content_filter';
  if (reason === 'MAX_TOKENS') return 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

function promptBlocked(object: JsonObject): boolean {
  return asString(asObject(object.promptFeedback)?.blockReason) !== undefined;
}

interface FunctionCallPart {
  id?: string;
  function: { name: string; arguments: string };
}

/** Answer text (thoughts left out) and function calls of one candidate. */
function readParts(candidate: JsonObject): { texts: string[]; functionCalls: FunctionCallPart[] } {
  const texts: string[] = [];
  const functionCalls: FunctionCallPart[] = [];
  for (const item of asArray(asObject(candidate.content)?.parts)) {
    const part = asObject(item);
    const text = asString(part?.text);
    if (text !== undefined && part?.thought !== true) texts.push(text);
    const call = asObject(part?.functionCall);
    const name = asString(call?.name);
    if (call && name !== undefined) {
      functionCalls.push({
        id: asString(call.id),
        function: { name, arguments: JSON.stringify(call.args ?? {}) },
      });
    }
  }
  return { texts, functionCalls };
}

/** Thinking tokens are billed as output, as OpenAI counts reasoning in completion_tokens. */
function readUsage(value: unknown): Usage | undefined {
  const metadata = asObject(value);
  const prompt = asNumber(metadata?.promptTokenCount);
  if (!metadata || prompt === undefined) return undefined;
  const thoughts = asNumber(metadata.thoughtsTokenCount);
  const cached = asNumber(metadata.cachedContentTokenCount);
  const usage = buildUsage(
    prompt,
    (asNumber(metadata.candidatesTokenCount) ?? 0) + (thoughts ?? 0),
    asNumber(metadata.totalTokenCount),
  );
  if (cached !== undefined) usage.prompt_tokens_details = { cached_tokens: cached };
  if (thoughts !== undefined) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

/**
 * A google.rpc error body (object, or array as in streams). A bad key is a 400 with ErrorInfo
 * API_KEY_INVALID; FAILED_PRECONDITION means the key's project cannot use the API here (region,
 * billing), which no retry of the request fixes: both are treated as key problems.
 */
function geminiFailure(
  status: number,
  headers: IncomingHttpHeaders,
  body: unknown,
  now: number,
): UpstreamError {
  const error = asObject(asObject(Array.isArray(body) ? body[0] : body)?.error);
  const details = asArray(error?.details).map((detail) => asObject(detail) ?? {});
  const reason = details.map((detail) => asString(detail.reason)).find((value) => value !== undefined);
  const googleStatus = asString(error?.status);
  const quotaIds = details.flatMap((detail) =>
    asArray(detail.violations).map((v) => asString(asObject(v)?.quotaId)),
  );
  const keyProblem = reason?.startsWith('API_KEY_') === true || googleStatus === 'FAILED_PRECONDITION';
  return upstreamFailure('gemini', status, headers, now, {
    message: asString(error?.message),
    code: reason ?? googleStatus,
    bodyRetryAfterMs: readGoogleRetryDelayMs(body),
    quota: status === 429 && quotaIds.some((id) => id?.includes('PerDay')),
    failureClass: keyProblem ? FailureClass.AuthError : undefined,
  });
}

/** An error object where an answer was expected; its `code` is the HTTP status it stands for. */
function inBodyFailure(object: JsonObject): UpstreamError {
  return geminiFailure(asNumber(asObject(object.error)?.code) ?? 500, {}, object, 0);
}

/** Gemini has no end sentinel: the stream is complete once a candidate brought its finishReason. */
class GeminiStreamDecoder implements StreamDecoder {
  done = false;
  usage: Usage | undefined;
  private readonly writer: ChunkWriter;
  private calls = 0;
  private ended = false;

  constructor(private readonly context: ResponseContext) {
    this.writer = new ChunkWriter(context);
  }

  push(event: StreamEvent): ChatCompletionChunk[] {
    const parsed = parseJson(event.data);
    const chunks: ChatCompletionChunk[] = [];
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const object = asObject(item);
      if (!object) throw parseFailure('gemini', 'a stream event is not a JSON object');
      if (object.error !== undefined) throw inBodyFailure(object);
      this.writer.model = asString(object.modelVersion) ?? this.writer.model;
      this.usage = readUsage(object.usageMetadata) ?? this.usage;
      // Chunks after the finish can still bring the final usage, but no more content.
      if (!this.done) chunks.push(...this.translate(object));
    }
    return chunks;
  }

  end(): ChatCompletionChunk[] {
    if (!this.done) throw streamEndedEarly('gemini');
    if (this.ended) return [];
    this.ended = true;
    return this.writer.usageChunk(this.usage);
  }

  private translate(object: JsonObject): ChatCompletionChunk[] {
    if (!Array.isArray(object.candidates)) {
      if (promptBlocked(object)) {
        this.done = true;
        return this.writer.finish('content_filter');
      }
      if (object.usageMetadata !== undefined) return [];
      throw parseFailure('gemini', 'a stream event has no candidates');
    }
    const chunks: ChatCompletionChunk[] = [];
    for (const [position, item] of object.candidates.entries()) {
      const candidate = asObject(item) ?? {};
      const index = asNumber(candidate.index) ?? position;
      const { texts, functionCalls } = readParts(candidate);
      chunks.push(...this.writer.content(texts.join(''), index));
      const deltas = functionCalls.map((call) => {
        const n = this.calls++;
        return {
          index: n,
          id: call.id ?? toolCallId(this.context, n),
          type: 'function' as const,
          function: call.function,
        };
      });
      if (deltas.length > 0) chunks.push(...this.writer.toolCalls(deltas, index));
      const reason = asString(candidate.finishReason);
      if (reason !== undefined) {
        chunks.push(...this.writer.finish(mapFinishReason(reason, this.calls > 0), index));
        this.done = true;
      }
    }
    return chunks;
  }
}
