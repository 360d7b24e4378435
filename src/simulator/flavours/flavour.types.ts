import type { OutgoingHttpHeaders } from 'node:http';
import type { SimRequest } from '../transport';
import type { InternalErrorVariant, RetryHintKind } from '../fault-profile.types';

/** The wire dialects the simulator speaks; `groq` is OpenAI's protocol with Groq's habits. */
export type Flavour = 'openai' | 'groq' | 'gemini' | 'cohere' | 'ollama' | 'anthropic';
export const FLAVOURS: readonly Flavour[] = ['openai', 'groq', 'gemini', 'cohere', 'ollama', 'anthropic'];

/** What a path under a provider's root asks for. Gemini carries the model and stream flag in the path. */
export type Endpoint =
  | { kind: 'chat'; model?: string; stream?: boolean }
  | { kind: 'models'; model?: string }
  | { kind: 'static'; status: number; contentType: string; body: string }
  | { kind: 'not_found' };

/** A chat request, reduced to what the simulator needs. */
export interface ChatCall {
  model: string;
  stream: boolean;
  /** The request's max tokens field under whatever name the protocol uses. */
  maxTokens?: number;
  promptTokens: number;
  promptHash: number;
  /** OpenAI `stream_options`. */
  includeUsage: boolean;
  includeObfuscation: boolean;
}

/** One generated answer, shared by the stream and non-stream renderings so both agree. */
export interface Completion {
  call: ChatCall;
  pieces: string[];
  text: string;
  completionTokens: number;
  /** Max tokens cut the answer short: finish reason is the protocol's `length`. */
  truncated: boolean;
  /** The provider-style request id, also sent in the request-id header. */
  requestId: string;
  /** Unix seconds. */
  created: number;
}

export interface HttpAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: string;
}

/**
 * A stream, pre-rendered into strings: the runner only concatenates and writes, so holding
 * thousands of streams costs little CPU. `content(i)` is the frame carrying piece i.
 */
export interface StreamScript {
  headers: OutgoingHttpHeaders;
  head: string;
  content(index: number): string;
  tail: string;
  /** A content frame without the content field, for the `no_choices` malformation. */
  bare(index: number): string;
  /** The provider's in-band error frame. */
  error(status: number, message?: string): string;
  /** The frame used for `bad_sse_line`: framed like the protocol, with data that is not JSON. */
  badFrame: string;
}

export interface ErrorRequest {
  status: number;
  variant: InternalErrorVariant;
  model: string;
  key: string | undefined;
  requestId: string;
  /** The wait a hint expresses, for messages ("try again in 1.2s") and Gemini's RetryInfo. */
  hintMs: number;
  hints: readonly RetryHintKind[];
  message?: string;
  /** Gemini answers errors on its stream endpoint with an event-stream content type. */
  stream: boolean;
  method: string;
  path: string;
}

/** The protocol half of a simulated provider: routing, parsing and rendering, no timing or faults. */
export interface FlavourResponder {
  readonly flavour: Flavour;
  /** Maps a method and path (relative to the provider root, no query) to an endpoint. */
  match(method: string, path: string): Endpoint;
  /** The key the client presented, if any. */
  apiKey(req: SimRequest, query: string): string | undefined;
  /** Whether this protocol refuses requests without a key (Ollama does not). */
  readonly requiresKey: boolean;
  /** The status of a missing and of a rejected key (Gemini: 403 and 400, most others 401). */
  readonly missingKeyStatus: number;
  readonly invalidKeyStatus: number;
  /** A protocol-level header check (Anthropic's anthropic-version); returns an error message. */
  checkHeaders?(req: SimRequest): string | undefined;
  /** Reads the chat request body; a string is a 400 message. */
  parseChat(endpoint: Extract<Endpoint, { kind: 'chat' }>, body: unknown): ChatCall | string;
  newRequestId(): string;
  chatAnswer(completion: Completion): HttpAnswer;
  chatStream(completion: Completion): StreamScript;
  /** A 200 body without the content field. */
  bareAnswer(completion: Completion): HttpAnswer;
  /** The model list, or one model's description when `model` is set. */
  modelsAnswer(requestId: string, model?: string): HttpAnswer;
  errorAnswer(request: ErrorRequest): HttpAnswer;
  /** The hints this provider sends by default with a status and variant. */
  defaultHints(status: number, variant: InternalErrorVariant): readonly RetryHintKind[];
}
