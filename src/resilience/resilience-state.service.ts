import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus } from '../common/events';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { BreakerRegistry } from './breaker-registry';
import type { BreakerTransition } from './circuit-breaker';
import { HedgeBudget } from './hedge-budget';
import { KeyPool, type KeyEvent } from './key-pool';
import { LatencyTracker } from './latency-tracker';
import { RecoveryRamp } from './recovery-ramp';
import { ResiliencePolicies } from './resilience-policies.service';
import { RetryBudget } from './retry-budget';

/** `provider/model`: the name of a deployment, its breaker and its ramp. */
export function deploymentName(provider: string, model: string): string {
  return `${provider}/${model}`;
}

/**
 * The live resilience state of every provider and deployment: breakers, key pools, retry budgets,
 * recovery ramps, observed latency and hedge budgets. Created lazily, kept for the process's life.
 * State changes leave as typed events; a closing breaker or a returning key starts a recovery ramp.
 */
@Injectable()
export class ResilienceState {
  readonly breakers: BreakerRegistry;
  private readonly pools = new Map<string, KeyPool>();
  private readonly budgets = new Map<string, RetryBudget>();
  private readonly ramps = new Map<string, RecoveryRamp>();
  private readonly latencies = new Map<string, LatencyTracker>();
  private readonly hedges = new Map<string, HedgeBudget>();

  constructor(
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
    policies: ResiliencePolicies,
    private readonly clock: Clock,
    private readonly bus: CortexEventBus,
  ) {
    this.breakers = new BreakerRegistry(
      (provider) => policies.breakerSettings(provider),
      clock,
      (transition) => this.onBreakerTransition(transition),
    );
    for (const [name, provider] of Object.entries(config.providers)) {
      this.pools.set(name, new KeyPool(name, provider.api_keys, clock, (event) => this.onKeyEvent(event)));
      this.budgets.set(name, new RetryBudget(config.resilience.retry.budget, clock));
    }
  }

  pool(provider: string): KeyPool {
    const pool = this.pools.get(provider);
    if (!pool) throw new Error(`provider ${provider} is not configured`);
    return pool;
  }

  allPools(): KeyPool[] {
    return [...this.pools.values()];
  }

  retryBudget(provider: string): RetryBudget {
    const budget = this.budgets.get(provider);
    if (!budget) throw new Error(`provider ${provider} is not configured`);
    return budget;
  }

  ramp(provider: string, model: string): RecoveryRamp {
    const name = deploymentName(provider, model);
    let ramp = this.ramps.get(name);
    if (!ramp) {
      ramp = new RecoveryRamp(this.config.resilience.recovery_ramp, this.clock);
      this.ramps.set(name, ramp);
    }
    return ramp;
  }

  latency(provider: string, model: string): LatencyTracker {
    const name = deploymentName(provider, model);
    let tracker = this.latencies.get(name);
    if (!tracker) {
      tracker = new LatencyTracker();
      this.latencies.set(name, tracker);
    }
    return tracker;
  }

  hedgeBudget(model: string, maxExtraRatio: number): HedgeBudget {
    let budget = this.hedges.get(model);
    if (!budget) {
      budget = new HedgeBudget(maxExtraRatio);
      this.hedges.set(model, budget);
    }
    return budget;
  }

  private onBreakerTransition(transition: BreakerTransition): void {
    const slash = transition.breaker.indexOf('/');
    const provider = transition.breaker.slice(0, slash);
    const model = transition.breaker.slice(slash + 1).replace(/#.*$/, '');
    if (transition.to === 'closed' && transition.from === 'half_open') this.startRamp(provider, model);
    this.bus.emit(CortexEvent.CircuitStateChanged, {
      breaker: transition.breaker,
      provider,
      model,
      from: transition.from,
      to: transition.to,
      reason: transition.reason,
      at: transition.at,
    });
  }

  private onKeyEvent(event: KeyEvent): void {
    const payload = {
      provider: event.provider,
      keySuffix: event.keySuffix,
      reason: event.reason,
      until: event.until,
      at: event.at,
    };
    if (event.status === 'resting') this.bus.emit(CortexEvent.KeyRested, payload);
    else if (event.status === 'disabled') this.bus.emit(CortexEvent.KeyDisabled, payload);
    else {
      // The provider was unusable without this key: its traffic comes back through the ramp.
      const pool = this.pools.get(event.provider);
      if (pool && pool.snapshot().filter((key) => key.status === 'healthy').length === 1) {
        for (const deployment of Object.values(this.config.models).flat()) {
          if (deployment.provider === event.provider) this.startRamp(deployment.provider, deployment.model);
        }
      }
      this.bus.emit(CortexEvent.KeyRestored, payload);
    }
  }

  private startRamp(provider: string, model: string): void {
    if (this.config.resilience.recovery_ramp.window_ms > 0) this.ramp(provider, model).start();
  }
}
