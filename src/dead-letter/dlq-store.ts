import type { DlqFilter, DlqPage, DlqQuery, DlqRecord, DlqReplay, DlqStoreStats } from './dlq-record';

/** Injection token of the configured store (`dlq.store`: sqlite, memory; redis with the scale-out issue). */
export const DLQ_STORE = Symbol('DLQ_STORE');

/**
 * Where dead letters live. Every method may be backed by I/O, so all are async; a store that cannot
 * write throws, and the caller decides what the client still gets (it always gets its answer).
 */
export interface DlqStore {
  readonly kind: 'sqlite' | 'memory' | 'redis';
  /** Stores a record durably and evicts the oldest beyond `maxSize`; returns how many were evicted. */
  add(record: DlqRecord, maxSize: number): Promise<{ evicted: number }>;
  get(id: string): Promise<DlqRecord | undefined>;
  /** Newest first. */
  list(query: DlqQuery): Promise<DlqPage>;
  /** Ids matching a filter, newest first, at most `limit` (bulk replay). */
  ids(filter: DlqFilter, limit: number): Promise<string[]>;
  delete(id: string): Promise<boolean>;
  /** Deletes everything matching the filter (everything without one); returns the count. */
  purge(filter?: DlqFilter): Promise<number>;
  /** Retention: deletes records created before `before`; returns the count. */
  expire(before: number): Promise<number>;
  stats(): Promise<DlqStoreStats>;
  /**
   * Takes the replay lock of one record until `until` (epoch ms), atomically: true for exactly one
   * caller at a time, across processes sharing the store. A lock past its time may be taken over.
   */
  acquireReplayLock(id: string, owner: string, now: number, until: number): Promise<boolean>;
  releaseReplayLock(id: string, owner: string): Promise<void>;
  /** Appends a replay's result; a success resolves the record and keeps its answer. */
  recordReplay(id: string, replay: DlqReplay, response?: unknown): Promise<DlqRecord | undefined>;
  /** Throws when the store cannot be used (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
}
