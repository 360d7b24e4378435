import type { DatabaseSync } from 'node:sqlite';

/**
 * The schema of the SQLite dead letter queue, one entry per version; `PRAGMA user_version` holds
 * how many have run. Never edit a released entry: append a new one, so every file on disk moves
 * forward through the same steps.
 *
 * Sized for the write path: every add() inserts one record and, once full, evicts the oldest, and
 * each index costs a page written at both ends. So a record is one JSON column (`body`) plus the
 * columns queries filter on, with only two indexes: `id` for lookups and `(created_at, id)` for the
 * newest-first order, paging, eviction and retention. Filters by class, client and state walk that
 * order and test the columns (a bounded queue; the admin asks for a page). The providers of a
 * record's attempts go to a side table keyed by the record's integer `seq`, so its rows are added at
 * one end and evicted at the other; a provider filter probes it per record, and foreign keys delete
 * its rows with their record. The counters are one row, bumped once per write in the same transaction.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE dlq_records (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    failure_class TEXT NOT NULL,
    client TEXT,
    state TEXT NOT NULL,
    lock_owner TEXT,
    lock_until INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
  );
  CREATE INDEX dlq_records_by_time ON dlq_records (created_at, id);
  CREATE TABLE dlq_record_providers (
    record_seq INTEGER NOT NULL REFERENCES dlq_records (seq) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    PRIMARY KEY (record_seq, provider)
  ) WITHOUT ROWID;
  CREATE TABLE dlq_counters (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    total_added INTEGER NOT NULL DEFAULT 0,
    total_evicted INTEGER NOT NULL DEFAULT 0,
    total_expired INTEGER NOT NULL DEFAULT 0,
    total_replayed INTEGER NOT NULL DEFAULT 0,
    replay_successes INTEGER NOT NULL DEFAULT 0,
    current_size INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO dlq_counters (id) VALUES (1);
  `,
];

/** The version a file has once every migration ran. */
export const DLQ_SCHEMA_VERSION = MIGRATIONS.length;

function userVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
}

/**
 * Brings the file to DLQ_SCHEMA_VERSION, each step in its own transaction. The version is read again
 * under the write lock, so two processes opening a new file at once run each step only once.
 */
export function migrateDlqSchema(db: DatabaseSync): void {
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const version = userVersion(db);
      if (version > DLQ_SCHEMA_VERSION) {
        throw new Error(
          `schema version ${version} is newer than this Cortex understands (${DLQ_SCHEMA_VERSION})`,
        );
      }
      if (version === DLQ_SCHEMA_VERSION) {
        db.exec('COMMIT');
        return;
      }
      db.exec(MIGRATIONS[version]);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}
