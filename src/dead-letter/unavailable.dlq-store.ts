import type { Clock } from '../common/clock';
import type { DlqPage, DlqRecord, DlqStoreStats } from './dlq-record';
import type { DlqStore } from './dlq-store';

/**
 * Stands in for a store that could not be opened (unwritable directory, full disk, bad path): the
 * gateway still starts and still answers every client, readiness reports the problem, and each write
 * retries opening the real store (at most every `retryMs`), so the queue heals once the disk does.
 */
export class UnavailableDlqStore implements DlqStore {
  private store: DlqStore | undefined;
  private lastTry: number;

  constructor(
    readonly kind: DlqStore['kind'],
    private readonly open: () => DlqStore,
    private reason: string,
    private readonly clock: Clock,
    private readonly retryMs = 5000,
  ) {
    this.lastTry = clock.now();
  }

  add(record: DlqRecord, maxSize: number): Promise<{ evicted: number }> {
    return this.real().add(record, maxSize);
  }
  get(id: string): Promise<DlqRecord | undefined> {
    return this.real().get(id);
  }
  list(query: Parameters<DlqStore['list']>[0]): Promise<DlqPage> {
    return this.real().list(query);
  }
  ids(filter: Parameters<DlqStore['ids']>[0], limit: number): Promise<string[]> {
    return this.real().ids(filter, limit);
  }
  delete(id: string): Promise<boolean> {
    return this.real().delete(id);
  }
  purge(filter?: Parameters<DlqStore['purge']>[0]): Promise<number> {
    return this.real().purge(filter);
  }
  expire(before: number): Promise<number> {
    return this.real().expire(before);
  }
  stats(): Promise<DlqStoreStats> {
    return this.real().stats();
  }
  acquireReplayLock(id: string, owner: string, now: number, until: number): Promise<boolean> {
    return this.real().acquireReplayLock(id, owner, now, until);
  }
  releaseReplayLock(id: string, owner: string): Promise<void> {
    return this.real().releaseReplayLock(id, owner);
  }
  recordReplay(...args: Parameters<DlqStore['recordReplay']>): ReturnType<DlqStore['recordReplay']> {
    return this.real().recordReplay(...args);
  }
  async check(): Promise<void> {
    await this.real().check();
  }
  async close(): Promise<void> {
    await this.store?.close();
  }

  /** The real store once it opens; otherwise throws why it cannot (and tries again later). */
  private real(): DlqStore {
    if (this.store) return this.store;
    const now = this.clock.now();
    if (now - this.lastTry >= this.retryMs) {
      this.lastTry = now;
      try {
        this.store = this.open();
        return this.store;
      } catch (error) {
        this.reason = error instanceof Error ? error.message : String(error);
      }
    }
    throw new Error(`the dead letter store is unavailable: ${this.reason}`);
  }
}
