// Several didml instances over one real redis-server (issue 14): the Calls API on any instance
// acts on and lists every instance's calls. A call placed on A (with the real twilio client) is
// redirected and hung up through B and listed on C; an instance killed with SIGKILL (a child
// process: bin/didml.js serve --config) has its calls ended by a survivor; Redis stopped and
// started again under load loses nothing answered 201, and /health says degraded meanwhile.
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { startApp, xml, type TestApp } from '../runtime/support.js';
import { haveRedis, NO_REDIS, startRedis, type RedisServer } from '../state/redis-server.js';
import { serveChild, until } from './cluster-support.js';


const ACCOUNT = 'AC' + '5678abcd'.repeat(4);
const TOKEN = 'cluster-test-token';

let redis: RedisServer;
let app: TestApp;
let n = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  if (!haveRedis) return;
  redis = await startRedis();
  app = await startApp({
    '/voice': xml('<Pause length="60"/>'),
    '/moved': xml('<Say>You were moved.</Say><Pause length="60"/>'),
  });
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Instances that are never killed keep the default TTL; the one test that kills an instance sets a short one. */
function config(id: string, prefix: string, ttl = 15) {
  return {
    http: { port: 0 },
    app: { url: app.url('/voice') },
    accountSid: ACCOUNT,
    authToken: TOKEN,
    mock: { callees: { '*': { ring: 0.1 } } },
    state: { url: redis.url, keyPrefix: prefix, instanceId: id, instanceTtlSeconds: ttl, writeTimeoutMs: 500 },
  };
}

async function instance(id: string, prefix: string, ttl?: number) {
  const rt = await startRuntime(checkConfig(config(id, prefix, ttl)), { log: createLogger({ level: 'error' }) });
  cleanups.push(() => rt.close());
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  return { rt, client };
}


const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as { status: string; state: { status: string; reason?: string; backend: string; pendingWrites: number } };

describe.skipIf(!haveRedis)(`didml instances sharing calls over Redis${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('a call placed on A is redirected and hung up through B, and every instance lists it', async () => {
    const prefix = `c${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const c = await instance('c', prefix);
    const call = await a.client.calls.create({ to: '+14155550123', from: '+14155550100', url: app.url('/voice') });
    expect(call.status).toBe('queued');
    await until('the call in progress on B', async () => (await b.client.calls(call.sid).fetch()).status === 'in-progress');
    // New instructions through B run on A's call: the app is asked for /moved with A's call.
    const moved = await b.client.calls(call.sid).update({ url: app.url('/moved') });
    expect(moved).toMatchObject({ sid: call.sid, status: 'in-progress' });
    await until('the redirect on A', () => app.to('/moved').some((r) => r.params['CallSid'] === call.sid));
    expect(app.to('/moved').find((r) => r.params['CallSid'] === call.sid)!.params['Direction']).toBe('outbound-api');
    // C lists A's call (and B's), with the filters of one instance.
    const other = await b.client.calls.create({ to: '+14155550124', from: '+14155550100', url: app.url('/voice') });
    const listed = await until('both calls listed on C', async () => {
      const l = await c.client.calls.list({ from: '+14155550100' });
      return l.length === 2 ? l : undefined;
    });
    expect(listed.map((x) => x.sid)).toEqual([other.sid, call.sid]);
    expect((await c.client.calls.list({ to: '+14155550124' })).map((x) => x.sid)).toEqual([other.sid]);
    const page = await c.client.calls.page({ pageSize: 1 });
    expect(page.instances.map((x) => x.sid)).toEqual([other.sid]);
    expect((await page.nextPage())!.instances.map((x) => x.sid)).toEqual([call.sid]);
    // Status=completed through C hangs up A's call; the answer is A's record.
    const ended = await c.client.calls(call.sid).update({ status: 'completed' });
    expect(ended.sid).toBe(call.sid);
    await until('the call completed, seen from B', async () => (await b.client.calls(call.sid).fetch()).status === 'completed');
    expect((await a.rt.calls.store.get(call.sid))?.instance).toBe('a');
    // Twilio's errors come back from the owner too: an ended call cannot be steered (21220), an unknown one is 20404.
    await expect(b.client.calls(call.sid).update({ twiml: '<Response/>' })).rejects.toMatchObject({ status: 400, code: 21220 });
    await expect(b.client.calls('CA' + '0'.repeat(32)).update({ status: 'completed' })).rejects.toMatchObject({ status: 404, code: 20404 });
    await until('the other in progress', async () => (await a.client.calls(other.sid).fetch()).status === 'in-progress');
    await c.client.calls(other.sid).update({ status: 'completed' });
    await until('the other completed', async () => (await a.client.calls(other.sid).fetch()).status === 'completed');
    expect(await c.client.calls(other.sid).remove()).toBe(true);
    await expect(a.client.calls(other.sid).fetch()).rejects.toMatchObject({ status: 404 });
  });

  it('an instance that stops cleanly ends its calls itself and writes them before it leaves', async () => {
    const prefix = `c${++n}:`;
    const leaving = await startRuntime(checkConfig(config('leaving', prefix)), { log: createLogger({ level: 'error' }) });
    const stays = await instance('stays', prefix);
    const client = twilio(ACCOUNT, TOKEN);
    client.api.baseUrl = leaving.url;
    const call = await client.calls.create({ to: '+14155550123', from: '+14155550100', url: app.url('/voice') });
    await until('in progress', async () => (await stays.client.calls(call.sid).fetch()).status === 'in-progress');
    await leaving.close();
    // Written by its own instance as it stopped (no reaper involved), at once.
    const record = await stays.rt.calls.store.get(call.sid);
    expect(record).toMatchObject({ status: 'completed', instance: 'leaving' });
    expect(record?.endReason).toBeUndefined();
    expect(await stays.client.calls.list({ status: 'in-progress' })).toEqual([]);
  });

  it('ends the calls of an instance killed with SIGKILL, from a surviving instance, within its TTL', async () => {
    const prefix = `c${++n}:`;
    const survivor = await instance('survivor', prefix, 2);
    const { child, url, output } = await serveChild('doomed', config('doomed', prefix, 2), cleanups);
    const started = output().split('\n').map((l) => (l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : {})).find((l) => l['msg'] === 'didml runtime started');
    expect(started?.['state']).toEqual({ backend: 'redis', instance: 'doomed' });
    const doomed = twilio(ACCOUNT, TOKEN);
    doomed.api.baseUrl = url;
    const talking = await doomed.calls.create({ to: '+14155550123', from: '+14155550100', url: app.url('/voice') });
    await until('the call in progress', async () => (await survivor.client.calls(talking.sid).fetch()).status === 'in-progress');
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGKILL');
    await exited;
    // Until it is reaped, a command for it says that its instance does not answer (or, reaped already, that it ended).
    const early = await survivor.client.calls(talking.sid).update({ status: 'completed' }).then(() => ({ status: 200, code: 0 }), (e: { status: number; code: number }) => e);
    expect([[503, 20503], [400, 21220]]).toContainEqual([early.status, early.code]);
    const reaped = await until('the call reaped', async () => {
      const r = await survivor.rt.calls.store.get(talking.sid);
      return r?.status === 'completed' ? r : undefined;
    });
    expect(reaped).toMatchObject({ status: 'completed', endReason: 'instance doomed stopped responding', instance: 'doomed' });
    expect(reaped.endTime).toBeGreaterThanOrEqual(reaped.startTime!);
    expect((await survivor.client.calls.list({ status: 'in-progress' })).map((x) => x.sid)).not.toContain(talking.sid);
    expect((await survivor.client.calls(talking.sid).fetch()).status).toBe('completed');
    await expect(survivor.client.calls(talking.sid).update({ status: 'completed' })).rejects.toMatchObject({ status: 400, code: 21220 });
  });

  it('loses no create answered 201 when Redis stops and starts again under load; /health is degraded, then ok', async () => {
    const prefix = `c${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const c = await instance('c', prefix);
    const created: string[] = [];
    const refused: { status: number; code: number }[] = [];
    let phase: 'before' | 'down' | 'after' | 'done' = 'before';
    const during: Record<string, number> = { before: 0, down: 0, after: 0 };
    // Four clients keep placing calls, on A and on B, through every phase.
    const load = [a, b, a, b].map(async ({ client }) => {
      while (phase !== 'done') {
        const at = phase;
        try {
          const call = await client.calls.create({ to: '+14155550123', from: '+14155550100', url: app.url('/voice') });
          created.push(call.sid);
          during[at]!++;
        } catch (e) {
          const err = e as { status: number; code: number };
          refused.push({ status: err.status, code: err.code });
          await new Promise((ok) => setTimeout(ok, 20));
        }
      }
    });
    await until('calls placed before', () => during['before']! >= 8);
    await redis.stop();
    phase = 'down';
    const degraded = await until('A degraded', async () => {
      const h = await health(a.rt.url);
      return h.status === 'degraded' ? h : undefined;
    });
    expect(degraded.state).toMatchObject({ status: 'degraded', backend: 'redis', reason: expect.stringMatching(/^Redis at redis:\/\/127\.0\.0\.1:\d+ unreachable since /) });
    await until('creates refused while Redis is down', () => refused.length >= 4);
    await redis.start();
    await until('A and B ok', async () => (await health(a.rt.url)).status === 'ok' && (await health(b.rt.url)).status === 'ok');
    phase = 'after';
    await until('calls placed after', () => during['after']! >= 8);
    phase = 'done';
    await Promise.all(load);
    // Every create answered with 201 is listed, on an instance that placed none of them.
    const listed = new Set(
      await until('every call listed on C', async () => {
        const sids = (await c.client.calls.list({ pageSize: 1000 })).map((x) => x.sid);
        return created.every((s) => sids.includes(s)) ? sids : undefined;
      }),
    );
    expect(created.filter((s) => !listed.has(s))).toEqual([]);
    // What was refused was refused as Twilio does when it cannot take a request: 503, 20503.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.status === 503 && r.code === 20503)).toBe(true);
    expect((await health(c.rt.url)).state.pendingWrites).toBe(0);
  });
});
