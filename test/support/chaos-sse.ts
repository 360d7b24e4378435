import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/**
 * A raw HTTP client for the chaos scenarios that need what the SDK hides: every SSE event with its
 * arrival time, the exact end of a stream (error event, [DONE], or none), and aborting a stream at a
 * chosen moment. Times are epoch ms (Date.now()), comparable with the simulator's request records.
 */

export interface SseEvent {
  /** The `data:` payload as sent. */
  data: string;
  /** Parsed JSON payload; undefined for `[DONE]` or a payload that is not JSON. */
  json?: unknown;
  /** Epoch ms at which the client read the event. */
  at: number;
}

export interface RawResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body as received. */
  body: string;
  /** SSE events, in order (empty for a JSON answer). */
  events: SseEvent[];
  /** Epoch ms: request sent, response headers read, body ended (or the socket closed). */
  startedAt: number;
  headersAt?: number;
  endedAt: number;
  /** Set when the client aborted the request itself (abortAfterMs, abortAfterFirstByteMs). */
  abortedAt?: number;
  /** A socket error seen by the client (other than its own abort). */
  error?: Error;
}

export interface RawOptions {
  /** Destroy the socket this long after the request was sent. */
  abortAfterMs?: number;
  /** Destroy the socket this long after the first body bytes arrived (a client leaving mid-stream). */
  abortAfterFirstByteMs?: number;
  headers?: Record<string, string>;
}

/** POSTs a chat request to the gateway and reads the answer (JSON or SSE) to its end. */
export function postChat(baseUrl: string, body: unknown, options: RawOptions = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const result: RawResult = { status: 0, headers: {}, body: '', events: [], startedAt, endedAt: 0 };
    let buffer = '';
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      if (abortTimer) clearTimeout(abortTimer);
      result.endedAt = Date.now();
      resolve(result);
    };
    const request = httpRequest(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', ...options.headers },
    });
    let abortTimer: NodeJS.Timeout | undefined;
    const abortIn = (ms: number): void => {
      abortTimer = setTimeout(() => {
        result.abortedAt = Date.now();
        request.destroy();
        finish();
      }, ms);
    };
    if (options.abortAfterMs !== undefined) abortIn(options.abortAfterMs);
    request.on('error', (error) => {
      if (result.abortedAt === undefined) result.error = error;
      finish();
    });
    request.on('response', (response) => {
      result.status = response.statusCode ?? 0;
      result.headers = response.headers;
      result.headersAt = Date.now();
      response.setEncoding('utf8');
      response.on('data', (part: string) => {
        if (result.body === '' && options.abortAfterFirstByteMs !== undefined)
          abortIn(options.abortAfterFirstByteMs);
        result.body += part;
        buffer += part;
        const at = Date.now();
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data === '') continue;
          result.events.push({ data, json: tryJson(data), at });
        }
      });
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', (error) => {
        if (result.abortedAt === undefined) result.error = error;
        finish();
      });
    });
    request.end(JSON.stringify(body));
  });
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface ChunkLike {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  error?: { message?: string; type?: string; code?: string | null };
}

/** The content events (chunks whose delta carries text). */
export function contentEvents(events: readonly SseEvent[]): SseEvent[] {
  return events.filter((event) => {
    const content = (event.json as ChunkLike | undefined)?.choices?.[0]?.delta?.content;
    return typeof content === 'string' && content.length > 0;
  });
}

/** The text a stream delivered, all content deltas joined. */
export function streamedText(events: readonly SseEvent[]): string {
  return contentEvents(events)
    .map((event) => (event.json as ChunkLike).choices![0].delta!.content!)
    .join('');
}

/** The in-band error events of a stream (`data: {"error": ...}`). */
export function errorEvents(
  events: readonly SseEvent[],
): Array<SseEvent & { error: NonNullable<ChunkLike['error']> }> {
  return events
    .filter((event) => (event.json as ChunkLike | undefined)?.error !== undefined)
    .map((event) => ({ ...event, error: (event.json as ChunkLike).error! }));
}

/** Finish reasons seen in the stream's chunks (a clean end has one, e.g. `stop`). */
export function finishReasons(events: readonly SseEvent[]): string[] {
  return events
    .map((event) => (event.json as ChunkLike | undefined)?.choices?.[0]?.finish_reason)
    .filter((reason): reason is string => typeof reason === 'string');
}

export function header(result: RawResult, name: string): string | undefined {
  const value = result.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
