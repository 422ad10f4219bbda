// The in-process call store (one instance, the default): the registry's semantics behind the
// CallStore interface. Ended calls are kept by count and by age, the oldest end first out.
import { describe, expect, it } from 'vitest';
import { MemoryCallStore } from '../../src/state/memory.js';
import type { CallRecord } from '../../src/state/types.js';

const sid = (n: number) => 'CA' + n.toString(16).padStart(32, '0');
const record = (n: number, more: Partial<CallRecord> = {}): CallRecord => ({
  sid: sid(n), accountSid: 'AC' + '0'.repeat(32), from: '+14155550100', to: '+14155550111', direction: 'inbound', status: 'ringing', dateCreated: n * 1000, dateUpdated: n * 1000, ...more,
});

describe('in-process call store', () => {
  it('lists the newest first with filters, and keeps keepEnded ended calls, none older than keepEndedSeconds', async () => {
    let now = 100_000;
    const store = new MemoryCallStore({ keepEnded: 2, keepEndedSeconds: 60, now: () => now });
    for (let i = 1; i <= 4; i++) await store.add(record(i, i === 4 ? { to: '+14155550144' } : {}));
    expect((await store.list()).map((r) => r.sid)).toEqual([sid(4), sid(3), sid(2), sid(1)]);
    expect((await store.list({ to: '+14155550144' })).map((r) => r.sid)).toEqual([sid(4)]);
    for (let i = 1; i <= 3; i++) store.update(sid(i), { status: 'completed', endTime: now + i });
    // Three ended, two kept: the first to end went.
    expect((await store.list()).map((r) => r.sid)).toEqual([sid(4), sid(3), sid(2)]);
    expect(store.owned(sid(1))).toBeUndefined();
    // An ended record takes no more changes.
    store.update(sid(2), { status: 'in-progress' });
    expect((await store.get(sid(2)))?.status).toBe('completed');
    now += 61_000;
    expect((await store.list()).map((r) => r.sid)).toEqual([sid(4)]);
    expect(await store.delete(sid(4))).toBe('live');
    expect(await store.delete(sid(9))).toBe('unknown');
    expect(store.live).toBe(1);
  });

  it('hands a command to the handler of its own calls, and knows no other', async () => {
    const store = new MemoryCallStore({ keepEnded: 10, keepEndedSeconds: 60 });
    await store.start(async (id, c) => ({ ...store.owned(id)!, status: c.status ?? 'in-progress' }));
    await store.add(record(1));
    expect(await store.command(sid(1), { status: 'completed' })).toMatchObject({ sid: sid(1), status: 'completed', instance: 'local' });
    await expect(store.command(sid(2), { status: 'completed' })).rejects.toMatchObject({ code: 20404, status: 404 });
    expect(store.health()).toEqual({ status: 'ok', backend: 'memory', instanceId: 'local', pendingWrites: 0 });
  });
});
