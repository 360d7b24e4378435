import type { OutgoingHttpHeaders } from 'node:http';
import type { SimRequest, SimResponse } from './transport';

// Far above any chat request; beyond it the body is not kept (the request still gets an answer).
const BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** Reads a request body as UTF-8; resolves '' if the client goes away first. */
export function readBody(req: SimRequest): Promise<string> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume();
    return Promise.resolve('');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT_BYTES) chunks.push(chunk);
    });
    req.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.once('error', () => resolve(''));
    req.once('close', () => resolve(''));
  });
}

/** Parses JSON into unknown; `undefined` when the text is not JSON. */
export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Sends a complete body with an exact Content-Length. */
export function sendBody(res: SimResponse, status: number, headers: OutgoingHttpHeaders, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The simulator's own JSON answers (control API, unknown provider): compact, with a newline. */
export function sendJson(res: SimResponse, status: number, value: unknown): void {
  sendBody(res, status, { 'content-type': 'application/json' }, JSON.stringify(value) + '\n');
}
