import { FakeClock } from '../common/fake-clock';
import { dlqRecord, DLQ_T0 } from './dlq-record.fixtures';
import { describeDlqStoreContract } from './dlq-store.contract';
import { MemoryDlqStore } from './memory.dlq-store';

describeDlqStoreContract(MemoryDlqStore.name, async (clock) => ({
  store: new MemoryDlqStore({ clock }),
  cleanup: async () => {},
}));

describe(MemoryDlqStore.name, () => {
  it('is the memory kind, always ready, and starts empty', async () => {
    const store = new MemoryDlqStore({ clock: new FakeClock() });
    expect(store.kind).toBe('memory');
    await expect(store.check()).resolves.toBeUndefined();
    expect((await store.stats()).currentSize).toBe(0);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('keeps the newest-first order when records arrive out of time order', async () => {
    const store = new MemoryDlqStore({ clock: new FakeClock() });
    for (const at of [5, 1, 9, 3, 7]) await store.add(dlqRecord(`r${at}`, { createdAt: DLQ_T0 + at }), 4);
    expect(await store.ids({}, 10)).toEqual(['r9', 'r7', 'r5', 'r3']);
    await expect(store.delete('r7')).resolves.toBe(true);
    expect(await store.ids({}, 10)).toEqual(['r9', 'r5', 'r3']);
  });
});
