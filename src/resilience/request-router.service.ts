import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus } from '../common/events';
import { FailureClass } from '../common/failure-class';
import { RandomSource } from '../common/random';
import { ClientDisconnectedError, DeadlineExceededError } from '../common/request-aborted';
import type { RequestContext } from '../common/request-context';
import { UpstreamError } from '../common/upstream-error';
import type { DeploymentConfig } from '../config/config.schema';
import {
  chunkHasContent,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatRequest,
} from '../providers/chat.types';
import { ModelCatalog } from '../providers/model-catalog.service';
import { ProviderBusyError } from '../providers/provider-adapter';
import { ProviderRegistry } from '../providers/provider-registry.service';
import type { AttemptRecord } from './attempt-record';
import { Backoff } from './backoff';
import type { BreakerPermit } from './circuit-breaker';
import { ChainFailedError, chainExhausted } from './chain-failed.error';
import { ResiliencePolicies, type ResiliencePolicy } from './resilience-policies.service';
import { ResilienceState } from './resilience-state.service';
import { decideAfterFailure, retryKindOf } from './retry-decision';
import { RequestRun } from './request-run';
import { sleep } from './sleep';

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

/** One attempt's target, handed to the protocol-specific call. */
interface AttemptTarget {
  deployment: DeploymentConfig;
  apiKey: string | undefined;
  signal: AbortSignal;
}

interface Served<T> {
  value: T;
  deployment: DeploymentConfig;
  permit: BreakerPermit;
  apiKey: string | undefined;
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
    private readonly catalog: ModelCatalog,
    private readonly policies: ResiliencePolicies,
    private readonly state: ResilienceState,
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  async complete(
    request: ChatRequest,
    context: RequestContext,
    policy?: ResiliencePolicy,
  ): Promise<RoutedCompletion> {
    const run = this.startRun(request, context, policy);
    try {
      const served = await this.walk(run, (target) =>
        this.registry.adapter(target.deployment.provider).complete(request, {
          model: target.deployment.model,
          apiKey: target.apiKey,
          signal: target.signal,
          includeUsage: false,
        }),
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
      const { head, iterator } = served.value;
      return {
        provider: served.deployment.provider,
        model: head[0]?.model ?? served.deployment.model,
        attempts: run.attempts,
        head,
        tail: this.settleWhenDone(iterator, served.permit),
        release: () => run.deadline.dispose(),
      };
    } catch (error) {
      run.deadline.dispose();
      throw error;
    }
  }

  private startRun(request: ChatRequest, context: RequestContext, policy?: ResiliencePolicy): RequestRun {
    const chain = this.catalog.resolve(request.model);
    return new RequestRun(
      request,
      context,
      policy ?? this.policies.forModel(request.model),
      chain,
      this.clock,
    );
  }

  private async walk<T>(run: RequestRun, call: (target: AttemptTarget) => Promise<T>): Promise<Served<T>> {
    for (let index = 0; index < run.chain.length; index++) {
      const served = await this.tryDeployment(run, index, call);
      if (served) return served;
      const next = run.chain[index + 1];
      const last = run.attempts.at(-1);
      if (next && last?.outcome === 'failure' && last.failureClass) {
        this.bus.emit(CortexEvent.FallbackTaken, {
          requestId: run.context.requestId,
          model: run.request.model,
          from: { provider: run.chain[index].provider, model: run.chain[index].model },
          to: { provider: next.provider, model: next.model },
          failureClass: last.failureClass,
        });
      }
    }
    throw chainExhausted(run.request.model, run.attempts, this.retryAfterSeconds(run));
  }

  /** For a 503: when the first deployment of the chain may be usable again (breaker probe, key back). */
  private retryAfterSeconds(run: RequestRun): number {
    const now = this.clock.now();
    let earliest = Infinity;
    for (const { provider, model } of run.chain) {
      const keyBack = this.state.pool(provider).nextAvailableAt() ?? now;
      const probe = this.state.breakers.get(provider, model).stats().nextProbeAt ?? now;
      earliest = Math.min(earliest, Math.max(keyBack, probe));
    }
    return Math.max(1, Math.ceil((earliest - now) / 1000));
  }

  /** Attempts on one deployment: key rotation and same-deployment retries; undefined means fall back. */
  private async tryDeployment<T>(
    run: RequestRun,
    index: number,
    call: (target: AttemptTarget) => Promise<T>,
  ): Promise<Served<T> | undefined> {
    const deployment = run.chain[index];
    const { provider, model } = deployment;
    const pool = this.state.pool(provider);
    const breaker = this.state.breakers.get(provider, model);
    const ramp = this.state.ramp(provider, model);
    if (ramp.active && this.usableAfter(run, index) && !ramp.admit(this.random)) {
      run.recordSkip(deployment, 'ramping');
      return undefined;
    }
    const budget = this.state.retryBudget(provider);
    budget.recordRequest();
    const triedKeys = new Set<string>();
    let backoff: Backoff | undefined;
    let retries = 0;
    let waitedMs = 0;
    for (;;) {
      if (run.callsLeft <= 0) {
        run.recordSkip(deployment, 'attempts_exhausted');
        return undefined;
      }
      if (!pool.available()) {
        run.recordSkip(deployment, 'no_key', FailureClass.RateLimited);
        return undefined;
      }
      const permit = breaker.tryAcquire();
      if (!permit) {
        run.recordSkip(deployment, 'circuit_open', FailureClass.CircuitOpen);
        return undefined;
      }
      const apiKey = pool.take(triedKeys);
      if (apiKey === undefined && !pool.keyless) {
        permit.release();
        run.recordSkip(deployment, 'no_key', FailureClass.AuthError);
        return undefined;
      }
      if (apiKey !== undefined) triedKeys.add(apiKey);
      run.countCall();
      const started = this.clock.monotonic();
      try {
        const value = await call({ deployment, apiKey, signal: run.deadline.signal });
        pool.recordSuccess(apiKey);
        this.state.latency(provider, model).record(this.clock.monotonic() - started);
        run.recordSuccess(deployment, apiKey, started, waitedMs);
        return { value, deployment, permit, apiKey };
      } catch (error) {
        const upstream = this.settleFailure(error, permit, run, deployment, apiKey, started, waitedMs);
        pool.recordFailure(apiKey);
        this.applyKeyState(upstream, pool, apiKey);
        const kind = retryKindOf(upstream.failureClass);
        const decision = decideAfterFailure({
          error: upstream,
          hasUntriedKey: pool.hasUntried(triedKeys),
          laterOption: this.usableAfter(run, index),
          retries,
          maxAttempts: kind ? this.policies.retryStrategy(run.policy, provider, kind).max_attempts : 1,
          nextBackoffMs: () => {
            backoff ??= new Backoff(
              this.policies.retryStrategy(run.policy, provider, kind ?? 'server_error'),
              this.random,
            );
            return backoff.next();
          },
          remainingMs: run.remainingMs(),
          withdrawRetry: () => budget.tryWithdraw(),
        });
        waitedMs = 0;
        if (decision.kind === 'answer') throw ChainFailedError.badRequest(upstream, run.attempts);
        if (decision.kind === 'fallback') return undefined;
        if (decision.kind === 'next_key') {
          run.grantFreeCall();
          continue;
        }
        retries++;
        this.bus.emit(CortexEvent.RetryScheduled, {
          requestId: run.context.requestId,
          provider,
          model,
          failureClass: upstream.failureClass,
          delayMs: decision.delayMs,
          attempt: retries,
        });
        await this.wait(decision.delayMs, run, deployment);
        waitedMs = decision.delayMs;
        triedKeys.clear();
      }
    }
  }

  /** Records a failed attempt and reports its outcome to the breaker; rethrows what ends the request. */
  private settleFailure(
    error: unknown,
    permit: BreakerPermit,
    run: RequestRun,
    deployment: DeploymentConfig,
    apiKey: string | undefined,
    started: number,
    waitedMs: number,
  ): UpstreamError {
    if (error instanceof ClientDisconnectedError) {
      permit.release();
      throw error;
    }
    if (error instanceof DeadlineExceededError) {
      permit.release();
      run.recordFailure(deployment, apiKey, started, waitedMs, {
        failureClass: FailureClass.DeadlineExceeded,
        message: error.message,
      });
      throw ChainFailedError.deadline(error, run.attempts);
    }
    if (!(error instanceof UpstreamError)) {
      permit.release();
      throw error;
    }
    // A provider at its own concurrency cap was not called: not the provider's failure.
    if (error instanceof ProviderBusyError) permit.release();
    else permit.failure(error.failureClass);
    const record = run.recordFailure(deployment, apiKey, started, waitedMs, error);
    if (error instanceof ProviderBusyError) {
      record.outcome = 'skipped';
      record.skipReason = 'busy';
    }
    return error;
  }

  /** Rate limits and quotas rest the key until the provider's reset; a rejected key is disabled. */
  private applyKeyState(
    error: UpstreamError,
    pool: ReturnType<ResilienceState['pool']>,
    apiKey: string | undefined,
  ): void {
    if (apiKey === undefined) return;
    const now = this.clock.now();
    if (error.failureClass === FailureClass.RateLimited) {
      pool.rest(apiKey, now + (error.retryAfterMs ?? 1000), FailureClass.RateLimited);
    } else if (error.failureClass === FailureClass.QuotaExceeded) {
      pool.rest(apiKey, now + (error.retryAfterMs ?? 3_600_000), FailureClass.QuotaExceeded);
    } else if (error.failureClass === FailureClass.AuthError) {
      pool.disable(apiKey, FailureClass.AuthError);
    }
  }

  /** Can a later deployment of the chain take the request right now (no call made to find out)? */
  private usableAfter(run: RequestRun, index: number): boolean {
    for (let next = index + 1; next < run.chain.length; next++) {
      const { provider, model } = run.chain[next];
      if (this.state.pool(provider).available() && this.state.breakers.get(provider, model).allowsRequests())
        return true;
    }
    return false;
  }

  private async wait(ms: number, run: RequestRun, deployment: DeploymentConfig): Promise<void> {
    try {
      await sleep(ms, run.deadline.signal);
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        run.recordFailure(deployment, undefined, this.clock.monotonic(), ms, {
          failureClass: FailureClass.DeadlineExceeded,
          message: error.message,
        });
        throw ChainFailedError.deadline(error, run.attempts);
      }
      throw error;
    }
  }

  /** The committed stream: its end (clean, broken, or the client leaving) settles the breaker permit. */
  private async *settleWhenDone(
    iterator: AsyncIterator<ChatCompletionChunk>,
    permit: BreakerPermit,
  ): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        yield next.value;
      }
      permit.success();
    } catch (error) {
      if (error instanceof UpstreamError) permit.failure(error.failureClass);
      throw error;
    } finally {
      permit.release();
      await iterator.return?.(undefined);
    }
  }
}
