import type { IncomingHttpHeaders } from 'node:http';
import type { UpstreamError } from '../common/upstream-error';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, Usage } from './chat.types';

export type ProviderType = 'openai' | 'gemini' | 'cohere' | 'ollama' | 'anthropic';
export const PROVIDER_TYPES: readonly ProviderType[] = ['openai', 'gemini', 'cohere', 'ollama', 'anthropic'];

/** One HTTP request to send upstream. `path` is appended to the provider's base_url (which has no trailing slash). */
export interface UpstreamRequestSpec {
  method: 'GET' | 'POST';
  /** Path and query, starting with `/`, e.g. `/chat/completions` or `/models/x:streamGenerateContent?alt=sse`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a codec needs to know to build an upstream request. */
export interface UpstreamTarget {
  /** The upstream model id (from the deployment), not the client's model name. */
  model: string;
  /** The API key chosen for this attempt; absent for keyless providers such as a local Ollama. */
  apiKey?: string;
  stream: boolean;
}

/** Identity given to translated answers, so ids and timestamps are deterministic in tests. */
export interface ResponseContext {
  /** `chatcmpl-...` id to use when the provider's own id is not OpenAI-shaped. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The upstream model id that was asked for (the fallback when the provider does not echo it). */
  model: string;
  /** The client asked for `stream_options.include_usage`: emit a final usage chunk with `choices: []`. */
  includeUsage: boolean;
}

/** One framed event read from an upstream stream: an SSE event, or one NDJSON line (data only). */
export interface StreamEvent {
  event?: string;
  data: string;
}

/**
 * Stateful translator of one upstream stream into OpenAI chunks. `push` is called per framed event
 * and returns the chunks to send (possibly none); it throws an UpstreamError for an error event or a
 * frame that cannot be parsed. `end` is called when the upstream closed the stream; it returns the
 * trailing chunks (such as the usage chunk) and throws if the stream ended before it was complete.
 */
export interface StreamDecoder {
  push(event: StreamEvent): ChatCompletionChunk[];
  /** True once the upstream sent its terminal marker ([DONE], message_stop, done:true, ...). */
  readonly done: boolean;
  /** Token usage once the upstream reported it, whether or not the client asked for the usage chunk. */
  readonly usage?: Usage;
  end(): ChatCompletionChunk[];
}

/**
 * The pure protocol half of a provider adapter: request building, response and stream translation,
 * and error classification. No I/O here; the HTTP half lives in ProviderAdapter.
 */
export interface ProtocolCodec {
  readonly type: ProviderType;
  /** How the upstream frames a stream. */
  readonly streamFraming: 'sse' | 'ndjson';
  buildChatRequest(request: ChatRequest, target: UpstreamTarget): UpstreamRequestSpec;
  /** Translate a parsed 2xx JSON body; throws UpstreamError(parse_error) when the shape is wrong. */
  parseChatResponse(body: unknown, context: ResponseContext): ChatCompletion;
  createStreamDecoder(context: ResponseContext): StreamDecoder;
  /** A request that checks reachability and the key without spending tokens (model list, tags). */
  buildProbeRequest(apiKey?: string): UpstreamRequestSpec;
  /**
   * Classify a non-2xx answer into the taxonomy, reading every retry hint the provider sends.
   * `now` is epoch ms, for HTTP-date and absolute reset hints.
   */
  classifyError(status: number, headers: IncomingHttpHeaders, bodyText: string, now: number): UpstreamError;
}
