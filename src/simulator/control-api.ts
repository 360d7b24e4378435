import type { SimRequest, SimResponse } from './transport';
import { FaultProfileError } from './fault-profile.schema';
import type { Flavour } from './flavours/flavour.types';
import { parseJson, readBody, sendJson } from './http-body.util';
import { isRecord, stringField } from './json-narrow.util';
import { UnknownProviderError, type ProviderRegistry, type ProviderState } from './provider-registry';
import type { RequestFilter, RequestRecorder } from './request-recorder';

/** What the control API operates on; the simulator server owns these. */
export interface ControlTarget {
  registry: ProviderRegistry;
  recorder: RequestRecorder;
  baseUrl(name: string): string;
  reset(): void;
  startedAt: number;
}

const FAULTS_PATH = /^\/providers\/([^/]+)\/faults$/;
const PROVIDER_PATH = /^\/providers\/([^/]+)$/;

/**
 * The JSON control API under `/_sim/`: fault profiles, provider declarations, request records.
 * Routes are listed in src/simulator/README.md.
 */
export async function handleControl(
  req: SimRequest,
  res: SimResponse,
  target: ControlTarget,
  subPath: string,
  query: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const raw = await readBody(req);
  const body = parseJson(raw);
  if (raw.trim() !== '' && body === undefined)
    return sendJson(res, 400, { error: 'the request body is not valid JSON' });
  try {
    route(method, subPath, query, body, res, target);
  } catch (error) {
    if (error instanceof UnknownProviderError) sendJson(res, 404, { error: error.message });
    else if (error instanceof FaultProfileError) sendJson(res, 400, { error: error.message });
    else throw error;
  }
}

function route(
  method: string,
  path: string,
  query: string,
  body: unknown,
  res: SimResponse,
  target: ControlTarget,
): void {
  const { registry, recorder } = target;
  const describe = (state: ProviderState) => ({
    name: state.name,
    flavour: state.flavour,
    base_url: target.baseUrl(state.name),
    faults: state.profile,
  });

  if (path === '/health' && method === 'GET') {
    sendJson(res, 200, {
      status: 'ok',
      uptime_ms: Date.now() - target.startedAt,
      providers: registry.list().length,
    });
    return;
  }
  if (path === '/providers') {
    if (method === 'GET') return sendJson(res, 200, { providers: registry.list().map(describe) });
    if (method === 'POST') {
      if (!isRecord(body)) throw new FaultProfileError('a provider declaration must be a JSON object');
      const name = stringField(body, 'name') ?? '';
      const flavour = (stringField(body, 'flavour') ?? '') as Flavour;
      const state = registry.declare({
        name,
        flavour,
        faults: isRecord(body.faults) ? body.faults : undefined,
      });
      return sendJson(res, 201, describe(state));
    }
  }
  const faults = FAULTS_PATH.exec(path);
  if (faults) {
    const name = decodeURIComponent(faults[1]);
    switch (method) {
      case 'GET':
        return sendJson(res, 200, registry.require(name).profile);
      case 'PUT':
        return sendJson(res, 200, registry.setFaults(name, body ?? {}));
      case 'PATCH':
        return sendJson(res, 200, registry.patchFaults(name, body ?? {}));
      case 'DELETE':
        return sendJson(res, 200, registry.setFaults(name, {}));
    }
  }
  const provider = PROVIDER_PATH.exec(path);
  if (provider && method === 'GET')
    return sendJson(res, 200, describe(registry.require(decodeURIComponent(provider[1]))));
  if (path === '/requests') {
    if (method === 'GET') return sendJson(res, 200, { requests: recorder.list(requestFilter(query)) });
    if (method === 'DELETE') {
      recorder.clear();
      return sendJson(res, 200, { ok: true });
    }
  }
  if (path === '/reset' && method === 'POST') {
    target.reset();
    return sendJson(res, 200, { ok: true });
  }
  sendJson(res, 404, { error: `no control route ${method} /_sim${path}` });
}

function requestFilter(query: string): RequestFilter {
  const params = new URLSearchParams(query);
  const filter: RequestFilter = {};
  const provider = params.get('provider');
  if (provider) filter.provider = provider;
  const key = params.get('key');
  if (key) filter.key = key;
  const since = Number(params.get('since') ?? NaN);
  if (Number.isFinite(since)) filter.since = since;
  // Over HTTP every request is listed unless a caller asks for chat traffic only (?probes=false).
  filter.includeProbes = params.get('probes') !== 'false';
  return filter;
}
