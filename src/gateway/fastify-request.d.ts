import type { ClientTier } from '../config/config.schema';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated client, set by ClientAuthGuard when `clients` is configured. */
    cortexClient?: { name: string; tier: ClientTier; rpm?: number };
  }
}
