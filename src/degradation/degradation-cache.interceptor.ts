import { Readable } from 'node:stream';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Observable, of, tap, throwError } from 'rxjs';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus } from '../common/events';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import type { ChatCompletion } from '../providers/chat.types';
import { cacheKeyOf } from './cache-key';
import { DegradationManager } from './degradation-manager.service';
import { DegradationMetricsListener } from './degradation-metrics.listener';
import { ResponseCache } from './response-cache';
import { shedError } from './shed-error';

/**
 * cache_responses and return_cached_only on the chat endpoint. It sits outside the resilience
 * interceptor, so a cache hit makes no upstream attempt and no request outcome.
 * - Every successful non-stream answer to a cacheable request (cache-key.ts) is stored, at every
 *   level: a cache filled only once things go wrong would be empty when emergency comes.
 * - While cache_responses is in force (major_issues and worse), a cacheable request with a fresh
 *   answer is answered from the cache: `x-cortex-cache: hit`, `x-cortex-attempts: 0`.
 * - Under return_cached_only (emergency) any other request is shed: nothing goes upstream.
 */
@Injectable()
export class DegradationCacheInterceptor implements NestInterceptor {
  private readonly retryAfterSeconds: number;

  constructor(
    private readonly manager: DegradationManager,
    private readonly cache: ResponseCache,
    private readonly metrics: DegradationMetricsListener,
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
    @Inject(CORTEX_CONFIG) config: CortexConfig,
  ) {
    this.retryAfterSeconds = config.degradation.retry_after_seconds;
  }

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = execution.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const strategies = this.manager.strategies();
    const key = cacheKeyOf(request.body, request.cortexClient?.name);
    if (key !== undefined && strategies.has('cache_responses')) {
      const hit = this.cache.get(key);
      this.metrics.cacheLookup(hit !== undefined);
      reply.header('x-cortex-cache', hit ? 'hit' : 'miss');
      if (hit) {
        if (hit.provider) reply.header('x-cortex-provider', hit.provider);
        if (hit.model) reply.header('x-cortex-model', hit.model);
        reply.header('x-cortex-attempts', '0');
        return of(hit.completion);
      }
    }
    if (strategies.has('return_cached_only')) {
      const level = this.manager.level();
      const tier = request.cortexClient?.tier ?? 'normal';
      this.bus.emit(CortexEvent.RequestShed, { tier, level, reason: 'cache_only', at: this.clock.now() });
      return throwError(() => shedError('cache_only', level, this.retryAfterSeconds));
    }
    if (key === undefined) return next.handle();
    return next.handle().pipe(
      tap((value) => {
        if (!isCompletion(value)) return;
        this.cache.set(key, {
          completion: value,
          provider: headerOf(reply, 'x-cortex-provider'),
          model: headerOf(reply, 'x-cortex-model'),
        });
      }),
    );
  }
}

function isCompletion(value: unknown): value is ChatCompletion {
  return !(value instanceof Readable) && (value as { object?: unknown } | null)?.object === 'chat.completion';
}

function headerOf(reply: FastifyReply, name: string): string | undefined {
  const value = reply.getHeader(name);
  return typeof value === 'string' ? value : undefined;
}
