import type { IncomingHttpHeaders } from 'node:http';
import { createParser } from 'eventsource-parser';
import { Pool, type Dispatcher } from 'undici';
import type { Clock } from '../common/clock';
import { FailureClass } from '../common/failure-class';
import { UpstreamError } from '../common/upstream-error';
import type { ProviderConfig } from '../config/config.schema';
import { AttemptScope } from './attempt-scope';
import { BodyReads } from './body-reads';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from './chat.types';
import type {
  ProtocolCodec,
  ProviderType,
  ResponseContext,
  StreamEvent,
  UpstreamRequestSpec,
} from './protocol-codec';
import { newCompletionId } from './completion-id';
import { toUpstreamError } from './upstream-failure';
import { type OpenedStream, type StreamAttempt, type StreamFramer, UpstreamStream } from './upstream-stream';

/** Everything one upstream attempt needs besides the request itself. */
export interface AttemptOptions {
  /** Upstream model id of the deployment. */
  model: string;
  apiKey?: string;
  /** Aborts when the client goes away or the request's deadline passes; its reason says which. */
  signal: AbortSignal;
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Per-attempt overrides of the provider's timeouts. */
  timeouts?: Partial<AttemptTimeouts>;
  /** Scales every timeout of this attempt (degradation's reduce_timeouts); default 1. */
  timeoutFactor?: number;
}

export interface AttemptTimeouts {
  attemptMs: number;
  firstTokenMs: number;
  idleMs: number;
}

/** Raised without any upstream call when the provider already has `max_concurrency` requests in flight. */
export class ProviderBusyError extends UpstreamError {
  constructor(provider: string, limit: number) {
    super(FailureClass.ServiceUnavailable, `${provider} has ${limit} requests in flight (max_concurrency)`, {
      upstreamCode: 'cortex_concurrency_limit',
    });
    this.name = 'ProviderBusyError';
  }
}

const MAX_JSON_BODY_BYTES = 32 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * One configured provider: a protocol codec plus the HTTP half, one keep-alive undici pool per
 * provider. The adapter classifies failures; it never retries or falls back (the router does).
 */
export class ProviderAdapter {
  readonly type: ProviderType;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private inFlight = 0;

  constructor(
    readonly name: string,
    readonly config: ProviderConfig,
    private readonly codec: ProtocolCodec,
    private readonly clock: Clock,
  ) {
    this.type = codec.type;
    const url = new URL(config.base_url);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: config.connections,
      keepAliveTimeout: 30_000,
      // undici's Pool builds the connector and reads useH2c at its top level (h2Options.useH2c
      // never reaches a pooled Client's connector); its types only declare the nested one.
      ...({ useH2c: config.h2c && url.protocol === 'http:' } as object),
      h2Options: { maxConcurrentStreams: config.max_streams_per_connection },
      // Timeouts are ours (attempt, first-token, idle), so undici's own are turned off.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  get activeRequests(): number {
    return this.inFlight;
  }

  /** A non-stream completion, bounded by the attempt timeout. */
  async complete(request: ChatRequest, options: AttemptOptions): Promise<ChatCompletion> {
    const spec = this.codec.buildChatRequest(request, {
      model: options.model,
      apiKey: options.apiKey,
      stream: false,
    });
    const scope = this.enter(options.signal);
    scope.arm(
      'attempt',
      scaled(options.timeouts?.attemptMs ?? this.config.timeout_ms, options.timeoutFactor),
    );
    try {
      const response = await this.send(spec, scope.signal);
      if (response.statusCode < 200 || response.statusCode >= 300) throw await this.failure(response);
      const text = await readText(response.body, MAX_JSON_BODY_BYTES);
      return this.codec.parseChatResponse(parseJson(text), this.responseContext(options));
    } catch (error) {
      throw this.attemptError(scope, error);
    } finally {
      this.leave(scope);
    }
  }

  /**
   * A stream of OpenAI chunks (UpstreamStream): the request goes out at the first pull, and a slow
   * consumer slows the upstream read instead of filling memory. Stopping the iteration aborts the
   * upstream.
   */
  stream(request: ChatRequest, options: AttemptOptions): AsyncIterable<ChatCompletionChunk> {
    const attempt: StreamAttempt = {
      idleMs: scaled(options.timeouts?.idleMs ?? this.config.idle_timeout_ms, options.timeoutFactor),
      begin: () => {
        const scope = this.enter(options.signal);
        scope.arm(
          'first_token',
          scaled(options.timeouts?.firstTokenMs ?? this.config.first_token_timeout_ms, options.timeoutFactor),
        );
        return scope;
      },
      open: (scope) => this.openStream(request, options, scope),
      failure: (scope, error) => this.attemptError(scope, error),
      end: (scope) => this.leave(scope),
    };
    return new UpstreamStream(attempt);
  }

  /** Sends a stream request and checks the answer: 2xx and the protocol's content type. */
  private async openStream(
    request: ChatRequest,
    options: AttemptOptions,
    scope: AttemptScope,
  ): Promise<OpenedStream> {
    const spec = this.codec.buildChatRequest(request, {
      model: options.model,
      apiKey: options.apiKey,
      stream: true,
    });
    const response = await this.send(spec, scope.signal);
    try {
      if (response.statusCode < 200 || response.statusCode >= 300) throw await this.failure(response);
      this.checkStreamContentType(response.headers);
    } catch (error) {
      if (!response.body.destroyed) response.body.destroy();
      throw error;
    }
    return {
      body: response.body,
      decoder: this.codec.createStreamDecoder(this.responseContext(options)),
      framer: this.codec.streamFraming === 'sse' ? new SseFramer() : new NdjsonFramer(),
    };
  }

  /** The codec's cheap probe (model list, tags): reachability and key validity, no tokens spent. */
  async probe(options: { apiKey?: string; signal?: AbortSignal; timeoutMs?: number }): Promise<void> {
    const spec = this.codec.buildProbeRequest(options.apiKey);
    const scope = new AttemptScope(options.signal ?? new AbortController().signal);
    scope.arm('attempt', options.timeoutMs ?? this.config.timeout_ms);
    try {
      const response = await this.send(spec, scope.signal);
      if (response.statusCode < 200 || response.statusCode >= 300) throw await this.failure(response);
      await response.body.dump();
    } catch (error) {
      throw this.attemptError(scope, error);
    } finally {
      scope.dispose();
    }
  }

  classify(status: number, headers: IncomingHttpHeaders, bodyText: string): UpstreamError {
    return this.codec.classifyError(status, headers, bodyText, this.clock.now());
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private enter(signal: AbortSignal): AttemptScope {
    if (this.inFlight >= this.config.max_concurrency)
      throw new ProviderBusyError(this.name, this.config.max_concurrency);
    this.inFlight++;
    return new AttemptScope(signal);
  }

  private leave(scope: AttemptScope): void {
    this.inFlight--;
    scope.dispose();
  }

  private send(spec: UpstreamRequestSpec, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    return this.pool.request({
      method: spec.method,
      path: this.pathPrefix + spec.path,
      headers: spec.headers,
      body: spec.body,
      signal,
    });
  }

  private async failure(response: Dispatcher.ResponseData): Promise<UpstreamError> {
    const text = await readText(response.body, MAX_ERROR_BODY_BYTES, true);
    return this.classify(response.statusCode, response.headers, text);
  }

  /** The request's own abort (client gone, deadline) wins over any classification. */
  private attemptError(scope: AttemptScope, error: unknown): unknown {
    if (scope.outerAborted) return scope.outerReason ?? error;
    return toUpstreamError(error, scope.abortReason);
  }

  private checkStreamContentType(headers: Dispatcher.ResponseData['headers']): void {
    const contentType = String(headers['content-type'] ?? '');
    const expected = this.codec.streamFraming === 'sse' ? 'event-stream' : 'json';
    if (!contentType.includes(expected)) {
      throw new UpstreamError(
        FailureClass.ParseError,
        `upstream answered a stream with content-type "${contentType}"`,
      );
    }
  }

  private responseContext(options: AttemptOptions): ResponseContext {
    return {
      id: newCompletionId(),
      created: Math.floor(this.clock.now() / 1000),
      model: options.model,
      includeUsage: options.includeUsage,
    };
  }
}

function scaled(ms: number, factor = 1): number {
  return factor === 1 ? ms : Math.max(1, Math.round(ms * factor));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamError(FailureClass.ParseError, 'upstream sent a body that is not valid JSON');
  }
}

/** Reads a body up to a limit; over it the body is either cut (error bodies) or rejected. */
async function readText(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  truncate = false,
): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  const reads = new BodyReads(body);
  try {
    for (let part = await reads.next(); part !== null; part = await reads.next()) {
      size += part.length;
      if (size > limit) {
        if (truncate) break;
        throw new UpstreamError(FailureClass.ParseError, `upstream body is larger than ${limit} bytes`);
      }
      parts.push(part);
    }
  } finally {
    // Releases the connection of a body left before its end (over the limit); a no-op after it.
    body.destroy();
  }
  return Buffer.concat(parts).toString('utf8');
}

/** SSE framing (LF or CRLF): the events each network read completes. */
class SseFramer implements StreamFramer {
  private pending: StreamEvent[] = [];
  private readonly decoder = new TextDecoder();
  private readonly parser = createParser({
    onEvent: (message) => this.pending.push({ event: message.event, data: message.data }),
  });

  feed(part: Buffer): readonly StreamEvent[] {
    this.parser.feed(this.decoder.decode(part, { stream: true }));
    if (this.pending.length === 0) return NO_EVENTS;
    const ready = this.pending;
    this.pending = [];
    return ready;
  }

  /** A final event without its blank line is a truncated frame: it is not delivered. */
  end(): readonly StreamEvent[] {
    return NO_EVENTS;
  }
}

/** NDJSON framing: one JSON document per line. */
class NdjsonFramer implements StreamFramer {
  private readonly decoder = new TextDecoder();
  private buffered = '';

  feed(part: Buffer): readonly StreamEvent[] {
    this.buffered += this.decoder.decode(part, { stream: true });
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '').map((line) => ({ data: line }));
  }

  /** The last line may come without its newline. */
  end(): readonly StreamEvent[] {
    const rest = this.buffered.trim() === '' ? NO_EVENTS : [{ data: this.buffered }];
    this.buffered = '';
    return rest;
  }
}

// Shared and frozen: most reads complete no event, and returning this allocates nothing.
const NO_EVENTS: readonly StreamEvent[] = Object.freeze([]);
