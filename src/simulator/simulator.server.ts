import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleControl, type ControlTarget } from './control-api';
import { FaultProfileError } from './fault-profile.schema';
import type { FaultProfile } from './fault-profile.types';
import { loadFaultsFile } from './faults-file.loader';
import { basePathFor } from './flavours/flavour-registry';
import { sendJson } from './http-body.util';
import { DEFAULT_PROVIDERS, ProviderRegistry, type ProviderDeclaration } from './provider-registry';
import { handleProviderRequest } from './request-handler';
import { RequestRecorder } from './request-recorder';
import type { SimulatedProviderInfo, SimulatorHandle, SimulatorOptions } from './simulator.types';

/**
 * Starts the provider simulator: one node:http server, every provider under its own first path
 * segment, the control API under `/_sim/`. Resolves once it listens.
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
  const baseUrl = (name: string): string => `${url}/${name}${basePathFor(registry.require(name).flavour)}`;
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

  const server = createServer((req, res) => {
    dispatch(req, res, target).catch((error: unknown) => {
      // A bug must not kill a simulator that thousands of streams go through.
      if (!res.headersSent) sendJson(res, 500, { error: `simulator error: ${String(error)}` });
      else res.destroy();
    });
  });
  // Longer than the client pools' idle timeouts, so the client always closes idle sockets first.
  server.keepAliveTimeout = 65_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
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

  const info = (name: string): SimulatedProviderInfo => {
    const state = registry.require(name);
    return { name, flavour: state.flavour, baseUrl: baseUrl(name) };
  };
  return {
    url,
    port,
    host,
    baseUrl,
    providers: () => registry.list().map((state) => info(state.name)),
    declareProvider: async (declaration) => {
      registry.declare(declaration);
      return info(declaration.name);
    },
    faults: (name) => registry.require(name).profile,
    setFaults: async (name, profile) => registry.setFaults(name, profile),
    patchFaults: async (name, patch) => registry.patchFaults(name, patch),
    requests: (filter) => recorder.list(filter),
    clearRequests: async () => recorder.clear(),
    reset: async () => target.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function dispatch(req: IncomingMessage, res: ServerResponse, target: ControlTarget): Promise<void> {
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
