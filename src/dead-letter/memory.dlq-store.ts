import type { Clock } from '../common/clock';
import { compareNewestFirst, cursorAfter, decodeDlqCursor, type DlqCursorPosition } from './dlq-cursor';
import type { DlqFilter, DlqPage, DlqQuery, DlqRecord, DlqReplay, DlqStoreStats } from './dlq-record';
import type { DlqStore } from './dlq-store';

export interface MemoryDlqStoreOptions {
  clock: Clock;
}

interface Entry {
  record: DlqRecord;
  providers: Set<string>;
  lock?: { owner: string; until: number };
}

/** The filter semantics every store shares: since inclusive, until exclusive, provider of any attempt. */
function matches(entry: Entry, filter: DlqFilter): boolean {
  const { record } = entry;
  return (
    (filter.failureClass === undefined || record.failureClass === filter.failureClass) &&
    (filter.provider === undefined || entry.providers.has(filter.provider)) &&
    (filter.client === undefined || record.client?.name === filter.client) &&
    (filter.state === undefined || record.state === filter.state) &&
    (filter.since === undefined || record.createdAt >= filter.since) &&
    (filter.until === undefined || record.createdAt < filter.until)
  );
}

/**
 * The development store: records live as long as the process. Same behaviour as the SQLite store,
 * copies in and out so no caller can change a stored record behind the store's back.
 */
export class MemoryDlqStore implements DlqStore {
  readonly kind = 'memory';
  private readonly clock: Clock;
  /** Newest first, the order of every query; eviction takes from the end. */
  private readonly order: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private readonly counters = {
    totalAdded: 0,
    totalEvicted: 0,
    totalExpired: 0,
    totalReplayed: 0,
    replaySuccesses: 0,
  };

  constructor(options: MemoryDlqStoreOptions) {
    this.clock = options.clock;
  }

  async add(record: DlqRecord, maxSize: number): Promise<{ evicted: number }> {
    if (this.byId.has(record.id)) throw new Error(`Dead letter record ${record.id} already exists`);
    const entry: Entry = {
      record: structuredClone(record),
      providers: new Set(record.attempts.map((attempt) => attempt.provider)),
    };
    this.order.splice(this.insertionIndex(record), 0, entry);
    this.byId.set(record.id, entry);
    let evicted = 0;
    while (this.order.length > Math.max(0, maxSize)) {
      this.byId.delete(this.order.pop()!.record.id);
      evicted++;
    }
    this.counters.totalAdded++;
    this.counters.totalEvicted += evicted;
    return { evicted };
  }

  async get(id: string): Promise<DlqRecord | undefined> {
    const entry = this.byId.get(id);
    return entry && structuredClone(entry.record);
  }

  async list(query: DlqQuery): Promise<DlqPage> {
    const after = query.cursor === undefined ? undefined : decodeDlqCursor(query.cursor);
    const limit = Math.max(0, Math.floor(query.limit));
    if (limit === 0) return { items: [] };
    const found = this.select(query, limit + 1, after);
    const items = found.slice(0, limit).map((entry) => structuredClone(entry.record));
    return found.length > limit ? { items, nextCursor: cursorAfter(items[limit - 1]) } : { items };
  }

  async ids(filter: DlqFilter, limit: number): Promise<string[]> {
    return this.select(filter, Math.max(0, Math.floor(limit))).map((entry) => entry.record.id);
  }

  async delete(id: string): Promise<boolean> {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.order.splice(this.insertionIndex(entry.record), 1);
    this.byId.delete(id);
    return true;
  }

  async purge(filter: DlqFilter = {}): Promise<number> {
    return this.remove((entry) => matches(entry, filter));
  }

  async expire(before: number): Promise<number> {
    const expired = this.remove((entry) => entry.record.createdAt < before);
    this.counters.totalExpired += expired;
    return expired;
  }

  async stats(): Promise<DlqStoreStats> {
    const byClass: Record<string, number> = {};
    const byProvider: Record<string, number> = {};
    for (const { record, providers } of this.order) {
      byClass[record.failureClass] = (byClass[record.failureClass] ?? 0) + 1;
      for (const provider of providers) byProvider[provider] = (byProvider[provider] ?? 0) + 1;
    }
    return { currentSize: this.order.length, ...this.counters, byClass, byProvider };
  }

  async acquireReplayLock(id: string, owner: string, now: number, until: number): Promise<boolean> {
    const entry = this.byId.get(id);
    if (!entry || (entry.lock && entry.lock.until > now)) return false;
    entry.lock = { owner, until };
    return true;
  }

  async releaseReplayLock(id: string, owner: string): Promise<void> {
    const entry = this.byId.get(id);
    if (entry?.lock?.owner === owner) entry.lock = undefined;
  }

  async recordReplay(id: string, replay: DlqReplay, response?: unknown): Promise<DlqRecord | undefined> {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    const { record } = entry;
    const success = replay.outcome === 'success';
    record.replays.push(structuredClone(replay));
    record.replayCount += 1;
    if (success) {
      record.state = 'resolved';
      record.resolvedAt = this.clock.now();
      if (response !== undefined) record.response = structuredClone(response);
    }
    this.counters.totalReplayed++;
    if (success) this.counters.replaySuccesses++;
    return structuredClone(record);
  }

  async check(): Promise<void> {}

  async close(): Promise<void> {}

  /** Where a record goes in the newest-first order; new records usually belong at the front. */
  private insertionIndex(position: DlqCursorPosition): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareNewestFirst(this.order[middle].record, position) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private select(filter: DlqFilter, limit: number, after?: DlqCursorPosition): Entry[] {
    const found: Entry[] = [];
    const start = after ? this.insertionIndex(after) : 0;
    for (let i = start; i < this.order.length && found.length < limit; i++) {
      const entry = this.order[i];
      if (after && compareNewestFirst(entry.record, after) <= 0) continue;
      if (matches(entry, filter)) found.push(entry);
    }
    return found;
  }

  private remove(predicate: (entry: Entry) => boolean): number {
    let removed = 0;
    for (let i = this.order.length - 1; i >= 0; i--) {
      if (!predicate(this.order[i])) continue;
      this.byId.delete(this.order[i].record.id);
      this.order.splice(i, 1);
      removed++;
    }
    return removed;
  }
}
