import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../common/gateway-error';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';

/**
 * CONTRACT §4: every /admin route needs `Authorization: Bearer <admin token>`: 401 without it, 403
 * with a wrong one, and with no token configured the admin API does not exist (404), so it is never
 * open by accident. Tokens are compared in constant time.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly tokens: Buffer[];

  constructor(@Inject(CORTEX_CONFIG) config: CortexConfig) {
    this.tokens = config.admin.tokens.map((token) => Buffer.from(token));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.tokens.length === 0) throw GatewayError.routeNotFound(request.method, request.url.split('?')[0]);
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) {
      throw new GatewayError(
        401,
        'authentication_error',
        'Admin routes need Authorization: Bearer <admin token>.',
        {
          code: 'missing_admin_token',
        },
      );
    }
    const given = Buffer.from(header.slice(7).trim());
    if (!this.tokens.some((token) => token.length === given.length && timingSafeEqual(token, given))) {
      throw new GatewayError(403, 'permission_error', 'This admin token is not valid.', {
        code: 'invalid_admin_token',
      });
    }
    return true;
  }
}
