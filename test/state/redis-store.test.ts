// The Redis call store against a real redis-server: what one instance writes another reads,
// commands reach the instance that runs the call and bring back its answer (or its error), ended
// calls are trimmed as in-process, a dead instance's calls are ended once (by one survivor), and an
// outage degrades the store without losing what it was told.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { stateErrors } from '../../src/metrics.js';
import { CallRequestError } from '../../src/state/errors.js';
import { RedisCallStore } from '../../src/state/redis.js';
import type { CommandBody, CallRecord } from '../../src/state/types.js';
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

function record(sid: string, more: Partial<CallRecord> = {}): CallRecord {
  const now = Date.now();
  return { sid, accountSid: 'AC' + '0'.repeat(32), from: '+14155550100', to: '+14155550111', direction: 'outbound-api', status: 'queued', dateCreated: now, dateUpdated: now, ...more };
}

const sid = (n: number) => 'CA' + n.toString(16).padStart(32, '0');

async function store(o: { id: string; keepEnded?: number; ttl?: number; logs?: Record<string, unknown>[]; handler?: (sid: string, c: CommandBody) => Promise<CallRecord>; keyPrefix?: string }) {
  const s = new RedisCallStore(
    { url: redis.url, keyPrefix: o.keyPrefix ?? `t${prefix}:`, instanceId: o.id, instanceTtlSeconds: o.ttl ?? 15, commandTimeoutMs: 2000, writeTimeoutMs: 500, keepEnded: o.keepEnded ?? 100, keepEndedSeconds: 3600 },
    createLogger({ level: 'debug', write: (l) => o.logs?.push(JSON.parse(l) as Record<string, unknown>) }),
  );
  stores.push(s);
  await s.start(o.handler ?? (async (id) => s.owned(id)!));
  return s;
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

describe.skipIf(!haveRedis)(`Redis call store${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('shares records: what one instance adds and changes, another gets and lists, with the same filters and order', async () => {
    prefix++;
    const a = await store({ id: 'a' });
    const b = await store({ id: 'b' });
    await a.add(record(sid(1), { dateCreated: 1000 }), { durable: true });
    await b.add(record(sid(2), { dateCreated: 2000, to: '+14155550122' }), { durable: true });
    a.update(sid(1), { status: 'in-progress', startTime: 5000 });
    expect(await until('the update on b', async () => ((await b.get(sid(1)))?.status === 'in-progress' ? b.get(sid(1)) : undefined))).toMatchObject({ instance: 'a', startTime: 5000 });
    expect((await a.list()).map((r) => r.sid)).toEqual([sid(2), sid(1)]);
    expect((await b.list({ to: '+14155550122' })).map((r) => r.sid)).toEqual([sid(2)]);
    expect((await b.list({ status: 'in-progress' })).map((r) => r.sid)).toEqual([sid(1)]);
    expect(await a.get(sid(9))).toBeUndefined();
  });

  it('sends a command to the instance that runs the call and answers with its outcome or its error', async () => {
    prefix++;
    const seen: [string, CommandBody][] = [];
    const a = await store({
      id: 'a',
      handler: async (id, c) => {
        seen.push([id, c]);
        if (c.status === 'canceled') throw new CallRequestError(21220, 400, `Call ${id} is not in progress`);
        a.update(id, { status: 'completed', endTime: Date.now() });
        return a.owned(id)!;
      },
    });
    const b = await store({ id: 'b' });
    await a.add(record(sid(1)), { durable: true });
    const done = await b.command(sid(1), { status: 'completed' });
    expect(done).toMatchObject({ sid: sid(1), status: 'completed', instance: 'a' });
    expect(seen).toEqual([[sid(1), { status: 'completed' }]]);
    await expect(b.command(sid(1), { status: 'canceled' })).rejects.toMatchObject({ code: 21220, status: 400, message: `Call ${sid(1)} is not in progress` });
    await expect(b.command(sid(7), { status: 'completed' })).rejects.toMatchObject({ code: 20404, status: 404 });
  });

  it('answers 20503 at once for a call whose instance is not connected', async () => {
    prefix++;
    const b = await store({ id: 'b' });
    const raw = new Redis(redis.url);
    await raw.set(`t${prefix}:call:${sid(3)}`, JSON.stringify(record(sid(3), { instance: 'gone' })));
    await raw.quit();
    await expect(b.command(sid(3), { status: 'completed' })).rejects.toMatchObject({ code: 20503, status: 503, message: expect.stringContaining('instance gone, which runs call') });
  });

  it('keeps keepEnded ended calls, the latest ends, and deletes only ended ones', async () => {
    prefix++;
    const a = await store({ id: 'a', keepEnded: 2 });
    const b = await store({ id: 'b', keepEnded: 2 });
    for (let i = 1; i <= 4; i++) await a.add(record(sid(i), { dateCreated: i * 1000 }), { durable: true });
    for (let i = 1; i <= 3; i++) a.update(sid(i), { status: 'completed', endTime: Date.now() + i });
    const listed = await until('the trim', async () => {
      const l = await b.list();
      return l.length === 3 ? l : undefined;
    });
    expect(listed.map((r) => r.sid)).toEqual([sid(4), sid(3), sid(2)]);
    expect(await b.delete(sid(4))).toBe('live');
    expect(await b.delete(sid(3))).toBe('deleted');
    expect(await b.get(sid(3))).toBeUndefined();
    // The owner forgot its copy too (told over pub/sub).
    await until('a to forget', () => (a.owned(sid(3)) ? undefined : true));
    expect(await b.delete(sid(3))).toBe('unknown');
  });

  it("ends a dead instance's live calls once, whichever survivor sees it first, and lists no ghost", async () => {
    prefix++;
    const logs: Record<string, unknown>[] = [];
    const a = await store({ id: 'a', ttl: 1, logs });
    const b = await store({ id: 'b', ttl: 1, logs });
    // What an instance that died (SIGKILL) leaves: its records and its set of live calls, and a heartbeat that has expired.
    const raw = new Redis(redis.url);
    const p = `t${prefix}:`;
    const talking = record(sid(1), { instance: 'dead', status: 'in-progress', startTime: Date.now() - 10_000 });
    await raw
      .multi()
      .set(`${p}call:${sid(1)}`, JSON.stringify(talking))
      .set(`${p}call:${sid(2)}`, JSON.stringify(record(sid(2), { instance: 'dead', status: 'ringing' })))
      .zadd(`${p}calls:live`, 1, sid(1), 2, sid(2))
      .sadd(`${p}instance:dead:calls`, sid(1), sid(2))
      .sadd(`${p}instances`, 'dead')
      .exec();
    const reaped = await until('the reaping', async () => {
      const l = await a.list();
      return l.every((r) => r.status === 'completed' || r.status === 'failed') ? l : undefined;
    });
    expect(reaped.find((r) => r.sid === sid(1))).toMatchObject({ status: 'completed', endReason: 'instance dead stopped responding', duration: expect.any(Number) });
    expect(reaped.find((r) => r.sid === sid(1))!.duration).toBeGreaterThanOrEqual(10);
    expect(reaped.find((r) => r.sid === sid(2))).toMatchObject({ status: 'failed', duration: 0, endReason: 'instance dead stopped responding' });
    expect(await b.list({ status: 'in-progress' })).toEqual([]);
    expect(await raw.zcard(`${p}calls:live`)).toBe(0);
    expect(await raw.sismember(`${p}instances`, 'dead')).toBe(0);
    // Both survivors ran their reaper; one of them ended the calls.
    await new Promise((ok) => setTimeout(ok, 800));
    expect(logs.filter((l) => l['msg'] === 'instance stopped responding: its live calls are marked ended' || l['message'] === 'instance stopped responding: its live calls are marked ended')).toHaveLength(1);
    // The living are never reaped.
    expect(await raw.smembers(`${p}instances`)).toEqual(expect.arrayContaining(['a', 'b']));
    await raw.quit();
  });

  it('an instance taken for dead while it lives writes its live calls back at its next write', async () => {
    prefix++;
    const logs: Record<string, unknown>[] = [];
    const a = await store({ id: 'a', logs }); // beats every 5 s
    const b = await store({ id: 'b', ttl: 1 }); // looks for the dead three times a second
    await a.add(record(sid(1), { status: 'in-progress', startTime: Date.now() }), { durable: true });
    await a.add(record(sid(2), { status: 'in-progress', startTime: Date.now() }), { durable: true });
    // A's heartbeat is gone (as after a long stall): B ends its calls.
    const raw = new Redis(redis.url);
    await raw.del(`t${prefix}:instance:a`);
    await raw.quit();
    await until('reaped', async () => (await b.get(sid(2)))?.endReason === 'instance a stopped responding');
    // A changes one call; both its live calls are written again.
    a.update(sid(1), { answeredBy: 'human' });
    await until('both live again', async () => (await b.list({ status: 'in-progress' })).length === 2);
    expect(await b.get(sid(2))).toMatchObject({ status: 'in-progress', instance: 'a' });
    expect(logs.some((l) => String(l['msg']).startsWith('this instance was taken for dead'))).toBe(true);
  });

  it('goes on through an outage: degraded, writes kept and flushed, a durable add refused; consistent once Redis is back empty', async () => {
    prefix++;
    const a = await store({ id: 'a' });
    const b = await store({ id: 'b' });
    await a.add(record(sid(1), { dateCreated: 1000 }), { durable: true });
    a.update(sid(1), { status: 'in-progress', startTime: Date.now() });
    await until('the write', async () => (await b.get(sid(1)))?.status === 'in-progress');
    const errors = async (operation: string) => (await stateErrors.get()).values.find((v) => v.labels.operation === operation)?.value ?? 0;
    const before = { connect: await errors('connect'), read: await errors('read') };
    await redis.stop();
    await until('a degraded', () => a.health().status === 'degraded');
    expect(a.health().reason).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ unreachable since /);
    // Calls go on: a new inbound call and a change are kept locally, pending.
    await a.add(record(sid(2), { dateCreated: 2000, direction: 'inbound', status: 'ringing' }));
    a.update(sid(1), { status: 'completed', endTime: Date.now(), duration: 3 });
    expect(a.health().pendingWrites).toBe(2);
    expect(a.owned(sid(1))?.status).toBe('completed');
    // A create that must be written first is refused, and its record says why.
    await expect(a.add(record(sid(3), { dateCreated: 3000 }), { durable: true })).rejects.toMatchObject({ code: 20503, status: 503, message: expect.stringMatching(/^the shared call state \(Redis at redis:\/\/127\.0\.0\.1:\d+\) cannot be reached \(.+\): the call was not placed; try again$/) });
    expect(a.owned(sid(3))).toMatchObject({ status: 'failed', endReason: 'not placed: the shared state could not be written' });
    await expect(b.list()).rejects.toMatchObject({ code: 20503, message: expect.stringContaining('cannot be reached') });
    // Counted for /metrics (didml_state_errors_total), by operation.
    expect(await errors('connect')).toBeGreaterThan(before.connect);
    expect(await errors('read')).toBe(before.read + 1);
    await redis.start();
    await until('a ok', () => a.health().status === 'ok' && a.health().pendingWrites === 0, 15_000);
    await until('b ok', () => b.health().status === 'ok', 15_000);
    // Redis came back empty; the owner wrote back every record it keeps.
    const listed = await b.list();
    expect(listed.map((r) => [r.sid, r.status])).toEqual([
      [sid(3), 'failed'],
      [sid(2), 'ringing'],
      [sid(1), 'completed'],
    ]);
  });
});

describe.skipIf(!haveRedis)(`Redis call store, its pending writes${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('keeps at most the live calls and keepEnded ended ones pending through an outage, the latest', async () => {
    prefix++;
    const a = await store({ id: 'a', keepEnded: 2 });
    await redis.stop();
    await until('a degraded', () => a.health().status === 'degraded');
    await a.add(record(sid(100), { dateCreated: 100, status: 'ringing' }));
    for (let i = 1; i <= 6; i++) {
      await a.add(record(sid(i), { dateCreated: i * 1000, status: 'ringing' }));
      a.update(sid(i), { status: 'completed', endTime: Date.now() + i });
    }
    expect(a.health().pendingWrites).toBe(3);
    await redis.start();
    await until('flushed', () => a.health().status === 'ok' && a.health().pendingWrites === 0, 15_000);
    const b = await store({ id: 'b', keepEnded: 2 });
    expect((await b.list()).map((r) => r.sid)).toEqual([sid(6), sid(5), sid(100)]);
  });
});

describe.skipIf(!haveRedis)(`Redis call store, started or stopped while Redis is away${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('a runtime starts degraded while Redis is not there yet, is ok once it is, and closes while it is gone again', async () => {
    const { checkConfig } = await import('../../src/server/config.js');
    const { startRuntime } = await import('../../src/server/runtime.js');
    const own = await startRedis();
    await own.stop();
    try {
      const rt = await startRuntime(checkConfig({ http: { port: 0 }, app: { url: 'https://app.example.com/voice' }, state: { url: own.url, writeTimeoutMs: 300 } }), { log: createLogger({ level: 'error' }) });
      const health = async () => (await (await fetch(`${rt.url}/health`)).json()) as { status: string; state: { status: string; reason: string } };
      expect(await health()).toMatchObject({ status: 'degraded', state: { status: 'degraded', reason: expect.stringContaining('unreachable since') } });
      await own.start();
      await until('ok once Redis is up', async () => (await health()).status === 'ok', 15_000);
      await own.stop();
      await until('degraded again', async () => (await health()).status === 'degraded');
      // Closing does not wait for Redis to come back.
      await rt.close();
    } finally {
      await own.close();
    }
  });
});
