// Queues in Redis against a real redis-server: the line in order with its statistics, the same
// whichever instance asks; the front taken atomically (two instances racing for it never get the
// same caller); a dead instance's queued callers taken out of line by the reap.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { MemoryQueueStore, type QueueEntry, type QueueStore } from '../../src/state/queues.js';
import { Queues, type QueueMember } from '../../src/runtime/queues.js';
import { realClock } from '../../src/clock.js';
import { RemoteCallLeg } from '../../src/runtime/remote-leg.js';
import type { CallLeg } from '../../src/telephony/adapter.js';
import { RedisCallStore } from '../../src/state/redis.js';
import { haveRedis, NO_REDIS, startRedis, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let prefix = 0;
const stores: RedisCallStore[] = [];

beforeAll(async () => {
  if (haveRedis) redis = await startRedis();
});
afterAll(async () => redis?.close());
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function store(id: string, ttl = 15) {
  const s = new RedisCallStore(
    { url: redis.url, keyPrefix: `q${prefix}:`, instanceId: id, instanceTtlSeconds: ttl, commandTimeoutMs: 2000, writeTimeoutMs: 500, keepEnded: 100, keepEndedSeconds: 3600 },
    createLogger({ level: 'error' }),
  );
  stores.push(s);
  await s.start(async (sid) => s.owned(sid)!);
  return s;
}

const sid = (n: number) => 'CA' + n.toString(16).padStart(32, '0');
let qn = 0;
const newSid = () => 'QU' + (++qn).toString(16).padStart(32, '0');
const entry = (n: number, instance: string, enqueuedAt: number): QueueEntry => ({ callSid: sid(n), instance, enqueuedAt, from: `+1415555${String(n).padStart(4, '0')}`, to: '+14155550000' });

/** The same story told to either store: the two must agree. */
async function story(a: QueueStore, b: QueueStore) {
  const joined = await a.join('support', entry(1, 'a', 1000), 3, newSid);
  expect(joined).toEqual({ sid: expect.stringMatching(/^QU/) });
  const queueSid = (joined as { sid: string }).sid;
  expect(await b.join('support', entry(2, 'b', 2000), 3, newSid)).toEqual({ sid: queueSid });
  await a.join('support', entry(3, 'a', 3000), 3, newSid);
  expect(await b.join('support', entry(4, 'b', 4000), 3, newSid)).toBe('full');
  // Position, size and the average are the same whoever asks.
  for (const s of [a, b]) {
    expect(await s.status('support', sid(2), newSid)).toEqual({ sid: queueSid, position: 2, size: 3, averageWaitTime: 0 });
    expect(await s.status('support', sid(9), newSid)).toMatchObject({ position: 0, size: 3 });
  }
  // The first in line goes first; leaving and being taken both count in the average.
  expect(await b.front('support', 11_000)).toEqual(entry(1, 'a', 1000)); // waited 10 s
  expect(await a.leave('support', sid(3), 7000)).toBe(true); // waited 4 s
  expect(await a.leave('support', sid(3), 7000)).toBe(false);
  expect(await a.status('support', sid(2), newSid)).toEqual({ sid: queueSid, position: 1, size: 1, averageWaitTime: 7 });
  expect((await b.members('support')).map((m) => m.callSid)).toEqual([sid(2)]);
  expect(await a.remove('support', sid(2), 2000)).toMatchObject({ callSid: sid(2), instance: 'b' });
  expect(await a.front('support', 9000)).toBeUndefined();
  expect(await b.nameOf(queueSid)).toBe('support');
  expect(await b.nameOf('QU' + 'f'.repeat(32))).toBeUndefined();
  await b.join('sales', entry(5, 'b', 5000), 10, newSid);
  expect((await a.list()).map((q) => [q.name, q.size, q.averageWaitTime])).toEqual([
    ['support', 0, 5],
    ['sales', 1, 0],
  ]);
}

describe('in-process queue store', () => {
  it('keeps the line in order with its statistics', async () => {
    let now = 0;
    const s = new MemoryQueueStore(() => ++now);
    await story(s, s);
  });
});

describe.skipIf(!haveRedis)(`Redis queue store${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('tells two instances the same line, in order, with the same statistics, as in-process does', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    await story(a.queues, b.queues);
  });

  it('never gives one caller to two instances taking the front at once', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    const callers = 200;
    for (let i = 1; i <= callers; i++) await (i % 2 ? a : b).queues.join('race', entry(i, i % 2 ? 'a' : 'b', i), 1000, newSid);
    const takeAll = async (s: RedisCallStore) => {
      const got: string[] = [];
      for (;;) {
        const e = await s.queues.front('race', 10_000);
        if (!e) return got;
        got.push(e.callSid);
      }
    };
    const [x, y, z, w] = await Promise.all([takeAll(a), takeAll(b), takeAll(a), takeAll(b)]);
    const all = [...x, ...y, ...z, ...w];
    expect(all).toHaveLength(callers);
    expect(new Set(all).size).toBe(callers);
    // Each taker got them in line order.
    for (const got of [x, y, z, w]) expect([...got].sort()).toEqual(got);
  });

  it('gives a taker only the callers it can bridge: its own, those with a media channel, or any', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    await a.queues.join('reach', entry(1, 'a', 1), 10, newSid);
    await a.queues.join('reach', { ...entry(2, 'a', 2), media: 'fs-uuid-2' }, 10, newSid);
    await b.queues.join('reach', entry(3, 'b', 3), 10, newSid);
    // Signalling only on B: only B's own caller, though two of A's were there first.
    expect(await b.queues.front('reach', 10, { instance: 'b', others: 'none' })).toMatchObject({ callSid: sid(3) });
    expect(await b.queues.front('reach', 10, { instance: 'b', others: 'none' })).toBeUndefined();
    // One media server: A's caller with a channel on it.
    expect(await b.queues.front('reach', 10, { instance: 'b', others: 'media' })).toMatchObject({ callSid: sid(2), media: 'fs-uuid-2' });
    expect(await b.queues.front('reach', 10, { instance: 'b', others: 'media' })).toBeUndefined();
    expect(await b.queues.front('reach', 10, { instance: 'b', others: 'any' })).toMatchObject({ callSid: sid(1) });
  });

  it('runtime queues on two instances: a leg that cannot reach the other instance never claims its caller; one on the same media server gets its channel', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    const qa = new Queues(realClock, newSid, { store: a.queues, instanceId: 'a', send: async (s, m) => qa.receive(s, m) });
    const qb = new Queues(realClock, newSid, { store: b.queues, instanceId: 'b', send: async (s, m) => qa.receive(s, m) });
    let taken: string | undefined;
    const leg = { callId: 'sip-1', isEnded: false, ended: new Promise(() => undefined), mediaChannel: 'fs-uuid-1' } as unknown as CallLeg;
    const member: QueueMember = { callSid: sid(1), leg, from: '+14155550101', to: '+14155550000', enqueuedAt: Date.now(), take: (t) => (taken = t.callSid), runDocument: async () => undefined };
    expect(await qa.join('fs', member, 10)).toMatchObject({ sid: expect.stringMatching(/^QU/) });
    expect(await a.queues.members('fs')).toMatchObject([{ callSid: sid(1), media: 'fs-uuid-1' }]);
    // Signalling only (no remoteBridge): waits out its timeout, and the caller keeps its place.
    expect(await qb.take('fs', 300, new AbortController().signal, sid(9), {})).toBeUndefined();
    expect(taken).toBeUndefined();
    expect((await b.queues.members('fs')).map((m) => m.callSid)).toEqual([sid(1)]);
    // On the same media server: claimed from A (its <Enqueue> hears who took it), bridged by channel.
    const got = await qb.take('fs', 300, new AbortController().signal, sid(9), { remoteBridge: 'media' });
    expect(got).toMatchObject({ callSid: sid(1) });
    const remote = (got as { leg: CallLeg }).leg;
    expect(remote).toBeInstanceOf(RemoteCallLeg);
    expect(remote.mediaChannel).toBe('fs-uuid-1');
    expect(taken).toBe(sid(9));
    expect(await b.queues.members('fs')).toEqual([]);
    // A message of another shape (another version of didml) is refused, not half-applied.
    await expect(qa.receive(sid(1), { op: 'steal', caller: sid(1) } as never)).rejects.toMatchObject({ status: 400 });
    await expect(qa.receive(sid(1), { op: 'done', caller: sid(1) } as never)).rejects.toMatchObject({ status: 400 });
  });

  it('tells every instance of a join (their waiting takers look again)', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    const heard: string[] = [];
    b.queues.onJoin((name) => heard.push(name));
    await a.queues.join('support', entry(1, 'a', 1), 10, newSid);
    await expect.poll(() => heard).toEqual(['support']);
  });

  it("takes a dead instance's queued callers out of line, counting their wait, and leaves the living's", async () => {
    prefix++;
    const p = `q${prefix}:`;
    const survivor = await store('survivor', 1);
    const doomed = await store('doomed', 1);
    await doomed.queues.join('support', entry(1, 'doomed', Date.now() - 4000), 10, newSid);
    await survivor.queues.join('support', entry(2, 'survivor', Date.now()), 10, newSid);
    await doomed.queues.join('sales', entry(3, 'doomed', Date.now()), 10, newSid);
    // Killed: no more heartbeats, and it never left cleanly (its key expires after the TTL).
    const raw = new Redis(redis.url);
    stores.splice(stores.indexOf(doomed), 1);
    await doomed.close().catch(() => undefined);
    await raw.set(`${p}instance:doomed`, '1', 'PX', 100);
    await raw.sadd(`${p}instances`, 'doomed');
    await expect.poll(async () => (await survivor.queues.members('support')).map((m) => m.callSid), { timeout: 10_000 }).toEqual([sid(2)]);
    expect(await survivor.queues.members('sales')).toEqual([]);
    expect(await raw.exists(`${p}instance:doomed:queued`)).toBe(0);
    const support = (await survivor.queues.list()).find((q) => q.name === 'support')!;
    expect(support.averageWaitTime).toBeGreaterThanOrEqual(4);
    expect(await survivor.queues.status('support', sid(2), newSid)).toMatchObject({ position: 1, size: 1 });
    await raw.quit();
  });
});
