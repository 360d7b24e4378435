import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { DeploymentAttempts } from './deployment-attempts';
import { RoutingAdjustments } from './routing-adjustments';
import { RequestOutcomes } from './request-outcomes.service';
import { RequestRouter } from './request-router.service';
import { ResilienceInterceptor } from './resilience.interceptor';
import { ResiliencePolicies } from './resilience-policies.service';
import { ResilienceState } from './resilience-state.service';

/**
 * Owns every decision around upstream calls: breakers, key pools, retries and budgets, fallback,
 * ramps, hedging and the deadline. Its outcomes leave as typed events; it knows none of the listeners.
 */
@Module({
  imports: [ProvidersModule],
  providers: [
    ResiliencePolicies,
    ResilienceState,
    RoutingAdjustments,
    DeploymentAttempts,
    RequestRouter,
    RequestOutcomes,
    ResilienceInterceptor,
  ],
  exports: [
    ResiliencePolicies,
    ResilienceState,
    RoutingAdjustments,
    RequestRouter,
    RequestOutcomes,
    ResilienceInterceptor,
  ],
})
export class ResilienceModule {}
