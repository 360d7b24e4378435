import { FakeClock } from '../common/fake-clock';
import { FailureClass } from '../common/failure-class';
import { cursorAfter, InvalidDlqCursorError } from './dlq-cursor';
import type { DlqFilter, DlqReplay } from './dlq-record';
import { dlqAttempt, dlqRecord, DLQ_T0 } from './dlq-record.fixtures';
import type { DlqStore } from './dlq-store';

export type DlqStoreFactory = (
  clock: FakeClock,
) => Promise<{ store: DlqStore; cleanup: () => Promise<void> }>;

/** The behaviour every DlqStore shares; each store's spec runs it against a fresh store per test. */
export function describeDlqStoreContract(name: string, makeStore: DlqStoreFactory): void {
  describe(`${name} (DlqStore contract)`, () => {
    let clock: FakeClock;
    let store: DlqStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      clock = new FakeClock(DLQ_T0);
      ({ store, cleanup } = await makeStore(clock));
    });
    afterEach(() => cleanup());

    const listIds = async (filter: DlqFilter) =>
      (await store.list({ ...filter, limit: 100 })).items.map((record) => record.id);

    /** r4 newest: classes, providers, clients and states spread so each filter picks a different set. */
    async function addFilterSet(): Promise<void> {
      await store.add(
        dlqRecord('r1', { failureClass: FailureClass.RateLimited, attempts: [dlqAttempt('openai')] }),
        10,
      );
      await store.add(
        dlqRecord('r2', {
          createdAt: DLQ_T0 + 10,
          failureClass: FailureClass.Timeout,
          client: { name: 'team-batch', tier: 'normal' },
        }),
        10,
      );
      const skipped = dlqAttempt('gemini', { outcome: 'skipped', skipReason: 'circuit_open' });
      await store.add(
        dlqRecord('r3', {
          createdAt: DLQ_T0 + 20,
          client: undefined,
          attempts: [dlqAttempt('gemini'), skipped],
        }),
        10,
      );
      const resolved = {
        state: 'resolved' as const,
        failureClass: FailureClass.RateLimited,
        attempts: [dlqAttempt('anthropic')],
      };
      await store.add(dlqRecord('r4', { createdAt: DLQ_T0 + 30, ...resolved }), 10);
    }

    it('returns an added record whole, by id', async () => {
      const record = dlqRecord('a');
      await expect(store.add(record, 10)).resolves.toEqual({ evicted: 0 });
      expect(await store.get('a')).toEqual(record);
      expect(await store.get('missing')).toBeUndefined();
    });

    it('keeps its own copy of a record', async () => {
      const record = dlqRecord('a');
      await store.add(record, 10);
      record.message = 'changed by the caller';
      (await store.get('a'))!.attempts.push(dlqAttempt('other'));
      expect(await store.get('a')).toEqual(dlqRecord('a'));
    });

    it('rejects a second record with the same id', async () => {
      await store.add(dlqRecord('a'), 10);
      await expect(store.add(dlqRecord('a', { message: 'again' }), 10)).rejects.toBeInstanceOf(Error);
      expect((await store.stats()).totalAdded).toBe(1);
      expect((await store.get('a'))!.message).toBe('All providers failed');
    });

    it('lists newest first, records created in the same millisecond by id', async () => {
      for (const [id, at] of [
        ['b', 1],
        ['a', 0],
        ['d', 2],
        ['c', 1],
      ] as const) {
        await store.add(dlqRecord(id, { createdAt: DLQ_T0 + at }), 10);
      }
      expect(await listIds({})).toEqual(['d', 'c', 'b', 'a']);
    });

    it('pages with an opaque cursor until the last page', async () => {
      for (const [i, id] of ['a', 'b', 'c', 'd', 'e'].entries()) {
        await store.add(dlqRecord(id, { createdAt: DLQ_T0 + i }), 10);
      }
      const first = await store.list({ limit: 2 });
      expect(first.items.map((record) => record.id)).toEqual(['e', 'd']);
      expect(first.nextCursor).toBe(cursorAfter(first.items[1]));
      const second = await store.list({ limit: 2, cursor: first.nextCursor });
      expect(second.items.map((record) => record.id)).toEqual(['c', 'b']);
      const last = await store.list({ limit: 2, cursor: second.nextCursor });
      expect(last).toEqual({ items: [await store.get('a')] });
      const exact = await store.list({ limit: 5 });
      expect([exact.items.length, exact.nextCursor]).toEqual([5, undefined]);
      expect(await store.list({ limit: 0 })).toEqual({ items: [] });
    });

    it('continues a page from its cursor when newer records arrive in between', async () => {
      for (const [i, id] of ['a', 'b', 'c'].entries())
        await store.add(dlqRecord(id, { createdAt: DLQ_T0 + i }), 10);
      const first = await store.list({ limit: 1 });
      await store.add(dlqRecord('z', { createdAt: DLQ_T0 + 100 }), 10);
      const rest = await store.list({ limit: 10, cursor: first.nextCursor });
      expect(rest.items.map((record) => record.id)).toEqual(['b', 'a']);
      expect(rest.nextCursor).toBeUndefined();
    });

    it('rejects a cursor it did not write', async () => {
      await expect(store.list({ limit: 1, cursor: 'not-a-cursor' })).rejects.toThrow(InvalidDlqCursorError);
      const wrongShape = Buffer.from('{"id":"a"}').toString('base64url');
      await expect(store.list({ limit: 1, cursor: wrongShape })).rejects.toThrow(InvalidDlqCursorError);
    });

    it('filters by class, any attempt provider, client, state and time range [since, until)', async () => {
      await addFilterSet();
      expect(await listIds({ failureClass: FailureClass.RateLimited })).toEqual(['r4', 'r1']);
      expect(await listIds({ provider: 'anthropic' })).toEqual(['r4', 'r2']);
      expect(await listIds({ provider: 'gemini' })).toEqual(['r3']);
      expect(await listIds({ provider: 'nobody' })).toEqual([]);
      expect(await listIds({ client: 'team-search' })).toEqual(['r4', 'r1']);
      expect(await listIds({ state: 'resolved' })).toEqual(['r4']);
      expect(await listIds({ state: 'pending' })).toEqual(['r3', 'r2', 'r1']);
      expect(await listIds({ since: DLQ_T0 + 10, until: DLQ_T0 + 30 })).toEqual(['r3', 'r2']);
      expect(await listIds({ failureClass: FailureClass.RateLimited, provider: 'anthropic' })).toEqual([
        'r4',
      ]);
      expect(await listIds({ client: 'team-search', state: 'pending', since: DLQ_T0 })).toEqual(['r1']);
    });

    it('pages through a filtered list', async () => {
      await addFilterSet();
      const first = await store.list({ provider: 'openai', limit: 1 });
      expect(first.items.map((record) => record.id)).toEqual(['r2']);
      const second = await store.list({ provider: 'openai', limit: 1, cursor: first.nextCursor });
      expect(second.items.map((record) => record.id)).toEqual(['r1']);
      expect(second.nextCursor).toBeUndefined();
    });

    it('lists matching ids newest first, at most limit', async () => {
      await addFilterSet();
      expect(await store.ids({}, 10)).toEqual(['r4', 'r3', 'r2', 'r1']);
      expect(await store.ids({ provider: 'openai' }, 1)).toEqual(['r2']);
      expect(await store.ids({ state: 'pending', client: 'team-batch' }, 10)).toEqual(['r2']);
      expect(await store.ids({}, 0)).toEqual([]);
    });

    it('evicts the oldest records beyond max size and counts them', async () => {
      for (const [i, id] of ['a', 'b', 'c'].entries()) {
        await expect(store.add(dlqRecord(id, { createdAt: DLQ_T0 + i }), 3)).resolves.toEqual({ evicted: 0 });
      }
      await expect(store.add(dlqRecord('d', { createdAt: DLQ_T0 + 3 }), 3)).resolves.toEqual({ evicted: 1 });
      expect(await listIds({})).toEqual(['d', 'c', 'b']);
      await expect(store.add(dlqRecord('e', { createdAt: DLQ_T0 + 4 }), 2)).resolves.toEqual({ evicted: 2 });
      expect(await listIds({})).toEqual(['e', 'd']);
      expect(await store.get('a')).toBeUndefined();
      const stats = await store.stats();
      expect([stats.totalAdded, stats.totalEvicted, stats.currentSize]).toEqual([5, 3, 2]);
      expect(stats.byProvider).toEqual({ openai: 2, anthropic: 2 });
    });

    it('deletes one record by id', async () => {
      await store.add(dlqRecord('a'), 10);
      await store.add(dlqRecord('b'), 10);
      await expect(store.delete('a')).resolves.toBe(true);
      await expect(store.delete('a')).resolves.toBe(false);
      expect(await store.get('a')).toBeUndefined();
      expect(await listIds({})).toEqual(['b']);
      expect((await store.stats()).currentSize).toBe(1);
    });

    it('purges what matches a filter, or everything', async () => {
      await addFilterSet();
      await expect(store.purge({ failureClass: FailureClass.RateLimited })).resolves.toBe(2);
      expect(await listIds({})).toEqual(['r3', 'r2']);
      await expect(store.purge({ provider: 'nobody' })).resolves.toBe(0);
      await expect(store.purge()).resolves.toBe(2);
      const stats = await store.stats();
      expect([stats.currentSize, stats.totalAdded, stats.totalExpired]).toEqual([0, 4, 0]);
      expect(stats.byProvider).toEqual({});
    });

    it('expires records created before a time and counts them', async () => {
      await addFilterSet();
      await expect(store.expire(DLQ_T0 + 20)).resolves.toBe(2);
      await expect(store.expire(DLQ_T0 + 20)).resolves.toBe(0);
      expect(await listIds({})).toEqual(['r4', 'r3']);
      expect((await store.stats()).totalExpired).toBe(2);
    });

    it('counts in stats and breaks the current records down by class and provider', async () => {
      await addFilterSet();
      expect(await store.stats()).toEqual({
        currentSize: 4,
        totalAdded: 4,
        totalEvicted: 0,
        totalExpired: 0,
        totalReplayed: 0,
        replaySuccesses: 0,
        byClass: { rate_limited: 2, timeout: 1, service_unavailable: 1 },
        byProvider: { openai: 2, anthropic: 2, gemini: 1 },
      });
    });

    it('gives the replay lock to one owner at a time, until it expires', async () => {
      await store.add(dlqRecord('a'), 10);
      await expect(store.acquireReplayLock('a', 'one', DLQ_T0, DLQ_T0 + 1000)).resolves.toBe(true);
      await expect(store.acquireReplayLock('a', 'two', DLQ_T0 + 999, DLQ_T0 + 2000)).resolves.toBe(false);
      await expect(store.acquireReplayLock('a', 'one', DLQ_T0 + 1, DLQ_T0 + 2000)).resolves.toBe(false);
      await expect(store.acquireReplayLock('a', 'two', DLQ_T0 + 1000, DLQ_T0 + 2000)).resolves.toBe(true);
      await store.releaseReplayLock('a', 'one');
      await expect(store.acquireReplayLock('a', 'three', DLQ_T0 + 1500, DLQ_T0 + 3000)).resolves.toBe(false);
      await store.releaseReplayLock('a', 'two');
      await expect(store.acquireReplayLock('a', 'three', DLQ_T0 + 1500, DLQ_T0 + 3000)).resolves.toBe(true);
    });

    it('lets exactly one of many concurrent callers take the replay lock', async () => {
      await store.add(dlqRecord('a'), 10);
      const owners = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];
      const taken = await Promise.all(
        owners.map((owner) => store.acquireReplayLock('a', owner, DLQ_T0, DLQ_T0 + 500)),
      );
      expect(taken.filter(Boolean)).toEqual([true]);
    });

    it('has no replay lock for an unknown record', async () => {
      await expect(store.acquireReplayLock('missing', 'one', DLQ_T0, DLQ_T0 + 1000)).resolves.toBe(false);
      await expect(store.releaseReplayLock('missing', 'one')).resolves.toBeUndefined();
    });

    it('appends replays and resolves the record on a success, keeping the answer', async () => {
      await store.add(dlqRecord('a'), 10);
      const failure: DlqReplay = {
        at: DLQ_T0 + 100,
        outcome: 'failure',
        failureClass: FailureClass.Timeout,
        message: 'still down',
        attempts: [dlqAttempt('openai', { failureClass: FailureClass.Timeout })],
      };
      const afterFailure = await store.recordReplay('a', failure);
      expect(afterFailure).toEqual({ ...dlqRecord('a'), replayCount: 1, replays: [failure] });
      clock.advance(5000);
      const success: DlqReplay = {
        at: DLQ_T0 + 4000,
        outcome: 'success',
        attempts: [dlqAttempt('anthropic', { outcome: 'success' })],
      };
      const response = {
        id: 'chatcmpl-1',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
      };
      const resolved = await store.recordReplay('a', success, response);
      expect(resolved).toEqual({
        ...dlqRecord('a'),
        state: 'resolved',
        resolvedAt: DLQ_T0 + 5000,
        response,
        replayCount: 2,
        replays: [failure, success],
      });
      expect(await store.get('a')).toEqual(resolved);
      expect(await listIds({ state: 'resolved' })).toEqual(['a']);
      await expect(store.recordReplay('missing', success)).resolves.toBeUndefined();
      const stats = await store.stats();
      expect([stats.totalReplayed, stats.replaySuccesses]).toEqual([2, 1]);
    });

    it('answers check while it can be used', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });
  });
}
