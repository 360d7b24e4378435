import type { AttemptRecord } from '../resilience/attempt-record';
import type { DlqRecord } from './dlq-record';
import type { BulkReplayJob } from './dlq-bulk-replay.service';
import type { DlqStats } from './dead-letter.service';

/** The admin API speaks snake_case JSON, like the rest of CONTRACT §4. */

function attemptWire(attempt: AttemptRecord): Record<string, unknown> {
  return {
    provider: attempt.provider,
    model: attempt.model,
    key_suffix: attempt.keySuffix,
    outcome: attempt.outcome,
    failure_class: attempt.failureClass,
    skip_reason: attempt.skipReason,
    status: attempt.status,
    duration_ms: attempt.durationMs,
    waited_ms: attempt.waitedMs,
    message: attempt.message,
  };
}

export function recordWire(record: DlqRecord): Record<string, unknown> {
  return {
    id: record.id,
    created_at: new Date(record.createdAt).toISOString(),
    request_id: record.requestId,
    trace_id: record.traceId,
    client: record.client,
    request: record.request,
    failure_class: record.failureClass,
    status: record.status,
    message: record.message,
    attempts: record.attempts.map(attemptWire),
    state: record.state,
    replay_count: record.replayCount,
    replays: record.replays.map((replay) => ({
      at: new Date(replay.at).toISOString(),
      outcome: replay.outcome,
      failure_class: replay.failureClass,
      message: replay.message,
      attempts: replay.attempts.map(attemptWire),
    })),
    response: record.response,
    resolved_at: record.resolvedAt === undefined ? undefined : new Date(record.resolvedAt).toISOString(),
  };
}

export function statsWire(stats: DlqStats): Record<string, unknown> {
  return {
    store: stats.store,
    current_size: stats.currentSize,
    max_size: stats.maxSize,
    total_added: stats.totalAdded,
    total_evicted: stats.totalEvicted,
    total_expired: stats.totalExpired,
    total_replayed: stats.totalReplayed,
    replay_successes: stats.replaySuccesses,
    write_failures: stats.writeFailures,
    store_error: stats.storeError,
    by_class: stats.byClass,
    by_provider: stats.byProvider,
  };
}

export function jobWire(job: BulkReplayJob): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    started_at: new Date(job.startedAt).toISOString(),
    finished_at: job.finishedAt === undefined ? undefined : new Date(job.finishedAt).toISOString(),
    total: job.total,
    // Items finished so far: each counts in exactly one of the four outcomes.
    done: job.succeeded + job.failed + job.skipped + job.conflicts,
    succeeded: job.succeeded,
    failed: job.failed,
    skipped: job.skipped,
    conflicts: job.conflicts,
  };
}
