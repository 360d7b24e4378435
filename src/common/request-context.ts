import type { ClientTier } from '../config/config.schema';

/** What the gateway knows about one client request, passed from the controller down to the router. */
export interface RequestContext {
  requestId: string;
  /** Aborts when the client's connection closes. */
  signal: AbortSignal;
  client?: { name: string; tier: ClientTier };
}
