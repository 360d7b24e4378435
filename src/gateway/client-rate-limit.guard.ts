import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { ClientRateLimiter } from './client-rate-limiter';

/** Enforces each client's `rpm` (CONTRACT §2: 429 with Retry-After). Runs after ClientAuthGuard. */
@Injectable()
export class ClientRateLimitGuard implements CanActivate {
  private readonly limiters = new Map<string, ClientRateLimiter>();

  constructor(private readonly clock: Clock) {}

  canActivate(context: ExecutionContext): boolean {
    const client = context.switchToHttp().getRequest<FastifyRequest>().cortexClient;
    if (!client?.rpm) return true;
    let limiter = this.limiters.get(client.name);
    if (!limiter) {
      limiter = new ClientRateLimiter(client.rpm);
      this.limiters.set(client.name, limiter);
    }
    const decision = limiter.tryAcquire(this.clock.now());
    if (!decision.allowed) throw GatewayError.clientRateLimited(decision.retryAfterSeconds);
    return true;
  }
}
