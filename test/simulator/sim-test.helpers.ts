import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';

/** Helpers shared by the simulator's own tests: raw HTTP, fixtures, frame splitting, polling. */

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every body byte received, decoded (chunked framing removed), even when the socket then failed. */
  body: string;
  /** Set when the response did not end cleanly: ECONNRESET, 'aborted', ... */
  error?: string;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Give up (and destroy the socket) after this many ms; the result then has error 'timeout'. */
  timeoutMs?: number;
}

/** One request over node:http that reports exactly what came back, including partial bodies and resets. */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return new Promise((resolve) => {
    let settled = false;
    let response: RawResponse | undefined;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(
        response
          ? { ...response, error: error ?? response.error }
          : { status: 0, headers: {}, body: '', error },
      );
    };
    const req = request(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      agent: false,
    });
    const timer = setTimeout(() => {
      finish('timeout');
      req.destroy();
    }, options.timeoutMs ?? 10_000);
    req.on('response', (res) => {
      response = { status: res.statusCode ?? 0, headers: res.headers, body: '' };
      res.setEncoding('utf8');
      res.on('data', (part: string) => (response!.body += part));
      res.on('end', () => finish());
      res.on('aborted', () => finish('aborted'));
      res.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    req.end(body);
  });
}

const FIXTURES = join(__dirname, '..', 'fixtures', 'providers');

export function fixture(provider: string, file: string): string {
  return readFileSync(join(FIXTURES, provider, file), 'utf8');
}

/** SSE frames split on the blank line that ends each event, keeping each frame's own text. */
export function sseFrames(text: string, separator: '\n\n' | '\r\n\r\n' = '\n\n'): string[] {
  const frames = text.split(separator);
  if (frames.at(-1) === '') frames.pop();
  return frames;
}

/** The JSON of a frame's `data:` line. */
export function frameData(frame: string): unknown {
  const line = frame.split(/\r?\n/).find((l) => l.startsWith('data: '));
  if (!line) throw new Error(`no data line in ${frame}`);
  return JSON.parse(line.slice(6)) as unknown;
}

/** The `event:` name of a frame, if any. */
export function frameEvent(frame: string): string | undefined {
  const line = frame.split(/\r?\n/).find((l) => l.startsWith('event: '));
  return line?.slice(7);
}

export function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null ? Object.keys(value) : [];
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const MESSAGES = [
  { role: 'system' as const, content: 'You are a terse assistant.' },
  { role: 'user' as const, content: 'Say hello.' },
];

/** The structure of a JSON value with the key order kept: what byte-level tests compare, values aside. */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.entries(value).map(([key, v]) => [key, shapeOf(v)]);
  return typeof value;
}

/** True when `text` is exactly the pretty (indent 2) rendering of its own JSON, with or without a trailing newline. */
export function prettyStyle(
  text: string,
): 'pretty' | 'pretty+newline' | 'compact' | 'compact+newline' | 'other' {
  const value = JSON.parse(text) as unknown;
  if (text === JSON.stringify(value, null, 2)) return 'pretty';
  if (text === JSON.stringify(value, null, 2) + '\n') return 'pretty+newline';
  if (text === JSON.stringify(value)) return 'compact';
  if (text === JSON.stringify(value) + '\n') return 'compact+newline';
  return 'other';
}

/** Header names of a `headers-429.txt` fixture. */
export function fixtureHeaderNames(provider: string): string[] {
  return fixture(provider, 'headers-429.txt')
    .split('\n')
    .slice(1)
    .filter((line) => line.includes(':'))
    .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}
