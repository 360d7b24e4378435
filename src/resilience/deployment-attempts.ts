import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus } from '../common/events';
import { FailureClass } from '../common/failure-class';
import { RandomSource } from '../common/random';
import { ClientDisconnectedError, DeadlineExceededError, HedgeLostError } from '../common/request-aborted';
import { UpstreamError } from '../common/upstream-error';
import type { DeploymentConfig } from '../config/config.schema';
import { ProviderBusyError } from '../providers/provider-adapter';
import { Backoff } from './backoff';
import type { BreakerPermit } from './circuit-breaker';
import { ChainFailedError } from './chain-failed.error';
import type { KeyPool } from './key-pool';
import { ResiliencePolicies } from './resilience-policies.service';
import { ResilienceState } from './resilience-state.service';
import { decideAfterFailure, retryKindOf } from './retry-decision';
import type { RequestRun } from './request-run';
import { sleep } from './sleep';

/** One attempt's target, handed to the protocol-specific call. */
export interface AttemptTarget {
  deployment: DeploymentConfig;
  apiKey: string | undefined;
  signal: AbortSignal;
}

export interface Served<T> {
  value: T;
  deployment: DeploymentConfig;
  permit: BreakerPermit;
  apiKey: string | undefined;
}

/**
 * The attempts on one deployment of a request's chain: ramp admission, a key from the pool, a
 * breaker permit, the call, classification, the key's new state, and the decision of
 * retry-decision.ts (rotate the key, retry after a wait, or fall back).
 */
@Injectable()
export class DeploymentAttempts {
  constructor(
    private readonly policies: ResiliencePolicies,
    private readonly state: ResilienceState,
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Attempts on one deployment: key rotation and same-deployment retries; undefined means fall back. */
  async tryDeployment<T>(
    run: RequestRun,
    index: number,
    call: (target: AttemptTarget) => Promise<T>,
    signal: AbortSignal = run.deadline.signal,
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
      if (!pool.available() || pool.hasWaiters) {
        // Every key rests (or others already wait for them). When nothing else can serve and a key
        // is back before the deadline, queue for it (one waiter per returning key); else move on.
        const back = pool.available() ? this.clock.now() : pool.nextAvailableAt();
        const now = this.clock.now();
        if (
          back !== undefined &&
          back - now < run.remainingMs() &&
          pool.canQueue() &&
          !this.usableAfter(run, index)
        ) {
          await this.waitForKey(pool, run, deployment, signal);
          waitedMs += this.clock.now() - now;
          continue;
        }
        run.recordSkip(
          deployment,
          'no_key',
          back === undefined ? FailureClass.AuthError : FailureClass.RateLimited,
        );
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
        const value = await call({ deployment, apiKey, signal });
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
        triedKeys.clear();
        // A rate-limited pool is waited for through its queue (fair, one waiter per returning key).
        if (upstream.failureClass === FailureClass.RateLimited && !pool.available() && pool.canQueue())
          continue;
        await this.wait(decision.delayMs, run, deployment, signal);
        waitedMs = decision.delayMs;
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
    if (error instanceof HedgeLostError) {
      permit.release();
      // A primary cut off by its twin is recorded as a censored sample at the hedge delay: without it
      // the slow tail that hedging cuts off would vanish from the latency the delay is computed from.
      // Not at the time it had run: that includes the twin's latency, and the hedge delay (a
      // percentile of these samples) would creep up by the twin's latency at every hedge. A twin
      // that lost says nothing about its own latency and records nothing.
      if (error.slowerThanMs !== undefined) {
        this.state.latency(deployment.provider, deployment.model).record(error.slowerThanMs);
      }
      run.recordCancelled(deployment, apiKey, started);
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
  private applyKeyState(error: UpstreamError, pool: KeyPool, apiKey: string | undefined): void {
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
  usableAfter(run: RequestRun, index: number): boolean {
    return this.nextUsable(run, index) >= 0;
  }

  /** The index of the next deployment after `index` that could take the request now, or -1. */
  nextUsable(run: RequestRun, index: number): number {
    for (let next = index + 1; next < run.chain.length; next++) {
      const { provider, model } = run.chain[next];
      if (this.state.pool(provider).available() && this.state.breakers.get(provider, model).allowsRequests())
        return next;
    }
    return -1;
  }

  private async waitForKey(
    pool: KeyPool,
    run: RequestRun,
    deployment: DeploymentConfig,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await pool.waitForKey(signal);
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        run.recordFailure(deployment, undefined, this.clock.monotonic(), 0, {
          failureClass: FailureClass.DeadlineExceeded,
          message: error.message,
        });
        throw ChainFailedError.deadline(error, run.attempts);
      }
      throw error;
    }
  }

  private async wait(
    ms: number,
    run: RequestRun,
    deployment: DeploymentConfig,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await sleep(ms, signal);
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
}
