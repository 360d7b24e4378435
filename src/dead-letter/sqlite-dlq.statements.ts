import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { DlqCursorPosition } from './dlq-cursor';
import type { SqliteDlqCheckpointer } from './sqlite-dlq.checkpointer';
import type { DlqFilter } from './dlq-record';

/** Every fixed statement of the store, prepared once per connection. */
export function prepareDlqStatements(db: DatabaseSync) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    insert: db.prepare(
      'INSERT INTO dlq_records (id, created_at, failure_class, client, state, body) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertProvider: db.prepare(
      'INSERT OR IGNORE INTO dlq_record_providers (record_seq, provider) VALUES (?, ?)',
    ),
    size: db.prepare('SELECT current_size FROM dlq_counters WHERE id = 1'),
    evictOldest: db.prepare(
      'DELETE FROM dlq_records WHERE seq IN (SELECT seq FROM dlq_records ORDER BY created_at, id LIMIT ?)',
    ),
    countAdded: db.prepare(
      'UPDATE dlq_counters SET total_added = total_added + 1, total_evicted = total_evicted + ?1,' +
        ' current_size = current_size + 1 - ?1 WHERE id = 1',
    ),
    countRemoved: db.prepare(
      'UPDATE dlq_counters SET current_size = current_size - ?1, total_expired = total_expired + ?2 WHERE id = 1',
    ),
    countReplayed: db.prepare(
      'UPDATE dlq_counters SET total_replayed = total_replayed + 1, replay_successes = replay_successes + ?' +
        ' WHERE id = 1',
    ),
    resyncSize: db.prepare('UPDATE dlq_counters SET current_size = (SELECT count(*) FROM dlq_records)'),
    counters: db.prepare('SELECT * FROM dlq_counters WHERE id = 1'),
    byClass: db.prepare('SELECT failure_class AS key, count(*) AS n FROM dlq_records GROUP BY failure_class'),
    byProvider: db.prepare(
      'SELECT provider AS key, count(*) AS n FROM dlq_record_providers GROUP BY provider',
    ),
    get: db.prepare('SELECT body FROM dlq_records WHERE id = ?'),
    delete: db.prepare('DELETE FROM dlq_records WHERE id = ?'),
    expire: db.prepare('DELETE FROM dlq_records WHERE created_at < ?'),
    update: db.prepare('UPDATE dlq_records SET state = ?, body = ? WHERE id = ?'),
    // Atomic across processes: the row changes only while its lock is free or past its time.
    lock: db.prepare(
      'UPDATE dlq_records SET lock_owner = ?, lock_until = ? WHERE id = ? AND (lock_owner IS NULL OR lock_until <= ?)',
    ),
    unlock: db.prepare(
      'UPDATE dlq_records SET lock_owner = NULL, lock_until = 0 WHERE id = ? AND lock_owner = ?',
    ),
  };
}

export interface DlqConnection {
  db: DatabaseSync;
  statements: ReturnType<typeof prepareDlqStatements>;
  /** Statements for each filter combination, prepared on first use. */
  filtered: Map<string, StatementSync>;
  checkpointer: SqliteDlqCheckpointer;
}

export interface DlqWhere {
  sql: string;
  params: Record<string, SQLInputValue>;
}

/** The WHERE clause of a filter (and a page cursor), with named parameters; the SQL depends only on which fields are set. */
export function dlqWhere(filter: DlqFilter, after?: DlqCursorPosition): DlqWhere {
  const parts: string[] = [];
  const params: Record<string, SQLInputValue> = {};
  const add = (sql: string, name: string, value: SQLInputValue | undefined) => {
    if (value === undefined) return;
    parts.push(sql);
    params[name] = value;
  };
  add('failure_class = $failureClass', 'failureClass', filter.failureClass);
  add(
    'EXISTS (SELECT 1 FROM dlq_record_providers p WHERE p.record_seq = dlq_records.seq AND p.provider = $provider)',
    'provider',
    filter.provider,
  );
  add('client = $client', 'client', filter.client);
  add('state = $state', 'state', filter.state);
  add('created_at >= $since', 'since', filter.since);
  add('created_at < $until', 'until', filter.until);
  if (after) {
    parts.push('(created_at, id) < ($afterAt, $afterId)');
    Object.assign(params, { afterAt: after.createdAt, afterId: after.id });
  }
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', params };
}

const ORDER_NEWEST_FIRST = 'ORDER BY created_at DESC, id DESC';

/** `head` narrowed by a filter, newest first with a `$limit` when paged; prepared once per shape. */
export function filteredDlqStatement(
  connection: DlqConnection,
  head: string,
  filter: DlqFilter,
  after: DlqCursorPosition | undefined,
  paged: boolean,
): { statement: StatementSync; params: Record<string, SQLInputValue> } {
  const where = dlqWhere(filter, after);
  const sql = `${head}${where.sql}${paged ? ` ${ORDER_NEWEST_FIRST} LIMIT $limit` : ''}`;
  let statement = connection.filtered.get(sql);
  if (!statement) connection.filtered.set(sql, (statement = connection.db.prepare(sql)));
  return { statement, params: where.params };
}
