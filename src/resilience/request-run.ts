import type { Clock } from '../common/clock';
import type { FailureClass } from '../common/failure-class';
import type { RequestContext } from '../common/request-context';
import type { DeploymentConfig } from '../config/config.schema';
import type { ChatRequest } from '../providers/chat.types';
import { maskKey } from '../providers/mask-key';
import type { AttemptRecord, SkipReason } from './attempt-record';
import { RequestDeadline } from './request-deadline';
import type { ResiliencePolicy } from './resilience-policies.service';

/**
 * The bookkeeping of one client request across all its attempts: the deadline, the attempt budget
 * shared by retries and fallbacks (no multiplying), and the record of every attempt.
 */
export class RequestRun {
  readonly attempts: AttemptRecord[] = [];
  readonly deadline: RequestDeadline;
  readonly startedAt: number;
  private calls = 0;
  private freeCalls = 0;

  constructor(
    readonly request: ChatRequest,
    readonly context: RequestContext,
    readonly policy: ResiliencePolicy,
    readonly chain: readonly DeploymentConfig[],
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.monotonic();
    this.deadline = new RequestDeadline(context.signal, policy.requestTimeoutMs, clock.now());
  }

  get callsLeft(): number {
    return this.policy.maxAttempts + this.freeCalls - this.calls;
  }

  /** Counts one upstream call against the request's attempt budget. */
  countCall(): void {
    this.calls++;
  }

  /** The next call rotates to another key after a key problem: the pool is walked outside the budget. */
  grantFreeCall(): void {
    this.freeCalls++;
  }

  remainingMs(): number {
    return this.deadline.expiresAt - this.clock.now();
  }

  elapsedMs(): number {
    return round(this.clock.monotonic() - this.startedAt);
  }

  recordSuccess(
    deployment: DeploymentConfig,
    apiKey: string | undefined,
    started: number,
    waitedMs: number,
  ): AttemptRecord {
    return this.push({
      provider: deployment.provider,
      model: deployment.model,
      keySuffix: suffix(apiKey),
      outcome: 'success',
      durationMs: round(this.clock.monotonic() - started),
      waitedMs,
    });
  }

  recordFailure(
    deployment: DeploymentConfig,
    apiKey: string | undefined,
    started: number,
    waitedMs: number,
    failure: { failureClass: FailureClass; status?: number; message?: string },
  ): AttemptRecord {
    return this.push({
      provider: deployment.provider,
      model: deployment.model,
      keySuffix: suffix(apiKey),
      outcome: 'failure',
      failureClass: failure.failureClass,
      status: failure.status,
      durationMs: round(this.clock.monotonic() - started),
      waitedMs,
      message: failure.message,
    });
  }

  recordCancelled(deployment: DeploymentConfig, apiKey: string | undefined, started: number): AttemptRecord {
    return this.push({
      provider: deployment.provider,
      model: deployment.model,
      keySuffix: suffix(apiKey),
      outcome: 'cancelled',
      durationMs: round(this.clock.monotonic() - started),
      waitedMs: 0,
    });
  }

  recordSkip(deployment: DeploymentConfig, reason: SkipReason, failureClass?: FailureClass): AttemptRecord {
    return this.push({
      provider: deployment.provider,
      model: deployment.model,
      outcome: 'skipped',
      skipReason: reason,
      failureClass,
      durationMs: 0,
      waitedMs: 0,
    });
  }

  private push(record: AttemptRecord): AttemptRecord {
    this.attempts.push(record);
    return record;
  }
}

function suffix(apiKey: string | undefined): string | undefined {
  return apiKey === undefined ? undefined : maskKey(apiKey);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
