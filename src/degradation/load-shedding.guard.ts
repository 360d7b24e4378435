import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus, type DegradationLevel, type RequestShedEvent } from '../common/events';
import { RandomSource } from '../common/random';
import { CORTEX_CONFIG } from '../config/config.module';
import type { ClientTier, CortexConfig } from '../config/config.schema';
import { ConcurrencyCap } from './concurrency-cap';
import { DegradationManager } from './degradation-manager.service';
import { shedError } from './shed-error';

/**
 * Sheds load before any upstream work starts (guards run before interceptors). A request is admitted
 * with the probability `degradation.acceptance[level][tier]`, and, under limit_concurrent_requests,
 * only while fewer than `max_concurrent_requests` are in flight; otherwise 503 with Retry-After and a
 * RequestShed event (counted by tier). The tier is the one ClientAuthGuard took from the configured
 * client key, so a client cannot raise its own; without `clients` every request is normal.
 * Only the chat endpoint uses this guard: health, metrics, models and admin routes are never shed.
 */
@Injectable()
export class LoadSheddingGuard implements CanActivate {
  private readonly acceptance: CortexConfig['degradation']['acceptance'];
  private readonly maxConcurrent: number;
  private readonly retryAfterSeconds: number;

  constructor(
    private readonly manager: DegradationManager,
    private readonly cap: ConcurrencyCap,
    private readonly random: RandomSource,
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
    @Inject(CORTEX_CONFIG) config: CortexConfig,
  ) {
    this.acceptance = config.degradation.acceptance;
    this.maxConcurrent = config.degradation.max_concurrent_requests;
    this.retryAfterSeconds = config.degradation.retry_after_seconds;
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const tier: ClientTier = request.cortexClient?.tier ?? 'normal';
    const level = this.manager.level();
    if (!this.admits(level, tier)) this.shed(level, tier, 'acceptance');
    if (
      this.manager.strategies().has('limit_concurrent_requests') &&
      this.cap.inFlight >= this.maxConcurrent
    ) {
      this.shed(level, tier, 'concurrency_limit');
    }
    const response = http.getResponse<FastifyReply>().raw;
    const release = this.cap.acquire();
    response.once('close', release);
    // A client gone before this point never fires 'close' again.
    if (response.closed || response.destroyed) release();
    return true;
  }

  /** One admission draw; the random source is only consulted for a probability strictly between 0 and 1. */
  private admits(level: DegradationLevel, tier: ClientTier): boolean {
    const probability = this.acceptance[level][tier];
    if (probability >= 1) return true;
    if (probability <= 0) return false;
    return this.random.next() < probability;
  }

  private shed(level: DegradationLevel, tier: ClientTier, reason: RequestShedEvent['reason']): never {
    this.bus.emit(CortexEvent.RequestShed, { tier, level, reason, at: this.clock.now() });
    throw shedError(reason, level, this.retryAfterSeconds);
  }
}
