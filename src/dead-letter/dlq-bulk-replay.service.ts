import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import type { DlqFilter } from './dlq-record';
import { DLQ_STORE, type DlqStore } from './dlq-store';
import { DlqReplayService } from './dlq-replay.service';

export interface BulkReplayRequest {
  filter: DlqFilter;
  limit: number;
  concurrency: number;
  ratePerSecond: number;
  onlyHealthy: boolean;
}

export interface BulkReplayJob {
  id: string;
  status: 'running' | 'done';
  startedAt: number;
  finishedAt?: number;
  request: BulkReplayRequest;
  total: number;
  /** Each finished item counts in exactly one of succeeded, failed, skipped and conflicts. */
  succeeded: number;
  failed: number;
  skipped: number;
  /** Items another replay held at the time (never run twice). */
  conflicts: number;
}

const KEPT_JOBS = 20;

/**
 * Bulk replay of the items matching a filter, in the background, with bounded concurrency and a
 * start rate limit, so replaying a backlog never becomes its own outage. Progress is readable while
 * it runs; the job ends with its summary (kept for the last 20 jobs).
 */
@Injectable()
export class DlqBulkReplayService {
  private readonly logger = new Logger(DlqBulkReplayService.name);
  private readonly jobs = new Map<string, BulkReplayJob>();

  constructor(
    @Inject(DLQ_STORE) private readonly store: DlqStore,
    private readonly replays: DlqReplayService,
    private readonly clock: Clock,
  ) {}

  async start(request: BulkReplayRequest): Promise<BulkReplayJob> {
    const ids = await this.store.ids({ ...request.filter, state: 'pending' }, request.limit);
    const job: BulkReplayJob = {
      id: `replay_${randomUUID().slice(0, 12)}`,
      status: 'running',
      startedAt: this.clock.now(),
      request,
      total: ids.length,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      conflicts: 0,
    };
    this.keep(job);
    void this.run(job, ids);
    return { ...job };
  }

  get(id: string): BulkReplayJob {
    const job = this.jobs.get(id);
    if (!job)
      throw new GatewayError(404, 'not_found_error', `No replay job ${id}.`, {
        code: 'job_not_found',
        param: 'id',
      });
    return { ...job };
  }

  /** Waits for a job to finish (tests, and callers that asked to wait). */
  async finished(id: string, pollMs = 20): Promise<BulkReplayJob> {
    while (this.get(id).status === 'running') await new Promise((resolve) => setTimeout(resolve, pollMs));
    return this.get(id);
  }

  private async run(job: BulkReplayJob, ids: string[]): Promise<void> {
    let next = 0;
    const intervalMs = 1000 / job.request.ratePerSecond;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const index = next++;
        const due = job.startedAt + index * intervalMs;
        const wait = due - this.clock.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await this.replayOne(job, ids[index]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(job.request.concurrency, ids.length) }, worker));
    job.status = 'done';
    job.finishedAt = this.clock.now();
    this.logger.log(
      `replay job ${job.id}: ${job.succeeded} succeeded, ${job.failed} failed, ${job.skipped} skipped, ` +
        `${job.conflicts} already running, of ${job.total}`,
    );
  }

  private async replayOne(job: BulkReplayJob, id: string): Promise<void> {
    try {
      const result = await this.replays.replay(id, { onlyHealthy: job.request.onlyHealthy });
      if (result.outcome === 'success') job.succeeded++;
      else if (result.outcome === 'failure') job.failed++;
      else job.skipped++;
    } catch (error) {
      // 404 (deleted meanwhile) and 409 (resolved or running elsewhere) are not failures of the job.
      if (error instanceof GatewayError && error.status === 409) job.conflicts++;
      else if (error instanceof GatewayError && error.status === 404) job.skipped++;
      else {
        job.failed++;
        this.logger.error(`replay of ${id} in job ${job.id} threw: ${(error as Error).message}`);
      }
    }
  }

  private keep(job: BulkReplayJob): void {
    this.jobs.set(job.id, job);
    while (this.jobs.size > KEPT_JOBS) this.jobs.delete(this.jobs.keys().next().value!);
  }
}
