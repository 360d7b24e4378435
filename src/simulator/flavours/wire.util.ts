import type { OutgoingHttpHeaders } from 'node:http';
import type { SimRequest } from '../transport';
import type { Completion, Endpoint, ErrorRequest, HttpAnswer } from './flavour.types';

/** Request reading and answer rendering that several flavours share, whatever their protocol. */

/** `Authorization: Bearer <key>`, as OpenAI, Groq, Cohere and Ollama take it (and Anthropic's SDK sends it). */
export function bearerKey(req: SimRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header || !header.startsWith('Bearer ')) return undefined;
  const key = header.slice(7).trim();
  return key === '' ? undefined : key;
}

/** `GET {root}` lists the models and `GET {root}/{id}` describes one; undefined for anything else. */
export function matchModels(method: string, path: string, root: string): Endpoint | undefined {
  if (method !== 'GET') return undefined;
  if (path === root) return { kind: 'models' };
  if (path.startsWith(`${root}/`)) {
    return { kind: 'models', model: decodeURIComponent(path.slice(root.length + 1)) };
  }
  return undefined;
}

/** Indent 2 and a trailing newline, as OpenAI, Groq, Anthropic, Cohere and Gemini render most bodies. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** A 200 answer with a `prettyJson` body. */
export function prettyAnswer(headers: OutgoingHttpHeaders, value: unknown): HttpAnswer {
  return { status: 200, headers, body: prettyJson(value) };
}

/** An SSE event with an `event:` line, as Anthropic and Cohere frame theirs. */
export function namedEvent(type: string, json: string): string {
  return `event: ${type}\ndata: ${json}\n\n`;
}

/** A named event called after its data's `type` (both protocols repeat the name there). */
export function typedEvent<T extends { type: string }>(data: T): string {
  return namedEvent(data.type, JSON.stringify(data));
}

/**
 * The error behind an in-band stream error, for the flavours that render it with their HTTP error
 * body: the `default` variant for the completion's model, no hints. No in-band error shows the path.
 */
export function streamErrorRequest(c: Completion, status: number, message: string | undefined): ErrorRequest {
  return {
    status,
    variant: 'default',
    model: c.call.model,
    key: undefined,
    requestId: c.requestId,
    hintMs: 0,
    hints: [],
    message,
    stream: true,
    method: 'POST',
    path: '',
  };
}
