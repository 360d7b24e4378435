import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { FailureClass } from '../common/failure-class';
import { UpstreamError } from '../common/upstream-error';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig, DeploymentConfig } from '../config/config.schema';
import { ProviderRegistry } from '../providers/provider-registry.service';
import { countsForBreaker } from '../resilience/circuit-breaker';
import type { KeyPool } from '../resilience/key-pool';
import { ResilienceState } from '../resilience/resilience-state.service';
import { assessDeployment, type DeploymentCheck, type ProbeOutcome } from './deployment-health';
import { roundTo } from './report-format';

/** A probe never waits longer than this, whatever the provider's timeout_ms. */
const PROBE_TIMEOUT_CAP_MS = 10_000;
/** A rate-limited probe rests its key this long when the provider gave no hint (as real requests do). */
const DEFAULT_RATE_LIMIT_REST_MS = 1000;
const DEFAULT_QUOTA_REST_MS = 3_600_000;

/**
 * Checks every configured deployment: the provider's cheap probe (model list, Ollama tags; never a
 * billed completion) through the deployment's own probe breaker and a key from the pool, fused with
 * the passive signal of real traffic. A probe's key problems change the pool like a real request's:
 * auth_error disables the key, rate_limited and quota_exceeded rest it.
 */
@Injectable()
export class DeploymentProber {
  /** Each deployment once, even when several model chains list it. */
  private readonly deployments: DeploymentConfig[];

  constructor(
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
    private readonly registry: ProviderRegistry,
    private readonly state: ResilienceState,
    private readonly clock: Clock,
  ) {
    const seen = new Map<string, DeploymentConfig>();
    for (const deployment of Object.values(config.models).flat()) {
      seen.set(`${deployment.provider}/${deployment.model}`, deployment);
    }
    this.deployments = [...seen.values()];
  }

  /** The deployments a check covers, in configuration order. */
  list(): readonly DeploymentConfig[] {
    return this.deployments;
  }

  /** Probes every deployment in parallel; never throws. */
  checkAll(signal: AbortSignal): Promise<DeploymentCheck[]> {
    return Promise.all(this.deployments.map((deployment) => this.check(deployment, signal)));
  }

  async check(deployment: DeploymentConfig, signal: AbortSignal): Promise<DeploymentCheck> {
    const { provider, model } = deployment;
    const probe = await this.probe(provider, model, signal);
    // Read after the probe: it may just have disabled or rested the key.
    const breaker = this.state.breakers.get(provider, model);
    const stats = breaker.stats();
    return assessDeployment({
      provider,
      model,
      circuitState: stats.state,
      chatAllows: breaker.allowsRequests(),
      keyAvailable: this.state.pool(provider).available(),
      probe,
      traffic: {
        calls: stats.windowCalls,
        successRate: stats.windowCalls > 0 ? roundTo(1 - stats.failureRate, 4) : undefined,
        p95LatencyMs: roundMs(this.state.latency(provider, model).quantile(0.95)),
      },
    });
  }

  private async probe(provider: string, model: string, signal: AbortSignal): Promise<ProbeOutcome> {
    if (signal.aborted) return { kind: 'skipped', reason: 'probe_aborted' };
    const permit = this.state.breakers.get(provider, model, 'probe').tryAcquire();
    if (!permit) return { kind: 'skipped', reason: 'probe_circuit_open' };
    const pool = this.state.pool(provider);
    const apiKey = pool.take();
    if (apiKey === undefined && !pool.keyless) {
      permit.release();
      return { kind: 'skipped', reason: 'probe_no_key' };
    }
    const adapter = this.registry.adapter(provider);
    const timeoutMs = Math.min(adapter.config.timeout_ms, PROBE_TIMEOUT_CAP_MS);
    const started = this.clock.monotonic();
    try {
      await adapter.probe({ apiKey, signal, timeoutMs });
      permit.success();
      return { kind: 'reachable', latencyMs: roundMs(this.clock.monotonic() - started)! };
    } catch (error) {
      const latencyMs = roundMs(this.clock.monotonic() - started);
      // Anything but a classified upstream failure (our own shutdown abort) says nothing about it.
      if (!(error instanceof UpstreamError) || signal.aborted) {
        permit.release();
        return { kind: 'skipped', reason: 'probe_aborted' };
      }
      this.applyKeyState(pool, apiKey, error);
      if (countsForBreaker(error.failureClass)) {
        permit.failure(error.failureClass);
        return { kind: 'failed', failureClass: error.failureClass, latencyMs };
      }
      // The upstream answered (a key problem, a rate limit, an unsupported model-list route): it is
      // reachable; whether a key is left is the pool's to say.
      permit.success();
      return { kind: 'reachable', latencyMs: latencyMs!, failureClass: error.failureClass };
    }
  }

  private applyKeyState(pool: KeyPool, apiKey: string | undefined, error: UpstreamError): void {
    if (apiKey === undefined) return;
    const now = this.clock.now();
    switch (error.failureClass) {
      case FailureClass.AuthError:
        pool.disable(apiKey, FailureClass.AuthError);
        break;
      case FailureClass.RateLimited:
        pool.rest(apiKey, now + (error.retryAfterMs ?? DEFAULT_RATE_LIMIT_REST_MS), FailureClass.RateLimited);
        break;
      case FailureClass.QuotaExceeded:
        pool.rest(apiKey, now + (error.retryAfterMs ?? DEFAULT_QUOTA_REST_MS), FailureClass.QuotaExceeded);
        break;
      default:
        break;
    }
  }
}

function roundMs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : roundTo(ms, 2);
}
