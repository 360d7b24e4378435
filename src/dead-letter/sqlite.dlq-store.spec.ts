import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { waitFor } from '../../test/support/wait-for';
import { FakeClock } from '../common/fake-clock';
import { FailureClass } from '../common/failure-class';
import { dlqAttempt, dlqRecord, DLQ_T0 } from './dlq-record.fixtures';
import { describeDlqStoreContract } from './dlq-store.contract';
import { DLQ_SCHEMA_VERSION } from './sqlite-dlq.migrations';
import { SqliteDlqStore } from './sqlite.dlq-store';

const tempDirs: string[] = [];

/** A database path inside a directory that does not exist yet: the store creates it. */
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-dlq-'));
  tempDirs.push(dir);
  return join(dir, 'data', 'dlq.sqlite');
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Makes a directory and its files read-only; root ignores modes, so it also gets the immutable flag. */
function makeReadOnly(dir: string): () => void {
  const paths = [...readdirSync(dir).map((name) => join(dir, name)), dir];
  const root = process.getuid?.() === 0;
  for (const path of paths) chmodSync(path, path === dir ? 0o555 : 0o444);
  if (root) execFileSync('chattr', ['+i', ...paths]);
  return () => {
    if (root) execFileSync('chattr', ['-i', ...paths]);
    for (const path of paths) chmodSync(path, path === dir ? 0o755 : 0o644);
  };
}

function inspect(path: string): DatabaseSync {
  return new DatabaseSync(path, { readOnly: true });
}

describeDlqStoreContract(SqliteDlqStore.name, async (clock) => {
  const store = new SqliteDlqStore({ path: tempPath(), clock });
  return { store, cleanup: () => store.close() };
});

describe(SqliteDlqStore.name, () => {
  const clock = new FakeClock(DLQ_T0);
  const open: SqliteDlqStore[] = [];
  const create = (path: string, synchronous?: 'NORMAL' | 'FULL') => {
    const store = new SqliteDlqStore({ path, clock, synchronous });
    open.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });

  it('creates its directory and a WAL file at the current schema version', () => {
    const path = tempPath();
    const store = create(path);
    expect(existsSync(path)).toBe(true);
    expect(store.kind).toBe('sqlite');
    expect(store.info()).toEqual({ path, journalMode: 'wal', synchronous: 'NORMAL', schemaVersion: 1 });
    expect(DLQ_SCHEMA_VERSION).toBe(1);
    const db = inspect(path);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: 1 });
    db.close();
  });

  it('commits with fsync when synchronous is FULL', () => {
    expect(create(tempPath(), 'FULL').info().synchronous).toBe('FULL');
  });

  it('refuses a synchronous setting other than NORMAL or FULL', () => {
    const options = { path: tempPath(), clock, synchronous: 'OFF' as 'FULL' };
    expect(() => new SqliteDlqStore(options)).toThrow(
      'Dead letter store synchronous must be NORMAL or FULL, got OFF',
    );
  });

  it('refuses a file written by a newer schema', () => {
    const path = tempPath();
    mkdirSync(join(path, '..'));
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 7');
    db.close();
    expect(() => create(path)).toThrow(
      `Dead letter store ${path} cannot be opened: schema version 7 is newer than this Cortex understands (1)`,
    );
  });

  it('keeps records and counters when the file is opened again', async () => {
    const path = tempPath();
    const first = create(path);
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries())
      await first.add(dlqRecord(id, { createdAt: DLQ_T0 + i }), 3);
    await first.recordReplay('b', { at: DLQ_T0 + 10, outcome: 'success', attempts: [] }, { ok: true });
    await first.expire(DLQ_T0 + 2);
    const before = { stats: await first.stats(), page: await first.list({ limit: 10 }) };
    await first.close();

    const reopened = create(path);
    expect({ stats: await reopened.stats(), page: await reopened.list({ limit: 10 }) }).toEqual(before);
    expect(before.stats).toMatchObject({ currentSize: 2, totalAdded: 4, totalEvicted: 1, totalExpired: 1 });
    expect(before.stats).toMatchObject({ totalReplayed: 1, replaySuccesses: 1 });
  });

  it('leaves a consistent file after evictions, deletes, purges and expiry', async () => {
    const path = tempPath();
    const store = create(path);
    const providers = ['openai', 'anthropic', 'gemini'];
    for (let i = 0; i < 60; i++) {
      const attempts = [dlqAttempt(providers[i % 3]), dlqAttempt(providers[(i + 1) % 3])];
      await store.add(dlqRecord(`r${i}`, { createdAt: DLQ_T0 + i, attempts }), 40);
    }
    await store.delete('r45');
    await store.purge({ provider: 'gemini', since: DLQ_T0 + 50 });
    await store.expire(DLQ_T0 + 30);
    const db = inspect(path);
    expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    const orphans =
      'SELECT count(*) AS n FROM dlq_record_providers WHERE record_seq NOT IN (SELECT seq FROM dlq_records)';
    expect(db.prepare(orphans).get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM dlq_record_providers').get()).toEqual({ n: 44 });
    const sizes = db
      .prepare('SELECT current_size, (SELECT count(*) FROM dlq_records) AS n FROM dlq_counters')
      .get();
    expect(sizes).toEqual({ current_size: 22, n: 22 });
    db.close();
  });

  it('shares the file with a second instance: records, counters and replay locks', async () => {
    const path = tempPath();
    const [a, b] = [create(path), create(path)];
    await a.add(dlqRecord('x'), 10);
    await b.add(dlqRecord('y', { createdAt: DLQ_T0 + 1 }), 10);
    expect(await b.get('x')).toEqual(dlqRecord('x'));
    expect(await a.ids({}, 10)).toEqual(['y', 'x']);
    expect((await a.stats()).totalAdded).toBe(2);

    await expect(a.acquireReplayLock('x', 'a', DLQ_T0, DLQ_T0 + 1000)).resolves.toBe(true);
    await expect(b.acquireReplayLock('x', 'b', DLQ_T0 + 500, DLQ_T0 + 1500)).resolves.toBe(false);
    await b.releaseReplayLock('x', 'b');
    await expect(b.acquireReplayLock('x', 'b', DLQ_T0 + 999, DLQ_T0 + 1500)).resolves.toBe(false);
    await expect(b.acquireReplayLock('x', 'b', DLQ_T0 + 1000, DLQ_T0 + 2000)).resolves.toBe(true);
    await a.releaseReplayLock('x', 'b');
    await expect(a.acquireReplayLock('x', 'a', DLQ_T0 + 1000, DLQ_T0 + 2000)).resolves.toBe(true);
  });

  it('refuses to open a read-only directory with a clear error', async () => {
    const path = tempPath();
    const writer = create(path);
    await writer.add(dlqRecord('a'), 10);
    await writer.close();
    const restore = makeReadOnly(join(path, '..'));
    try {
      const prefix = `Dead letter store ${path} cannot be opened: `;
      expect(() => create(path)).toThrow(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    } finally {
      restore();
    }
    expect(await create(path).get('a')).toEqual(dlqRecord('a'));
  });

  it('throws from add() on a full disk, keeps what it had, and writes again once there is room', async () => {
    const path = tempPath();
    const store = create(path);
    await store.add(dlqRecord('kept'), 10);
    // A full disk, simulated on this connection: SQLite cannot grow the file past its current pages.
    const { db } = (store as unknown as { current: { db: DatabaseSync } }).current;
    const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages}`);
    const big = dlqRecord('big', {
      createdAt: DLQ_T0 + 1,
      request: { ...dlqRecord('big').request, params: { blob: 'x'.repeat(200_000) } },
    });

    await expect(store.add(big, 10)).rejects.toThrow(
      `Dead letter store ${path} cannot be written: database or disk is full`,
    );

    expect(await store.get('big')).toBeUndefined();
    expect(await store.stats()).toMatchObject({ currentSize: 1, totalAdded: 1 });
    await expect(store.add(big, 10)).resolves.toEqual({ evicted: 0 });
    expect(await store.ids({ failureClass: FailureClass.ServiceUnavailable }, 10)).toEqual(['big', 'kept']);
  });

  it('folds the WAL into the file from its background checkpointer, and removes it on close', async () => {
    const path = tempPath();
    const store = create(path);
    const fileBytes = statSync(path).size;
    for (let i = 0; i < 60; i++) await store.add(dlqRecord(`r${i}`, { createdAt: DLQ_T0 + i }), 100);
    // Pages reach the database file only through a checkpoint; no commit here made one (4000 pages).
    await waitFor(() => statSync(path).size > fileBytes + 60 * 1024, 5000, 'a background checkpoint');
    await store.close();
    expect([existsSync(`${path}-wal`), existsSync(`${path}-shm`)]).toEqual([false, false]);
  });

  it('fails check and every call once closed', async () => {
    const path = tempPath();
    const store = create(path);
    await store.close();
    await expect(store.check()).rejects.toThrow(
      `Dead letter store ${path} cannot be written: the store is closed`,
    );
    await expect(store.get('a')).rejects.toThrow(
      `Dead letter store ${path} cannot be read: the store is closed`,
    );
  });
});
