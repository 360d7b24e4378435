import type { FailureClass } from '../common/failure-class';
import type { ClientTier } from '../config/config.schema';
import type { AttemptRecord } from '../resilience/attempt-record';

/** The client request as kept in the queue: what is needed to replay it, never a header or a key. */
export interface DlqRequest {
  model: string;
  messages: unknown[];
  /** Every other request field (temperature, max_tokens, tools, ...), as the client sent it. */
  params: Record<string, unknown>;
  stream: boolean;
}

export interface DlqReplay {
  at: number;
  outcome: 'success' | 'failure';
  failureClass?: FailureClass;
  message?: string;
  attempts: AttemptRecord[];
}

/** One client request that finally failed, kept to inspect and replay. */
export interface DlqRecord {
  id: string;
  createdAt: number;
  requestId: string;
  traceId?: string;
  client?: { name: string; tier: ClientTier };
  request: DlqRequest;
  failureClass: FailureClass;
  status: number;
  message: string;
  attempts: AttemptRecord[];
  /** `pending` until a replay succeeds. */
  state: 'pending' | 'resolved';
  replayCount: number;
  replays: DlqReplay[];
  /** The answer of the successful replay, kept until retention ends. */
  response?: unknown;
  resolvedAt?: number;
}

/** Filters shared by list, purge and bulk replay. */
export interface DlqFilter {
  failureClass?: FailureClass;
  /** Matches a record when any of its attempts went to this provider. */
  provider?: string;
  client?: string;
  state?: DlqRecord['state'];
  since?: number;
  until?: number;
}

export interface DlqQuery extends DlqFilter {
  limit: number;
  /** Opaque, from the previous page's `nextCursor`. */
  cursor?: string;
}

export interface DlqPage {
  items: DlqRecord[];
  nextCursor?: string;
}

/** Counters kept by the store itself, so they survive a restart. */
export interface DlqStoreStats {
  currentSize: number;
  totalAdded: number;
  totalEvicted: number;
  totalExpired: number;
  totalReplayed: number;
  replaySuccesses: number;
  byClass: Record<string, number>;
  byProvider: Record<string, number>;
}
