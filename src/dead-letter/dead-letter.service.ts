import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Interval } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus, type RequestOutcomeEvent } from '../common/events';
import { FailureClass } from '../common/failure-class';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import type { DlqFilter, DlqPage, DlqQuery, DlqRecord, DlqRequest, DlqStoreStats } from './dlq-record';
import { DLQ_STORE, type DlqStore } from './dlq-store';

/** Classes the queue keeps: the request was valid and could not be served. */
const NOT_RECORDED = new Set<FailureClass | undefined>([
  FailureClass.BadRequest,
  FailureClass.Shed,
  undefined,
]);
const HOUR_MS = 3_600_000;
const EMPTY_STATS: DlqStoreStats = {
  currentSize: 0,
  totalAdded: 0,
  totalEvicted: 0,
  totalExpired: 0,
  totalReplayed: 0,
  replaySuccesses: 0,
  byClass: {},
  byProvider: {},
};

export interface DlqStats extends DlqStoreStats {
  maxSize: number;
  store: DlqStore['kind'];
  writeFailures: number;
  /** Set when the store cannot be read: the counts are then zero. */
  storeError?: string;
}

/**
 * The dead letter queue: every client request that finally failed is written here before its error
 * response goes out (request.failed is awaited), and its id is stamped on the error (`error.dlq_id`).
 * A store that cannot be written never costs the client its answer: the failure is logged, counted
 * and announced (dlq.write_failed) for the alerts.
 */
@Injectable()
export class DeadLetterService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeadLetterService.name);
  private writeFailures = 0;

  constructor(
    @Inject(DLQ_STORE) private readonly store: DlqStore,
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
    private readonly clock: Clock,
    private readonly bus: CortexEventBus,
  ) {}

  @OnEvent(CortexEvent.RequestFailed)
  async onRequestFailed(event: RequestOutcomeEvent): Promise<void> {
    if (NOT_RECORDED.has(event.failureClass) || !event.request) return;
    const record = this.toRecord(event);
    try {
      const { evicted } = await this.store.add(record, this.config.dlq.max_size);
      if (event.error) event.error.dlqId = record.id;
      this.bus.emit(CortexEvent.DlqItemAdded, {
        id: record.id,
        failureClass: record.failureClass,
        providers: providersOf(record),
        at: record.createdAt,
      });
      if (evicted > 0) this.bus.emit(CortexEvent.DlqItemsEvicted, { count: evicted, at: record.createdAt });
    } catch (error) {
      this.writeFailures++;
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(
        `could not record failed request ${event.requestId} in the dead letter queue: ${message}`,
      );
      this.bus.emit(CortexEvent.DlqWriteFailed, {
        requestId: event.requestId,
        message,
        at: this.clock.now(),
      });
    }
  }

  /** Retention: hourly, records older than `dlq.retention_hours` go. */
  @Interval('dlq-retention', HOUR_MS)
  async expireOld(): Promise<number> {
    const now = this.clock.now();
    const expired = await this.store.expire(now - this.config.dlq.retention_hours * HOUR_MS);
    if (expired > 0) {
      this.logger.log(
        `retention: ${expired} dead letters older than ${this.config.dlq.retention_hours} h removed`,
      );
      this.bus.emit(CortexEvent.DlqItemsExpired, { count: expired, at: now });
    }
    return expired;
  }

  list(query: DlqQuery): Promise<DlqPage> {
    return this.store.list(query);
  }

  get(id: string): Promise<DlqRecord | undefined> {
    return this.store.get(id);
  }

  delete(id: string): Promise<boolean> {
    return this.store.delete(id);
  }

  purge(filter?: DlqFilter): Promise<number> {
    return this.store.purge(filter);
  }

  async stats(): Promise<DlqStats> {
    const own = {
      maxSize: this.config.dlq.max_size,
      store: this.store.kind,
      writeFailures: this.writeFailures,
    };
    try {
      return { ...(await this.store.stats()), ...own };
    } catch (error) {
      return { ...EMPTY_STATS, ...own, storeError: error instanceof Error ? error.message : String(error) };
    }
  }

  /** For readiness: throws when the store cannot be used. */
  check(): Promise<void> {
    return this.store.check();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  private toRecord(event: RequestOutcomeEvent): DlqRecord {
    return {
      id: `dlq_${randomUUID().replaceAll('-', '')}`,
      createdAt: this.clock.now(),
      requestId: event.requestId,
      traceId: event.traceId,
      client: event.client,
      request: sanitizedRequest(event.request!),
      failureClass: event.failureClass!,
      status: event.status ?? 502,
      message: event.message ?? '',
      attempts: [...event.attempts],
      state: 'pending',
      replayCount: 0,
      replays: [],
    };
  }
}

/** The request body as replayable data: model, messages and parameters; nothing from the headers. */
function sanitizedRequest(body: Record<string, unknown>): DlqRequest {
  const { model, messages, stream, ...params } = body;
  return {
    model: typeof model === 'string' ? model : '',
    messages: Array.isArray(messages) ? messages : [],
    params,
    stream: stream === true,
  };
}

export function providersOf(record: DlqRecord): string[] {
  return [...new Set(record.attempts.map((attempt) => attempt.provider))];
}
