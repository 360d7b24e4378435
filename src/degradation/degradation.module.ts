import { Module } from '@nestjs/common';
import { ResilienceModule } from '../resilience/resilience.module';
import { ConcurrencyCap } from './concurrency-cap';
import { DegradationCacheInterceptor } from './degradation-cache.interceptor';
import { DegradationController } from './degradation.controller';
import { DegradationManager } from './degradation-manager.service';
import { DegradationMetricsListener } from './degradation-metrics.listener';
import { LoadSheddingGuard } from './load-shedding.guard';
import { ResponseCache } from './response-cache';

/** Every provider is exported as well: the gateway's chat endpoint uses the guard and the interceptor. */
const PROVIDERS = [
  DegradationManager,
  ConcurrencyCap,
  ResponseCache,
  DegradationMetricsListener,
  LoadSheddingGuard,
  DegradationCacheInterceptor,
];

/**
 * Owns the degradation level (computed from the health checks' events, or forced by an operator),
 * the strategies of each level, load shedding and the response cache. It turns the routing knobs of
 * RoutingAdjustments but never calls the router; the gateway puts LoadSheddingGuard and
 * DegradationCacheInterceptor on its chat endpoint, and nothing else is ever shed.
 */
@Module({
  imports: [ResilienceModule],
  controllers: [DegradationController],
  providers: PROVIDERS,
  exports: PROVIDERS,
})
export class DegradationModule {}
