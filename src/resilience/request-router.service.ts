import { Inject, Injectable } from '@nestjs/common';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus } from '../common/events';
import { RandomSource } from '../common/random';
import type { RequestContext } from '../common/request-context';
import { UpstreamError } from '../common/upstream-error';
import {
  chunkHasContent,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatRequest,
} from '../providers/chat.types';
import { ModelCatalog } from '../providers/model-catalog.service';
import { ProviderRegistry } from '../providers/provider-registry.service';
import type { AttemptRecord } from './attempt-record';
import type { BreakerPermit } from './circuit-breaker';
import { chainExhausted } from './chain-failed.error';
import { hedgedRace } from './hedged-race';
import { ResiliencePolicies, type ResiliencePolicy } from './resilience-policies.service';
import { ResilienceState } from './resilience-state.service';
import { RequestRun } from './request-run';
import { RoutingAdjustments } from './routing-adjustments';
import type { DeploymentConfig } from '../config/config.schema';
import { type AttemptTarget, DeploymentAttempts, type Served } from './deployment-attempts';

export interface RoutedCompletion {
  completion: ChatCompletion;
  provider: string;
  model: string;
  attempts: AttemptRecord[];
}

export interface RoutedStream {
  provider: string;
  model: string;
  attempts: AttemptRecord[];
  /** The chunks read before the commit point (a role-only chunk, then the first content). */
  head: ChatCompletionChunk[];
  /** The rest of the upstream stream; failures from here on can no longer fall back. */
  tail: AsyncIterator<ChatCompletionChunk>;
  /** Call when the stream is over, however it ended. */
  release(): void;
}

/**
 * The resilience engine's decisions for one client request: which deployment serves it, with which
 * key, whether to retry, wait or fall back. Per attempt: ramp admission, key from the pool, breaker
 * permit, the adapter call under the request's deadline, classification, and the decision of
 * retry-decision.ts. Adapters never retry or fall back; this is the only place that does.
 */
@Injectable()
export class RequestRouter {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly attempts: DeploymentAttempts,
    private readonly catalog: ModelCatalog,
    private readonly policies: ResiliencePolicies,
    private readonly state: ResilienceState,
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
    private readonly adjustments: RoutingAdjustments,
  ) {}

  async complete(
    request: ChatRequest,
    context: RequestContext,
    policy?: ResiliencePolicy,
  ): Promise<RoutedCompletion> {
    const run = this.startRun(request, context, policy);
    try {
      const served = await this.walk(
        run,
        (target) =>
          this.registry.adapter(target.deployment.provider).complete(request, {
            model: target.deployment.model,
            apiKey: target.apiKey,
            signal: target.signal,
            includeUsage: false,
            timeoutFactor: this.adjustments.timeoutFactor,
          }),
        run.policy.hedging.enabled,
      );
      served.permit.success();
      return {
        completion: served.value,
        provider: served.deployment.provider,
        model: served.value.model,
        attempts: run.attempts,
      };
    } finally {
      run.deadline.dispose();
    }
  }

  /**
   * Opens a stream on the first deployment that delivers content. Failures before that point are
   * handled like any attempt's; after it (the commit point) the stream is the client's.
   */
  async openStream(
    request: ChatRequest,
    context: RequestContext,
    policy?: ResiliencePolicy,
  ): Promise<RoutedStream> {
    const run = this.startRun(request, context, policy);
    const includeUsage = request.stream_options?.include_usage === true;
    try {
      const served = await this.walk(run, async (target) => {
        const iterator = this.registry
          .adapter(target.deployment.provider)
          .stream(request, {
            model: target.deployment.model,
            apiKey: target.apiKey,
            signal: target.signal,
            includeUsage,
            timeoutFactor: this.adjustments.timeoutFactor,
          })
          [Symbol.asyncIterator]();
        const head: ChatCompletionChunk[] = [];
        try {
          for (;;) {
            const next = await iterator.next();
            if (!next.done) head.push(next.value);
            if (next.done || chunkHasContent(next.value)) return { head, iterator };
          }
        } catch (error) {
          await iterator.return?.(undefined);
          throw error;
        }
      });
      run.deadline.commit();
      // A half-open probe is judged at its first content: a long stream must not outlive probe_timeout_ms.
      if (served.permit.probe) served.permit.success();
      const { head, iterator } = served.value;
      return {
        provider: served.deployment.provider,
        model: head[0]?.model ?? served.deployment.model,
        attempts: run.attempts,
        head,
        tail: settleWhenDone(iterator, served.permit),
        release: () => run.deadline.dispose(),
      };
    } catch (error) {
      run.deadline.dispose();
      throw error;
    }
  }

  private startRun(request: ChatRequest, context: RequestContext, policy?: ResiliencePolicy): RequestRun {
    let chain = this.catalog.resolve(request.model);
    if (this.adjustments.preferFastProviders && chain.length > 2) chain = this.fastestFirst(chain);
    return new RequestRun(
      request,
      context,
      policy ?? this.policies.forModel(request.model),
      chain,
      this.clock,
    );
  }

  /**
   * prefer_fast_providers: the chain ordered by observed median latency, fastest first; deployments
   * without samples keep their place after those with, and the configured last resort stays last.
   */
  private fastestFirst(chain: readonly DeploymentConfig[]): DeploymentConfig[] {
    const lastResort = chain[chain.length - 1];
    const latency = (deployment: DeploymentConfig): number =>
      this.state.latency(deployment.provider, deployment.model).quantile(0.5, 5) ?? Number.POSITIVE_INFINITY;
    const ordered = chain
      .slice(0, -1)
      .map((deployment, index) => ({ deployment, index, ms: latency(deployment) }))
      .sort((a, b) => a.ms - b.ms || a.index - b.index)
      .map((entry) => entry.deployment);
    return [...ordered, lastResort];
  }

  /** Walks the chain; with `hedge` (non-stream only: never after a commit point) slow deployments get a twin. */
  private async walk<T>(
    run: RequestRun,
    call: (target: AttemptTarget) => Promise<T>,
    hedge = false,
  ): Promise<Served<T>> {
    const hedgeBudget = hedge
      ? this.state.hedgeBudget(run.policy.model, run.policy.hedging.max_extra_ratio)
      : undefined;
    hedgeBudget?.recordRequest();
    for (let index = 0; index < run.chain.length; index++) {
      const twin = hedgeBudget ? this.hedgeTarget(run, index) : undefined;
      if (twin) {
        const outcome = await hedgedRace(
          (signal) => this.attempts.tryDeployment(run, index, call, signal),
          (signal) => this.attempts.tryDeployment(run, twin.index, call, signal),
          twin.afterMs,
          run.deadline.signal,
          () => hedgeBudget!.tryTake(),
          // Both answered at once: the loser's call did succeed, and its permit says so.
          (late) => late.permit.success(),
        );
        if (outcome.value) return outcome.value;
        // Both were tried: carry on after the twin.
        if (outcome.hedged) index = twin.index;
        continue;
      }
      const served = await this.attempts.tryDeployment(run, index, call);
      if (served) return served;
      this.announceFallback(run, index);
    }
    throw chainExhausted(run.request.model, run.attempts, this.retryAfterSeconds(run));
  }

  /** The deployment to hedge with, and when: after the primary's observed latency percentile. */
  private hedgeTarget(run: RequestRun, index: number): { index: number; afterMs: number } | undefined {
    const { provider, model } = run.chain[index];
    const afterMs = this.state.latency(provider, model).quantile(run.policy.hedging.after_percentile / 100);
    if (afterMs === undefined) return undefined;
    const next = this.attempts.nextUsable(run, index);
    return next < 0 ? undefined : { index: next, afterMs };
  }

  private announceFallback(run: RequestRun, index: number): void {
    const next = run.chain[index + 1];
    const last = run.attempts.at(-1);
    if (!next || last?.outcome !== 'failure' || !last.failureClass) return;
    this.bus.emit(CortexEvent.FallbackTaken, {
      requestId: run.context.requestId,
      model: run.request.model,
      from: { provider: run.chain[index].provider, model: run.chain[index].model },
      to: { provider: next.provider, model: next.model },
      failureClass: last.failureClass,
    });
  }

  /**
   * For a 503: when a deployment of the chain may be usable again (breaker probe, key back); with
   * every key disabled nothing comes back by itself, and the configured wait is given instead.
   */
  private retryAfterSeconds(run: RequestRun): number {
    const now = this.clock.now();
    let earliest = Infinity;
    for (const { provider, model } of run.chain) {
      const pool = this.state.pool(provider);
      const keyBack = pool.available() ? now : pool.nextAvailableAt();
      if (keyBack === undefined) continue;
      const probe = this.state.breakers.get(provider, model).stats().nextProbeAt ?? now;
      earliest = Math.min(earliest, Math.max(keyBack, probe));
    }
    if (earliest === Infinity) return this.config.degradation.retry_after_seconds;
    return Math.max(1, Math.ceil((earliest - now) / 1000));
  }
}

/**
 * The stream's tail, settling the breaker permit when it ends: success at its clean end, the failure
 * class of an upstream error, neither when the client stops early. A plain iterator rather than an
 * async generator: one promise per chunk instead of a generator step.
 */
function settleWhenDone(
  iterator: AsyncIterator<ChatCompletionChunk>,
  permit: BreakerPermit,
): AsyncIterator<ChatCompletionChunk, void, undefined> {
  let settled = false;
  const settle = (outcome: 'success' | UpstreamError | undefined): void => {
    if (settled) return;
    settled = true;
    if (outcome === 'success') permit.success();
    else if (outcome) permit.failure(outcome.failureClass);
    permit.release();
  };
  return {
    next: () =>
      iterator.next().then(
        (result) => {
          if (result.done) settle('success');
          return result.done ? { done: true, value: undefined } : result;
        },
        (error: unknown) => {
          settle(error instanceof UpstreamError ? error : undefined);
          throw error;
        },
      ),
    return: async () => {
      settle(undefined);
      await iterator.return?.(undefined);
      return { done: true, value: undefined };
    },
  };
}
