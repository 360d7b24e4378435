import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../common/gateway-error';
import { CORTEX_CONFIG } from '../config/config.module';
import type { ClientConfig, CortexConfig } from '../config/config.schema';

/**
 * Authenticates the client by its Bearer key when `clients` is configured, and attaches its name and
 * tier to the request. The tier comes only from the configuration, never from anything the client sends.
 */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  private readonly byKey: ReadonlyMap<string, ClientConfig>;

  constructor(@Inject(CORTEX_CONFIG) config: CortexConfig) {
    this.byKey = new Map(config.clients.map((client) => [client.key, client]));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.byKey.size === 0) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    if (!header) throw GatewayError.authentication('Missing client key: send Authorization: Bearer <key>.');
    const key = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const client = this.byKey.get(key);
    if (!client) throw GatewayError.authentication('Unknown client key.');
    request.cortexClient = { name: client.name, tier: client.tier, rpm: client.rpm };
    return true;
  }
}
