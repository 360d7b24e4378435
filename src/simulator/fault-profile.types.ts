/**
 * The fault profile of one simulated provider: everything the simulator does differently from a
 * healthy, instant provider. Field names are snake_case because profiles are written in JSON/YAML.
 * src/simulator/README.md documents each field with examples.
 */

/** How a 429 (or 503/529) tells the client when to come back. */
export type RetryHintKind =
  | 'retry_after' // `retry-after: <seconds>` (decimal when not whole)
  | 'retry_after_date' // `retry-after: <HTTP-date>`
  | 'retry_after_ms' // OpenAI's `retry-after-ms: <ms>`
  | 'ratelimit_reset' // `x-ratelimit-remaining-*: 0` + `x-ratelimit-reset-*: <Go duration>`
  | 'retry_info' // Gemini `google.rpc.RetryInfo.retryDelay` in the body
  | 'anthropic_ratelimit' // `anthropic-ratelimit-requests-remaining: 0` + `-reset: <RFC 3339>`
  | 'none';

/** Which error body a status gets when a provider has several (e.g. OpenAI's two 429s). */
export type ErrorVariant = 'default' | 'rate_limit' | 'quota' | 'invalid_key' | 'model_not_found';

/** Variants the simulator uses on its own (not settable in a profile). */
export type InternalErrorVariant = ErrorVariant | 'missing_key' | 'unknown_route' | 'bad_request';

export type MalformedKind =
  | 'truncated_json' // 200, a JSON body cut in half (Content-Length matches what is sent)
  | 'html' // an HTML error page, status 200 unless the rule sets one (e.g. 502)
  | 'no_choices' // well-formed JSON without the content field (choices, candidates, message, content)
  | 'bad_sse_line' // a frame whose data is not JSON, then the rest of the stream as normal
  | 'content_length_mismatch' // declares more bytes than it sends, then closes the socket
  | 'truncated_final_frame'; // stream: the last data frame is cut mid-JSON, then a clean end

export type RuleAction =
  | 'error' // answer `status` in the provider's own error format
  | 'hang' // never send headers; hold the socket until the client gives up
  | 'reset_before_headers' // destroy the socket (TCP RST) as soon as the request arrived
  | 'disconnect' // reset the socket after `after_chunks` content chunks
  | 'stream_error' // the provider's in-band error event after `after_chunks` chunks
  | 'stall' // send `after_chunks` chunks, then go silent with the socket open
  | 'malformed' // a broken answer of kind `kind`
  | 'delay'; // answer normally, with this rule's timing fields

/** Timing and length knobs; set on the profile, a rule that matches overrides them. */
export interface TimingFields {
  /** Delay before the response headers. */
  latency_ms?: number;
  /** Extra uniform random delay in [0, jitter_ms), from the profile's seeded source. */
  jitter_ms?: number;
  /** Streams: after the headers, before the first body byte. Non-streams: added to the latency. */
  first_token_delay_ms?: number;
  /** Streams: between two content chunks. */
  chunk_delay_ms?: number;
  /** Words in the generated answer (default 12); max tokens of the request can only shorten it. */
  response_words?: number;
}

/** Which requests a rule applies to; every given condition must hold. */
export interface RuleSelector {
  /** Probability 0..1 that a request otherwise selected is hit (seeded, so runs replay). Default 1. */
  rate?: number;
  /** Only the first N chat requests since the profile was set (PUT). */
  first_n?: number;
  /** Only chat requests after the first N. */
  after_n?: number;
  /** Only every n-th chat request (n, 2n, ...). */
  every_nth?: number;
  /** Only requests presenting one of these API keys. */
  keys?: string[];
  /** Only requests for one of these models. */
  models?: string[];
  /** Only from / until these epoch-ms instants. */
  from?: number;
  until?: number;
  /** Periodic window: active for the first `active_ms` of every `cycle_ms`, counted from when the profile was set. */
  cycle_ms?: number;
  active_ms?: number;
  /** `chat` (default): chat requests only; `all`: model lists and health endpoints too. */
  scope?: 'chat' | 'all';
}

export interface FaultRule extends RuleSelector, TimingFields {
  /** Optional when `status` is given: `{status: 503}` means `{action: 'error', status: 503}`. */
  action?: RuleAction;
  /** HTTP status for `error` (required), `malformed` html, and the kind of `stream_error`. */
  status?: number;
  variant?: ErrorVariant;
  /** Retry hints to attach; default is the provider's own habit for that status. */
  hint?: RetryHintKind | RetryHintKind[];
  /** The wait the hint expresses, in ms (default 1000). */
  hint_ms?: number;
  /** For disconnect / stream_error / stall / bad_sse_line: content chunks sent first (default 0). */
  after_chunks?: number;
  /** For `malformed`. */
  kind?: MalformedKind;
  /** Replaces the provider's default error message. */
  message?: string;
}

export interface FaultProfile extends TimingFields {
  /** Seed of this provider's random source (rates, jitter); default: the simulator's seed. */
  seed?: number;
  /** When set, other models get the provider's 404 model-not-found answer. */
  known_models?: string[];
  /** Keys answered with the provider's bad-key error (401; Gemini 400 API_KEY_INVALID). */
  invalid_keys?: string[];
  /** Each key may make N chat requests; later ones get the provider's quota-exhausted 429. */
  quota?: { requests_per_key: number };
  /** Each key may make `requests` chat requests per `window_ms` (default 1000); beyond: 429 + Retry-After. */
  rate_limit?: { requests: number; window_ms?: number };
  /** Every request before this epoch-ms instant answers `down_status` (default 503). */
  down_until?: number;
  down_status?: number;
  /** Evaluated in order; the first rule that selects the request applies. */
  rules?: FaultRule[];
  /**
   * Benchmarks: each stream content chunk's text ends in `<t=EPOCH_MS>` (sub-ms wall clock at the
   * moment the chunk is written), so a client can measure each chunk's delivery latency.
   */
  stamp_chunks?: boolean;
}
