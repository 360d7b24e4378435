import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus } from '../common/events';
import { FailureClass } from '../common/failure-class';
import { GatewayError } from '../common/gateway-error';
import type { ChatRequest } from '../providers/chat.types';
import { ModelCatalog } from '../providers/model-catalog.service';
import { ChainFailedError } from '../resilience/chain-failed.error';
import { RequestRouter } from '../resilience/request-router.service';
import { ResilienceState } from '../resilience/resilience-state.service';
import { ResiliencePolicies } from '../resilience/resilience-policies.service';
import type { DlqRecord } from './dlq-record';
import { DeadLetterService } from './dead-letter.service';
import { DLQ_STORE, type DlqStore } from './dlq-store';

export interface ReplayResult {
  id: string;
  outcome: 'success' | 'failure' | 'skipped';
  state?: DlqRecord['state'];
  failureClass?: FailureClass;
  message?: string;
  response?: unknown;
}

/**
 * Replays dead letters through the whole resilience pipeline (the router, with breakers, keys,
 * retries and fallback), never as a raw upstream call. One replay per item at a time, enforced by the
 * store's lock, so two operators (or two replicas) clicking at once run it once.
 */
@Injectable()
export class DlqReplayService {
  private readonly logger = new Logger(DlqReplayService.name);
  /** Identifies this process as a lock owner. */
  private readonly owner = `cortex-${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(
    @Inject(DLQ_STORE) private readonly store: DlqStore,
    private readonly deadLetters: DeadLetterService,
    private readonly router: RequestRouter,
    private readonly catalog: ModelCatalog,
    private readonly policies: ResiliencePolicies,
    private readonly state: ResilienceState,
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
  ) {}

  /** Replays one item; 404 when unknown, 409 when it is resolved or already being replayed. */
  async replay(id: string, options: { onlyHealthy?: boolean } = {}): Promise<ReplayResult> {
    const record = await this.deadLetters.get(id);
    if (!record) throw dlqNotFound(id);
    if (record.state === 'resolved') {
      throw new GatewayError(409, 'conflict_error', `Dead letter ${id} was already replayed successfully.`, {
        code: 'already_resolved',
      });
    }
    if (options.onlyHealthy && !this.servable(record.request.model)) {
      return {
        id,
        outcome: 'skipped',
        state: record.state,
        message: 'no provider of this model is healthy yet',
      };
    }
    const now = this.clock.now();
    const lockMs = this.policies.forModel(record.request.model).requestTimeoutMs + 5000;
    if (!(await this.store.acquireReplayLock(id, this.owner, now, now + lockMs))) {
      throw new GatewayError(409, 'conflict_error', `Dead letter ${id} is being replayed right now.`, {
        code: 'replay_in_progress',
      });
    }
    try {
      return await this.run(record);
    } finally {
      await this.store.releaseReplayLock(id, this.owner);
    }
  }

  /** Can some deployment of the model take a request now (breaker allows it, a key is available)? */
  servable(model: string): boolean {
    try {
      return this.catalog
        .resolve(model)
        .some(
          ({ provider, model: upstream }) =>
            this.state.pool(provider).available() &&
            this.state.breakers.get(provider, upstream).allowsRequests(),
        );
    } catch {
      return false;
    }
  }

  private async run(record: DlqRecord): Promise<ReplayResult> {
    const request: ChatRequest = {
      ...record.request.params,
      model: record.request.model,
      messages: record.request.messages as ChatRequest['messages'],
      stream: false,
    };
    const context = {
      requestId: `replay-${record.id}-${record.replayCount + 1}`,
      signal: new AbortController().signal,
      client: record.client,
    };
    const at = this.clock.now();
    try {
      const routed = await this.router.complete(request, context);
      const updated = await this.store.recordReplay(
        record.id,
        { at, outcome: 'success', attempts: routed.attempts },
        routed.completion,
      );
      this.bus.emit(CortexEvent.DlqItemReplayed, { id: record.id, outcome: 'success', at });
      return {
        id: record.id,
        outcome: 'success',
        state: updated?.state ?? 'resolved',
        response: routed.completion,
      };
    } catch (error) {
      if (!(error instanceof ChainFailedError)) throw error;
      await this.store.recordReplay(record.id, {
        at,
        outcome: 'failure',
        failureClass: error.failureClass,
        message: error.message,
        attempts: error.attempts,
      });
      this.bus.emit(CortexEvent.DlqItemReplayed, {
        id: record.id,
        outcome: 'failure',
        failureClass: error.failureClass,
        at,
      });
      this.logger.warn(`replay of ${record.id} failed again (${error.failureClass}): ${error.message}`);
      return {
        id: record.id,
        outcome: 'failure',
        state: 'pending',
        failureClass: error.failureClass,
        message: error.message,
      };
    }
  }
}

export function dlqNotFound(id: string): GatewayError {
  return new GatewayError(404, 'not_found_error', `No dead letter with id ${id}.`, {
    code: 'dlq_item_not_found',
    param: 'id',
  });
}
