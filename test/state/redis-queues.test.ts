// Queues in Redis against a real redis-server: the line in order with its statistics, the same
// whichever instance asks; the front taken atomically (two instances racing for it never get the
// same caller); a dead instance's queued callers taken out of line by the reap.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { MemoryQueueStore, type QueueEntry, type QueueStore } from '../../src/state/queues.js';
import { Queues, type BridgeEnd, type Dequeued, type QueueMember, type QueueMessage, type Taker } from '../../src/runtime/queues.js';
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

async function store(id: string, ttl = 15, claimLeaseMs = 10_000) {
  const s = new RedisCallStore(
    { url: redis.url, keyPrefix: `q${prefix}:`, instanceId: id, instanceTtlSeconds: ttl, commandTimeoutMs: 2000, writeTimeoutMs: 500, claimLeaseMs, keepEnded: 100, keepEndedSeconds: 3600 },
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

/** A caller's leg that can hang up, and its member of a queue whose takers are recorded. */
function caller(n: number) {
  let hangup!: () => void;
  const ended = new Promise<{ by: 'caller' }>((resolve) => (hangup = () => resolve({ by: 'caller' })));
  const leg = { callId: `sip-${n}`, isEnded: false, ended } as unknown as CallLeg & { isEnded: boolean };
  void ended.then(() => (leg.isEnded = true));
  const takers: Taker[] = [];
  const member: QueueMember = { callSid: sid(n), leg, from: '+14155550101', to: '+14155550000', enqueuedAt: realClock.now(), take: (t) => void takers.push(t), runDocument: async () => undefined };
  return { member, takers, hangup };
}

/**
 * Runtime queues of instances on one Redis, each message delivered to the instance named
 * (as the call store's command channel does); `drop` may lose or break a message on its way.
 */
function cluster(stores: Record<string, RedisCallStore | QueueStore>, drop: (m: QueueMessage, to: string) => 'deliver' | 'lose' | 'lose-reply' = () => 'deliver') {
  const qs: Record<string, Queues> = {};
  for (const [id, st] of Object.entries(stores)) {
    qs[id] = new Queues(realClock, newSid, {
      store: st instanceof RedisCallStore ? st.queues : st,
      instanceId: id,
      send: async (callSid, m, owner) => {
        const to = owner ?? 'a';
        const fate = drop(m, to);
        if (fate === 'lose') throw new Error(`instance ${to} did not answer within 2000 ms`);
        await qs[to]!.receive(callSid, m);
        if (fate === 'lose-reply') throw new Error(`instance ${to} did not answer within 2000 ms`);
      },
    });
  }
  return qs;
}

/** Bridges a dequeued caller as <Dial><Queue> does, for as long as `over` lets it. */
function bridge(d: Dequeued, by: string) {
  let end!: (r: BridgeEnd) => void;
  const bridged = new Promise<BridgeEnd>((resolve) => (end = resolve));
  d.take({ callSid: by, bridged });
  return end;
}

const agent = (n: number) => 'CA' + 'a'.repeat(28) + String(n).padStart(4, '0');

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

/**
 * Claims with a lease, told to either store: a claimed caller keeps its place and is passed by; its
 * instance serves the claim, once; one never served lapses and the caller is first again, with its
 * enqueue time; a leave wins over a claim not yet served. `lapse` lets a lease run out.
 */
async function claims(a: QueueStore, b: QueueStore, lapse: () => Promise<void> | void) {
  await a.join('claims', entry(1, 'a', 1000), 10, newSid);
  await a.join('claims', entry(2, 'a', 2000), 10, newSid);
  expect(await b.front('claims', 3000, undefined, 'k1')).toEqual(entry(1, 'a', 1000));
  // Claimed, not taken: still first in line (a wait document says so), but the next taker passes it by.
  expect(await a.status('claims', sid(1), newSid)).toMatchObject({ position: 1, size: 2 });
  expect(await b.front('claims', 3000, undefined, 'k2')).toEqual(entry(2, 'a', 2000));
  expect(await b.front('claims', 3000, undefined, 'k3')).toBeUndefined();
  // Served once, by its own claim only; then its taker hears it was.
  expect(await a.serve('claims', sid(2), 'k1', 4000)).toBe(false);
  expect(await a.serve('claims', sid(2), 'k2', 4000)).toBe(true);
  expect(await a.serve('claims', sid(2), 'k2', 4000)).toBe(false);
  expect(await b.release('claims', sid(2), 'k2')).toBe('served');
  expect((await a.members('claims')).map((m) => m.callSid)).toEqual([sid(1)]);
  // Never served: at the end of the lease caller 1 is first again, enqueue time and all, for another taker.
  await lapse();
  await expect.poll(() => b.front('claims', 5000, undefined, 'k4'), { timeout: 10_000, interval: 50 }).toEqual(entry(1, 'a', 1000));
  expect(await a.serve('claims', sid(1), 'k1', 5000)).toBe(false);
  // A taker that gives up its claim frees the caller at once; the claim cannot be served after.
  expect(await b.release('claims', sid(1), 'k4')).toBe('released');
  expect(await a.serve('claims', sid(1), 'k4', 5000)).toBe(false);
  expect(await b.front('claims', 5000, undefined, 'k5')).toEqual(entry(1, 'a', 1000));
  // The caller leaving wins over a claim not yet served.
  expect(await a.leave('claims', sid(1), 6000)).toBe(true);
  expect(await a.serve('claims', sid(1), 'k5', 6000)).toBe(false);
  expect(await b.release('claims', sid(1), 'k5')).toBe('released');
  // Both counted once, from their own enqueue times: (4000 - 2000) and (6000 - 1000) ms.
  expect((await a.list()).find((q) => q.name === 'claims')).toMatchObject({ size: 0, averageWaitTime: 4 });
}

/** A leave and a serve of the same claimed caller, issued together on two connections: exactly one wins, each time. */
async function leaveOrServe(a: QueueStore, b: QueueStore, c: QueueStore) {
  const rounds = 40;
  for (let i = 100; i < 100 + rounds; i++) {
    await a.join('race3', entry(i, 'a', i), 1000, newSid);
    expect(await b.front('race3', i, undefined, `r${i}`)).toMatchObject({ callSid: sid(i) });
    const [left, serve] = i % 2 ? await Promise.all([a.leave('race3', sid(i), i + 1), c.serve('race3', sid(i), `r${i}`, i + 1)]) : await Promise.all([c.serve('race3', sid(i), `r${i}`, i + 1), a.leave('race3', sid(i), i + 1)]).then(([x, y]) => [y, x]);
    expect([left, serve].filter(Boolean)).toHaveLength(1);
    expect(await b.release('race3', sid(i), `r${i}`)).toBe(serve ? 'served' : 'released');
  }
  expect(await a.members('race3')).toEqual([]);
  expect((await a.list()).find((q) => q.name === 'race3')).toMatchObject({ size: 0 });
}

/** The moment a caller's leave comes, in a taker's claim: before it, once the front is claimed, while the claim is being served, once it is. */
type Moment = 'before' | 'claimed' | 'serving' | 'served';
const MOMENTS: Moment[] = ['before', 'claimed', 'serving', 'served'];

/** A store that calls `at.fire` at `at.moment` of a claim (the front taken, a serve sent, a serve answered). */
function hooked(s: QueueStore, at: { moment?: Moment; fire?: () => void }): QueueStore {
  const fire = (m: Moment) => {
    if (at.moment !== m) return;
    const f = at.fire;
    at.fire = undefined;
    f?.();
  };
  return {
    leaseMs: s.leaseMs,
    ...(s.partnerCheckMs !== undefined ? { partnerCheckMs: s.partnerCheckMs } : {}),
    ...(s.clock ? { clock: s.clock } : {}),
    join: (...a) => s.join(...a),
    leave: (...a) => s.leave(...a),
    async front(...a) {
      const r = await s.front(...a);
      if (r) fire('claimed');
      return r;
    },
    async serve(...a) {
      const p = s.serve(...a);
      fire('serving');
      const r = await p;
      fire('served');
      return r;
    },
    release: (...a) => s.release(...a),
    alive: (i) => s.alive(i),
    remove: (...a) => s.remove(...a),
    status: (...a) => s.status(...a),
    sid: (...a) => s.sid(...a),
    list: () => s.list(),
    nameOf: (x) => s.nameOf(x),
    members: (n) => s.members(n),
    onJoin: (l) => s.onJoin(l),
  };
}

/**
 * Callers of `q` leaving (a <Leave>, a hangup) at each moment of `taker`'s claim: a leave before
 * the claim is served wins (the caller is out of line, the taker finds no one); once the claim is
 * being served, the claim wins (the caller's <Enqueue> is the taker's). Never both, never neither.
 */
async function leaveOrTake(q: Queues, taker: Queues, at: { moment?: Moment; fire?: () => void }) {
  const outcomes: Record<string, string> = {};
  let i = 200;
  for (const moment of MOMENTS) {
    const c = caller(++i);
    await q.join('race-leave', c.member, 100);
    let leave: Promise<string> | undefined;
    const leaving = () => (leave = q.leave('race-leave', c.member));
    at.moment = moment;
    at.fire = moment === 'before' ? undefined : leaving;
    if (moment === 'before') leaving();
    const got = await taker.take('race-leave', 100, new AbortController().signal, agent(i), { remoteBridge: 'any' });
    // As <Dial><Queue> does with whom it took.
    if (got && got !== 'unavailable') bridge(got, agent(i))({ endedBy: 'caller', duration: 0 });
    const left = await leave!;
    if (left === 'taken') {
      expect(got).toMatchObject({ callSid: sid(i) });
      expect(c.takers.map((t) => t.callSid)).toEqual([agent(i)]);
    } else {
      expect(left).toBe('left');
      expect(got).toBeUndefined();
      expect(c.takers).toEqual([]);
    }
    outcomes[moment] = left;
  }
  return outcomes;
}

const RACE_OUTCOMES = { before: 'left', claimed: 'left', serving: 'taken', served: 'taken' };

describe('in-process queue store', () => {
  it('keeps the line in order with its statistics', async () => {
    let now = 0;
    const s = new MemoryQueueStore(() => ++now);
    await story(s, s);
  });

  it('claims hold a caller for a lease, in its place; a claim is served once, lapses, or loses to a leave', async () => {
    let now = 0;
    const s = new MemoryQueueStore(() => now, { leaseMs: 500 });
    await claims(s, s, () => void (now += 500));
    await leaveOrServe(s, s, s);
  });

  it('a <Leave> at each moment of a take on one instance: exactly one wins', async () => {
    const at = {};
    const q = new Queues(realClock, newSid, { store: hooked(new MemoryQueueStore(), at) });
    expect(await leaveOrTake(q, q, at)).toEqual(RACE_OUTCOMES);
    expect(await q.store.members('race-leave')).toEqual([]);
  });
});

describe.skipIf(!haveRedis)(`Redis queue store${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('tells two instances the same line, in order, with the same statistics, as in-process does', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    await story(a.queues, b.queues);
  });

  it('claims hold a caller for a lease, in its place; a claim is served once, lapses, or loses to a leave, as in-process', async () => {
    prefix++;
    const a = await store('a', 15, 400);
    const b = await store('b', 15, 400);
    // The lease is timed by Redis's own clock: this waits for it to run out.
    await claims(a.queues, b.queues, () => undefined);
  });

  it('a leave and a serve of one claimed caller at the same moment, on two connections: exactly one wins', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    const c = await store('c');
    await leaveOrServe(a.queues, b.queues, c.queues);
  });

  it('a claim whose message is lost is released (the caller is claimed again); one whose answer is lost is kept: taken exactly once', async () => {
    prefix++;
    const stores = { a: await store('a', 15, 400), b: await store('b', 15, 400) };
    let claims = 0;
    const fates = ['lose', 'deliver', 'lose-reply'] as const;
    const qs = cluster(stores, (m) => (m.op === 'claim' ? (fates[claims++] ?? 'deliver') : 'deliver'));
    const one = caller(1);
    await qs['a']!.join('lost', one.member, 10);
    // The first claim never reaches A: B asks Redis, voids it, and claims again; that one is answered.
    const got = await qs['b']!.take('lost', 5000, new AbortController().signal, agent(1), { remoteBridge: 'any' });
    expect(got).toMatchObject({ callSid: sid(1) });
    expect(one.takers.map((t) => t.callSid)).toEqual([agent(1)]);
    expect(await stores.a.queues.members('lost')).toEqual([]);
    // A's answer to the claim is lost: Redis says A served it, so B bridges, and A's caller is B's, once.
    const two = caller(2);
    await qs['a']!.join('lost', two.member, 10);
    const again = await qs['b']!.take('lost', 5000, new AbortController().signal, agent(2), { remoteBridge: 'any' });
    expect(again).toMatchObject({ callSid: sid(2) });
    expect(two.takers.map((t) => t.callSid)).toEqual([agent(2)]);
    expect(claims).toBe(3);
  });

  it('a caller whose taker took the front and died is first in line again after the lease, with its enqueue time, for the next agent', async () => {
    prefix++;
    const stores = { a: await store('a', 15, 400), b: await store('b', 15, 400), c: await store('c', 15, 400) };
    const qs = cluster(stores);
    const one = caller(1);
    await qs['a']!.join('lease', one.member, 10);
    const [before] = await stores.a.queues.members('lease');
    // B claims the front and is never heard of again (killed before its claim went out).
    expect(await stores.b.queues.front('lease', Date.now(), { instance: 'b', others: 'any' }, 'claim-of-the-dead')).toMatchObject({ callSid: sid(1) });
    const got = await qs['c']!.take('lease', 10_000, new AbortController().signal, agent(3), { remoteBridge: 'any' });
    expect(got).toMatchObject({ callSid: sid(1), from: '+14155550101' });
    expect(one.takers.map((t) => t.callSid)).toEqual([agent(3)]);
    // Its enqueue time is the one it joined with: what C's <Queue url> says as QueueTime, and the average.
    expect(Math.abs((got as Dequeued).enqueuedAt - one.member.enqueuedAt)).toBeLessThan(50);
    expect(before!.enqueuedAt).toBeLessThanOrEqual(Date.now() - 400);
    expect(await stores.a.queues.members('lease')).toEqual([]);
    // The dead claim cannot be served after all.
    expect(await stores.a.queues.serve('lease', sid(1), 'claim-of-the-dead', Date.now())).toBe(false);
  });

  it("a bridge whose 'done' is lost, and one whose taker's instance dies, end for the caller: its instance checks", async () => {
    prefix++;
    const stores = { a: await store('a', 1), b: await store('b', 1) };
    let bDead = false;
    const qs = cluster(stores, (m, to) => (m.op === 'done' || (bDead && to === 'b') ? 'lose' : 'deliver'));
    const one = caller(1);
    await qs['a']!.join('watch', one.member, 10);
    const end = bridge((await qs['b']!.take('watch', 5000, new AbortController().signal, agent(1), { remoteBridge: 'any' })) as Dequeued, agent(1));
    expect(one.takers).toHaveLength(1);
    // B's bridge ends, its 'done' never arrives: A's check hears B no longer holds it.
    end({ endedBy: 'caller', duration: 1 });
    expect(await one.takers[0]!.bridged).toMatchObject({ endedBy: 'other' });
    // B dies mid-bridge: nothing reaches it, and its heartbeat expires.
    const two = caller(2);
    await qs['a']!.join('watch', two.member, 10);
    (await qs['b']!.take('watch', 5000, new AbortController().signal, agent(2), { remoteBridge: 'any' })) as Dequeued;
    bDead = true;
    stores.b.close().catch(() => undefined);
    stores.b = undefined as never;
    expect(await two.takers[0]!.bridged).toMatchObject({ endedBy: 'other' });
  });

  it("a bridge whose caller's instance dies ends for the agent: the taker's instance sees its heartbeat gone", async () => {
    prefix++;
    const stores = { a: await store('a', 1), b: await store('b', 1) };
    let aDead = false;
    const qs = cluster(stores, (_m, to) => (aDead && to === 'a' ? 'lose' : 'deliver'));
    const one = caller(1);
    await qs['a']!.join('watch-b', one.member, 10);
    const got = (await qs['b']!.take('watch-b', 5000, new AbortController().signal, agent(1), { remoteBridge: 'any' })) as Dequeued;
    bridge(got, agent(1));
    expect(got.leg.isEnded).toBe(false);
    // A stops (nothing reaches it, its heartbeat is gone): B's stand-in for its caller ends, so B's bridge does.
    aDead = true;
    await stores.a.close();
    await expect(got.leg.ended).resolves.toMatchObject({ by: 'caller', reason: 'its instance a stopped responding' });
  });

  it('a <Leave> at each moment of a claim from another instance: either the caller leaves and the agent finds no one, or it is taken; never both, never neither', async () => {
    prefix++;
    const stores = { a: await store('a'), b: await store('b') };
    const at = {};
    const qs = cluster({ a: hooked(stores.a.queues, at), b: hooked(stores.b.queues, at) });
    // The same outcomes as on one instance: the store decides, atomically.
    expect(await leaveOrTake(qs['a']!, qs['b']!, at)).toEqual(RACE_OUTCOMES);
    expect(await stores.a.queues.members('race-leave')).toEqual([]);
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
