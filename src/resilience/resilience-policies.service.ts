import { Inject, Injectable } from '@nestjs/common';
import { CORTEX_CONFIG } from '../config/config.module';
import type {
  CircuitBreakerConfig,
  CortexConfig,
  HedgingConfig,
  RetryStrategiesConfig,
  RetryStrategyConfig,
} from '../config/config.schema';

/** The resilience rules one client request runs under, after per-model overrides. */
export interface ResiliencePolicy {
  model: string;
  requestTimeoutMs: number;
  maxAttempts: number;
  hedging: HedgingConfig;
  retry: RetryStrategiesConfig;
}

export type RetryKind = keyof RetryStrategiesConfig;

/**
 * Merges the configuration's layers once, at start-up: global defaults, then `providers.<name>.resilience`
 * for breakers and retries, then `resilience.models.<name>` for a model's requests. Lookups on the
 * request path are map reads.
 */
@Injectable()
export class ResiliencePolicies {
  private readonly byModel = new Map<string, ResiliencePolicy>();
  private readonly breakerByProvider = new Map<string, CircuitBreakerConfig>();
  private readonly retryByProviderAndModel = new Map<string, RetryStrategiesConfig>();

  constructor(@Inject(CORTEX_CONFIG) private readonly config: CortexConfig) {
    const global = config.resilience;
    for (const [name, provider] of Object.entries(config.providers)) {
      this.breakerByProvider.set(name, {
        ...global.circuit_breaker,
        ...provider.resilience?.circuit_breaker,
      });
    }
    for (const model of Object.keys(config.models)) this.byModel.set(model, this.build(model));
  }

  /** The policy of a model name (configured, or `provider/model` addressed directly: global defaults). */
  forModel(model: string): ResiliencePolicy {
    return this.byModel.get(model) ?? this.defaultPolicy(model);
  }

  breakerSettings(provider: string): CircuitBreakerConfig {
    return this.breakerByProvider.get(provider) ?? this.config.resilience.circuit_breaker;
  }

  /** One retry strategy for an attempt on a provider: the provider's override wins over the model's. */
  retryStrategy(policy: ResiliencePolicy, provider: string, kind: RetryKind): RetryStrategyConfig {
    const key = `${policy.model}\u0000${provider}`;
    let merged = this.retryByProviderAndModel.get(key);
    if (!merged) {
      const overrides = this.config.providers[provider]?.resilience?.retry;
      merged = {
        rate_limit: { ...policy.retry.rate_limit, ...overrides?.rate_limit },
        network: { ...policy.retry.network, ...overrides?.network },
        server_error: { ...policy.retry.server_error, ...overrides?.server_error },
      };
      this.retryByProviderAndModel.set(key, merged);
    }
    return merged[kind];
  }

  private build(model: string): ResiliencePolicy {
    const global = this.config.resilience;
    const override = global.models[model];
    return {
      model,
      requestTimeoutMs: override?.request_timeout_ms ?? global.request_timeout_ms,
      maxAttempts: override?.max_attempts ?? global.max_attempts,
      hedging: { ...global.hedging, ...override?.hedging },
      retry: {
        rate_limit: { ...global.retry.rate_limit, ...override?.retry?.rate_limit },
        network: { ...global.retry.network, ...override?.retry?.network },
        server_error: { ...global.retry.server_error, ...override?.retry?.server_error },
      },
    };
  }

  private defaultPolicy(model: string): ResiliencePolicy {
    const global = this.config.resilience;
    return {
      model,
      requestTimeoutMs: global.request_timeout_ms,
      maxAttempts: global.max_attempts,
      hedging: global.hedging,
      retry: {
        rate_limit: global.retry.rate_limit,
        network: global.retry.network,
        server_error: global.retry.server_error,
      },
    };
  }
}
