import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Clock } from '../common/clock';
import { cursorAfter, decodeDlqCursor } from './dlq-cursor';
import type { DlqFilter, DlqPage, DlqQuery, DlqRecord, DlqReplay, DlqStoreStats } from './dlq-record';
import type { DlqStore } from './dlq-store';
import { SqliteDlqCheckpointer } from './sqlite-dlq.checkpointer';
import { migrateDlqSchema } from './sqlite-dlq.migrations';
import { filteredDlqStatement, prepareDlqStatements, type DlqConnection } from './sqlite-dlq.statements';

/**
 * NORMAL (default): a commit survives the process being killed (WAL), not an OS crash or power loss,
 * and costs no fsync. FULL: each commit is fsynced before add() resolves, so it survives power loss,
 * at about half the write rate and twice the latency (bench/dlq-store.js), and that fsync blocks the
 * event loop (DatabaseSync is synchronous). Neither setting can corrupt the file.
 */
export type DlqSynchronous = 'NORMAL' | 'FULL';

export interface SqliteDlqStoreOptions {
  /** The database file; its directory is created when missing. */
  path: string;
  synchronous?: DlqSynchronous;
  clock: Clock;
}

/** What the file is running with, for readiness details and tests. */
export interface SqliteDlqStoreInfo {
  path: string;
  journalMode: string;
  synchronous: DlqSynchronous;
  schemaVersion: number;
}

/** Another process writing the same file makes us wait this long (blocking) before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** WAL pages after which a commit checkpoints by itself, should the background checkpointer lag (16 MiB). */
const SAFETY_AUTOCHECKPOINT_PAGES = 4000;
/** SQLite primary result codes after which the connection is reopened: the file or disk changed under it. */
const STORAGE_FAILURES = new Set([8, 10, 11, 13, 14, 26]);

const parse = (row: Record<string, SQLInputValue> | undefined) =>
  row ? (JSON.parse(row.body as string) as DlqRecord) : undefined;

/**
 * The embedded default store: one SQLite file (node:sqlite, WAL) that several processes may share.
 * Every write is one IMMEDIATE transaction: the record, its providers, eviction beyond max_size and
 * the counters commit together, so a killed process leaves either all of it or none.
 */
export class SqliteDlqStore implements DlqStore {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly synchronous: DlqSynchronous;
  private readonly clock: Clock;
  private current?: DlqConnection;
  private closed = false;

  constructor(options: SqliteDlqStoreOptions) {
    this.path = options.path;
    this.synchronous = options.synchronous ?? 'NORMAL';
    this.clock = options.clock;
    // The value goes into a PRAGMA, which takes no bound parameters.
    if (this.synchronous !== 'NORMAL' && this.synchronous !== 'FULL') {
      throw new Error(
        `Dead letter store synchronous must be NORMAL or FULL, got ${String(this.synchronous)}`,
      );
    }
    // Fails fast with the reason (read-only directory, not a database, newer schema): the module then
    // starts the gateway with a stand-in store that keeps trying to open the file.
    try {
      this.connection();
    } catch (error) {
      throw this.failure('cannot be opened', error);
    }
  }

  async add(record: DlqRecord, maxSize: number): Promise<{ evicted: number }> {
    return this.write(({ statements }) => {
      const { id, createdAt, failureClass, client, state } = record;
      const { lastInsertRowid: seq } = statements.insert.run(
        id,
        createdAt,
        failureClass,
        client?.name ?? null,
        state,
        JSON.stringify(record),
      );
      for (const provider of new Set(record.attempts.map((attempt) => attempt.provider))) {
        statements.insertProvider.run(seq, provider);
      }
      const size = Number(statements.size.get()!.current_size) + 1;
      const evicted = size > maxSize ? Number(statements.evictOldest.run(size - maxSize).changes) : 0;
      statements.countAdded.run(evicted);
      return { evicted };
    });
  }

  async get(id: string): Promise<DlqRecord | undefined> {
    return this.read(({ statements }) => parse(statements.get.get(id)));
  }

  async list(query: DlqQuery): Promise<DlqPage> {
    const after = query.cursor === undefined ? undefined : decodeDlqCursor(query.cursor);
    const limit = Math.max(0, Math.floor(query.limit));
    if (limit === 0) return { items: [] };
    const rows = this.read((connection) => {
      const { statement, params } = filteredDlqStatement(
        connection,
        'SELECT body FROM dlq_records',
        query,
        after,
        true,
      );
      return statement.all({ ...params, limit: limit + 1 });
    });
    const items = rows.slice(0, limit).map((row) => parse(row)!);
    return rows.length > limit ? { items, nextCursor: cursorAfter(items[limit - 1]) } : { items };
  }

  async ids(filter: DlqFilter, limit: number): Promise<string[]> {
    const max = Math.max(0, Math.floor(limit));
    if (max === 0) return [];
    return this.read((connection) => {
      const { statement, params } = filteredDlqStatement(
        connection,
        'SELECT id FROM dlq_records',
        filter,
        undefined,
        true,
      );
      return statement.all({ ...params, limit: max }).map((row) => row.id as string);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.write(({ statements }) => {
      const deleted = Number(statements.delete.run(id).changes);
      statements.countRemoved.run(deleted, 0);
      return deleted === 1;
    });
  }

  async purge(filter: DlqFilter = {}): Promise<number> {
    return this.write((connection) => {
      const { statement, params } = filteredDlqStatement(
        connection,
        'DELETE FROM dlq_records',
        filter,
        undefined,
        false,
      );
      const deleted = Number(statement.run(params).changes);
      connection.statements.countRemoved.run(deleted, 0);
      return deleted;
    });
  }

  async expire(before: number): Promise<number> {
    return this.write(({ statements }) => {
      const expired = Number(statements.expire.run(before).changes);
      statements.countRemoved.run(expired, expired);
      return expired;
    });
  }

  async stats(): Promise<DlqStoreStats> {
    return this.read(({ statements }) => {
      const counters = statements.counters.get()!;
      const breakdown = (statement: StatementSync) =>
        Object.fromEntries(statement.all().map((row) => [row.key as string, Number(row.n)]));
      return {
        currentSize: Number(counters.current_size),
        totalAdded: Number(counters.total_added),
        totalEvicted: Number(counters.total_evicted),
        totalExpired: Number(counters.total_expired),
        totalReplayed: Number(counters.total_replayed),
        replaySuccesses: Number(counters.replay_successes),
        byClass: breakdown(statements.byClass),
        byProvider: breakdown(statements.byProvider),
      };
    });
  }

  async acquireReplayLock(id: string, owner: string, now: number, until: number): Promise<boolean> {
    return this.write(({ statements }) => Number(statements.lock.run(owner, until, id, now).changes) === 1);
  }

  async releaseReplayLock(id: string, owner: string): Promise<void> {
    this.write(({ statements }) => statements.unlock.run(id, owner));
  }

  async recordReplay(id: string, replay: DlqReplay, response?: unknown): Promise<DlqRecord | undefined> {
    return this.write(({ statements }) => {
      const record = parse(statements.get.get(id));
      if (!record) return undefined;
      const success = replay.outcome === 'success';
      record.replays.push(replay);
      record.replayCount += 1;
      if (success) {
        record.state = 'resolved';
        record.resolvedAt = this.clock.now();
        if (response !== undefined) record.response = response;
      }
      statements.update.run(record.state, JSON.stringify(record), id);
      statements.countReplayed.run(success ? 1 : 0);
      return record;
    });
  }

  /** Opens the file if needed and takes the write lock: fails on a read-only, missing or locked file. */
  async check(): Promise<void> {
    this.write(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.current;
    this.current = undefined;
    if (!connection) return;
    // The worker's connection goes first: the last one to close folds the WAL into the file and removes it.
    await connection.checkpointer.stop();
    connection.db.close();
  }

  /** The settings the open file runs with. */
  info(): SqliteDlqStoreInfo {
    return this.read(({ db }) => ({
      path: this.path,
      journalMode: String(db.prepare('PRAGMA journal_mode').get()!.journal_mode),
      synchronous: Number(db.prepare('PRAGMA synchronous').get()!.synchronous) === 2 ? 'FULL' : 'NORMAL',
      schemaVersion: Number(db.prepare('PRAGMA user_version').get()!.user_version),
    }));
  }

  private connection(): DlqConnection {
    if (this.current) return this.current;
    if (this.closed) throw new Error('the store is closed');
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new DatabaseSync(this.path, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
    try {
      const mode = db.prepare('PRAGMA journal_mode = WAL').get()!.journal_mode;
      if (mode !== 'wal') throw new Error(`WAL journal mode unavailable (got ${String(mode)})`);
      db.exec(`PRAGMA synchronous = ${this.synchronous}`);
      migrateDlqSchema(db);
      const statements = prepareDlqStatements(db);
      // Heals a size counter that drifted through edits made outside the store.
      statements.resyncSize.run();
      db.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_AUTOCHECKPOINT_PAGES}`);
      const checkpointer = new SqliteDlqCheckpointer(this.path, this.synchronous, BUSY_TIMEOUT_MS);
      this.current = { db, statements, filtered: new Map(), checkpointer };
      return this.current;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private read<T>(work: (connection: DlqConnection) => T): T {
    try {
      return work(this.connection());
    } catch (error) {
      throw this.failure('cannot be read', error);
    }
  }

  private write<T>(work: (connection: DlqConnection) => T): T {
    let connection: DlqConnection | undefined;
    try {
      connection = this.connection();
      connection.statements.begin.run();
      const result = work(connection);
      connection.statements.commit.run();
      connection.checkpointer.wrote();
      return result;
    } catch (error) {
      if (connection?.db.isOpen && connection.db.isTransaction) {
        try {
          connection.statements.rollback.run();
        } catch {
          // SQLite already rolled back (it does on some I/O errors); the original error says why.
        }
      }
      throw this.failure('cannot be written', error);
    }
  }

  private failure(action: string, error: unknown): Error {
    // Duck-typed: node:sqlite errors come from another realm under jest, so instanceof Error fails.
    const { errcode, message } = (error ?? {}) as { errcode?: unknown; message?: unknown };
    if (typeof errcode === 'number' && STORAGE_FAILURES.has(errcode & 0xff)) this.drop();
    const reason = typeof message === 'string' ? message : String(error);
    return new Error(`Dead letter store ${this.path} ${action}: ${reason}`, { cause: error });
  }

  /** Forgets a connection whose storage failed; the next call opens the file again. */
  private drop(): void {
    const connection = this.current;
    this.current = undefined;
    if (!connection) return;
    void connection.checkpointer.stop();
    if (connection.db.isOpen) connection.db.close();
  }
}
