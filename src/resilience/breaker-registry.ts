import type { Clock } from '../common/clock';
import type { BreakerStateStore } from './breaker-state.store';
import { CircuitBreaker, type BreakerSettings, type BreakerTransition } from './circuit-breaker';

export type BreakerOperation = 'chat' | 'probe';

/**
 * One breaker per deployment (provider + upstream model) and operation, created on first use and
 * kept for the process's life. Names: `provider/model` for chat traffic, `provider/model#probe` for
 * the monitor's health checks, so a failing check never spends the chat breaker's half-open probes.
 */
export class BreakerRegistry {
  /** provider -> model -> breaker, per operation: the hot lookup builds no key string. */
  private readonly chat = new Map<string, Map<string, CircuitBreaker>>();
  private readonly probe = new Map<string, Map<string, CircuitBreaker>>();
  private readonly byName = new Map<string, CircuitBreaker>();

  constructor(
    private readonly settingsFor: (provider: string) => BreakerSettings,
    private readonly clock: Clock,
    private readonly onTransition: (transition: BreakerTransition) => void,
    private readonly store?: BreakerStateStore,
  ) {}

  /** The breaker name of a deployment and operation. */
  static nameOf(provider: string, model: string, operation: BreakerOperation = 'chat'): string {
    return operation === 'chat' ? `${provider}/${model}` : `${provider}/${model}#probe`;
  }

  get(provider: string, model: string, operation: BreakerOperation = 'chat'): CircuitBreaker {
    const byProvider = operation === 'chat' ? this.chat : this.probe;
    let byModel = byProvider.get(provider);
    if (!byModel) {
      byModel = new Map();
      byProvider.set(provider, byModel);
    }
    let breaker = byModel.get(model);
    if (!breaker) {
      const name = BreakerRegistry.nameOf(provider, model, operation);
      breaker = new CircuitBreaker(
        name,
        this.settingsFor(provider),
        this.clock,
        this.onTransition,
        this.store,
      );
      byModel.set(model, breaker);
      this.byName.set(name, breaker);
    }
    return breaker;
  }

  /** Every breaker created so far, in creation order. */
  all(): CircuitBreaker[] {
    return [...this.byName.values()];
  }

  find(name: string): CircuitBreaker | undefined {
    return this.byName.get(name);
  }
}
