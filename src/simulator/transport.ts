import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Http2ServerResponse, type Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';

/**
 * The simulator answers HTTP/1.1 (node:http) and cleartext HTTP/2 (node:http2's compatibility API)
 * on one port with the same handlers; this is the request they receive.
 */
export type SimRequest = IncomingMessage | Http2ServerRequest;

/**
 * What the handlers use of a response: node:http's ServerResponse and node:http2's
 * Http2ServerResponse both have it (their overloads cannot be called through a union type).
 * Transport-specific moves (resets) narrow with `isHttp2`.
 */
export interface SimResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  end(): unknown;
  end(chunk: string): unknown;
  /**
   * Sends the status line and headers now (HTTP/1.1 otherwise waits for the first body byte).
   * Http2ServerResponse has it at run time, but @types/node leaves it out, hence optional here.
   */
  flushHeaders?(): void;
  destroy(): unknown;
  once(event: 'finish' | 'close' | 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/** The HTTP/2 connection preface a client with prior knowledge sends first (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const CONNECTION_ID = Symbol('simulator connection id');

/** Tags an accepted TCP connection with its sequence number (request records carry it). */
export function tagConnection(socket: Socket, id: number): void {
  (socket as Socket & { [CONNECTION_ID]?: number })[CONNECTION_ID] = id;
}

/**
 * The number of the TCP connection a request came on. Over HTTP/2 `req.socket` is the session's
 * socket proxy, which reads properties through to the tagged socket.
 */
export function connectionIdOf(req: SimRequest): number {
  const socket = req.socket as (Socket & { [CONNECTION_ID]?: number }) | null;
  return socket?.[CONNECTION_ID] ?? 0;
}

export function isHttp2(res: SimResponse): res is SimResponse & Http2ServerResponse {
  return res instanceof Http2ServerResponse;
}

/**
 * Request headers as an HTTP/1.1 request would show them: HTTP/2 pseudo-headers left out, and
 * `:authority` as `host` when there is no `host` header, so records look alike on both protocols.
 */
export function plainHeaders(req: SimRequest): IncomingHttpHeaders {
  if (req.httpVersionMajor !== 2) return req.headers;
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith(':')) headers[name] = value;
  }
  const authority = req.headers[':authority'];
  if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
  return headers;
}
