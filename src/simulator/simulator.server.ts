import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { handleControl, type ControlTarget } from './control-api';
import { FaultProfileError } from './fault-profile.schema';
import type { FaultProfile } from './fault-profile.types';
import { loadFaultsFile } from './faults-file.loader';
import { basePathFor } from './flavours/flavour-registry';
import { sendJson } from './http-body.util';
import {
  DEFAULT_PROVIDERS,
  ProviderRegistry,
  type ProviderDeclaration,
  type ProviderState,
} from './provider-registry';
import { handleProviderRequest } from './request-handler';
import { RequestRecorder } from './request-recorder';
import type { SimulatedProviderInfo, SimulatorHandle, SimulatorOptions } from './simulator.types';
import { H2_PREFACE, tagConnection, type SimRequest, type SimResponse } from './transport';

/**
 * Starts the provider simulator: one port speaking HTTP/1.1 and cleartext HTTP/2 (prior knowledge),
 * every provider under its own first path segment, the control API under `/_sim/`. Resolves once
 * it listens.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const file = options.faultsFile ? loadFaultsFile(options.faultsFile) : undefined;
  const registry = new ProviderRegistry(options.seed ?? file?.seed ?? 1);
  const startFaults: Record<string, FaultProfile> = { ...file?.faults, ...options.faults };
  const declarations = new Map<string, ProviderDeclaration>();
  for (const declaration of [
    ...DEFAULT_PROVIDERS,
    ...(file?.providers ?? []),
    ...(options.providers ?? []),
  ]) {
    declarations.set(declaration.name, declaration);
  }
  for (const declaration of declarations.values()) {
    registry.declare({ ...declaration, faults: startFaults[declaration.name] ?? declaration.faults });
  }
  const unknown = Object.keys(startFaults).filter((name) => !declarations.has(name));
  if (unknown.length > 0)
    throw new FaultProfileError(`faults given for undeclared provider(s): ${unknown.join(', ')}`);

  const recorder = new RequestRecorder(options.recordLimit ?? 10_000);
  const host = options.host ?? '127.0.0.1';
  let url = '';
  const baseUrlOf = (state: ProviderState): string => `${url}/${state.name}${basePathFor(state.flavour)}`;
  const baseUrl = (name: string): string => baseUrlOf(registry.require(name));
  const target: ControlTarget = {
    registry,
    recorder,
    baseUrl,
    reset: () => {
      registry.resetAll();
      recorder.clear();
    },
    startedAt: Date.now(),
  };

  const handle = (req: SimRequest, res: SimResponse): void => {
    dispatch(req, res, target).catch((error: unknown) => {
      // A bug must not kill a simulator that thousands of streams go through.
      if (!res.headersSent) sendJson(res, 500, { error: `simulator error: ${String(error)}` });
      else res.destroy();
    });
  };
  // Neither protocol server listens: the TCP server below hands each connection to one of them.
  const http1 = createHttpServer(handle);
  // Longer than the client pools' idle timeouts, so the client always closes idle sockets first.
  http1.keepAliveTimeout = 65_000;
  const http2 = createHttp2Server(handle);
  const sessions = new Set<ServerHttp2Session>();
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  // A client that breaks the protocol loses its session; the simulator carries on.
  http2.on('sessionError', () => {});

  const sockets = new Set<Socket>();
  let connections = 0;
  // No Nagle delay, as node:http's own server sets it: HTTP/2 multiplexes many streams' small
  // frames on one socket, where Nagle plus the peer's delayed ACKs would hold chunks back.
  const server = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    tagConnection(socket, ++connections);
    routeConnection(socket, http1, http2);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const info = (state: ProviderState): SimulatedProviderInfo => ({
    name: state.name,
    flavour: state.flavour,
    baseUrl: baseUrlOf(state),
  });
  return {
    url,
    port,
    host,
    baseUrl,
    providers: () => registry.list().map(info),
    declareProvider: async (declaration) => info(registry.declare(declaration)),
    faults: (name) => registry.require(name).profile,
    setFaults: async (name, profile) => registry.setFaults(name, profile),
    patchFaults: async (name, patch) => registry.patchFaults(name, patch),
    requests: (filter) => recorder.list(filter),
    clearRequests: async () => recorder.clear(),
    reset: async () => target.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Reads the first bytes of a connection: the HTTP/2 preface sends it to the HTTP/2 server (prior
 * knowledge, no upgrade), anything else to the HTTP/1.1 server. The bytes read are put back first.
 */
function routeConnection(socket: Socket, http1: HttpServer, http2: Http2Server): void {
  let head: Buffer = Buffer.alloc(0);
  // A reset before the first request must not become an uncaught 'error'.
  const onError = (): void => {};
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const n = Math.min(head.length, H2_PREFACE.length);
    const h2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (h2 && head.length < H2_PREFACE.length) return; // a preface cut short: wait for the rest
    socket.removeListener('data', onData);
    socket.removeListener('error', onError);
    socket.pause();
    socket.unshift(head);
    if (h2) {
      // The session takes over the socket and reads what was put back first.
      http2.emit('connection', socket);
    } else {
      http1.emit('connection', socket);
      socket.resume();
    }
  };
  socket.on('error', onError);
  socket.on('data', onData);
}

async function dispatch(req: SimRequest, res: SimResponse, target: ControlTarget): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  const slash = path.indexOf('/', 1);
  const name = decodeURIComponent(slash < 0 ? path.slice(1) : path.slice(1, slash));
  const subPath = slash < 0 ? '' : path.slice(slash);
  if (name === '_sim') return handleControl(req, res, target, subPath, query);
  const provider = target.registry.get(name);
  if (!provider) {
    req.resume();
    const known = target.registry.list().map((state) => state.name);
    return sendJson(res, 404, { error: `unknown simulated provider '${name}'; known: ${known.join(', ')}` });
  }
  return handleProviderRequest(req, res, provider, target.recorder, path, subPath, query);
}
