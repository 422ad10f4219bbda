// Queues across didml instances over one real redis-server (issue 14), the mock backend, calls
// placed through the Calls API with the real twilio client: a caller enqueued on A is taken by an
// agent's <Dial><Queue url> on B and bridged, both apps get Twilio's parameters; positions, sizes
// and the average wait are the same on every instance; a caller who hangs up on A leaves the line
// (no ghost for B); the queued callers of an instance killed with SIGKILL leave it too. The races
// of issue 14: the agent's instance SIGKILLed mid-bridge (the caller's <Enqueue> goes on at its
// action), a claim whose taker died before it reached the caller (the lease lapses, the next agent
// takes the caller), a <Leave> as the agent's claim comes (one outcome only).
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime } from '../../src/server/runtime.js';
import { RedisCallStore } from '../../src/state/redis.js';
import { startApp, xml, type AppRequest, type TestApp } from '../runtime/support.js';
import { haveRedis, NO_REDIS, startRedis, type RedisServer } from '../state/redis-server.js';
import { serveChild, until } from './cluster-support.js';

const ACCOUNT = 'AC' + '9abc1234'.repeat(4);
const TOKEN = 'cluster-queue-token';

const CALLER = '+14155550101';
const CALLER_ON_C = '+14155550103';
const HANGS_UP = '+14155550102';
const AGENT = '+14155550199';
const AGENT_ALONE = '+14155550198';
const AGENT_LONG = '+14155550197';

let redis: RedisServer;
let app: TestApp;
let n = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  if (!haveRedis) return;
  redis = await startRedis();
  app = await startApp({
    '/caller': xml('<Enqueue waitUrl="/wait" action="/after-enqueue">support</Enqueue>'),
    '/wait': xml('<Pause length="1"/>'),
    '/caller-leaves': xml('<Enqueue waitUrl="/wait-leave" action="/after-enqueue">support</Enqueue>'),
    '/wait-leave': xml('<Leave/>'),
    '/after-enqueue': xml('<Hangup/>'),
    '/agent': xml('<Dial action="/after-dial"><Queue url="/whisper">support</Queue></Dial>'),
    '/agent-plain': xml('<Dial action="/after-dial"><Queue>support</Queue></Dial>'),
    '/agent-alone': xml('<Dial action="/after-dial" timeout="2"><Queue>support</Queue></Dial>'),
    '/whisper': xml('<Say>A customer for you.</Say>'),
    '/after-dial': xml('<Hangup/>'),
    '/dequeued': xml('<Say>You were taken out of the queue.</Say><Hangup/>'),
  });
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function config(id: string, prefix: string, ttl = 15, claimLeaseMs?: number) {
  return {
    http: { port: 0 },
    app: { url: app.url('/caller') },
    accountSid: ACCOUNT,
    authToken: TOKEN,
    // Placed calls' far ends: callers stay a minute unless said otherwise; the agent talks 3 s once bridged.
    mock: { callees: { [CALLER]: { ring: 0.05, talk: 60 }, [CALLER_ON_C]: { ring: 0.05, talk: 60 }, [HANGS_UP]: { ring: 0.05, talk: 2 }, [AGENT]: { ring: 0.05, talk: 3 }, [AGENT_LONG]: { ring: 0.05, talk: 120 }, '*': { ring: 0.05, talk: 60 } } },
    state: { url: redis.url, keyPrefix: prefix, instanceId: id, instanceTtlSeconds: ttl, writeTimeoutMs: 500, ...(claimLeaseMs ? { claimLeaseMs } : {}) },
  };
}

async function instance(id: string, prefix: string, ttl?: number, claimLeaseMs?: number) {
  const rt = await startRuntime(checkConfig(config(id, prefix, ttl, claimLeaseMs)), { log: createLogger({ level: (process.env['QLOG'] as 'debug') ?? 'error' }) });
  cleanups.push(() => rt.close());
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  return { rt, client };
}


/** An instance in a child process (bin/didml.js serve), to be killed with SIGKILL: its twilio client and the child. */
async function childInstance(id: string, prefix: string, ttl: number) {
  const { url, kill } = await serveChild(id, config(id, prefix, ttl), cleanups);
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = url;
  return { client, kill };
}

/** The app's requests for `path` made for call `sid`. */
const of = (path: string, sid: string): AppRequest[] => app.to(path).filter((r) => r.params['CallSid'] === sid);
const place = (client: ReturnType<typeof twilio>, to: string, path: string) => client.calls.create({ to, from: '+14155550100', url: app.url(path) });

describe.skipIf(!haveRedis)(`queues across didml instances over Redis${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('a caller enqueued on A is bridged to an agent on B; positions, sizes and the average are the same on C', async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const c = await instance('c', prefix);
    const first = await place(a.client, CALLER, '/caller');
    await until('the first caller waiting on A', () => of('/wait', first.sid).length > 0);
    const second = await place(c.client, CALLER_ON_C, '/caller');
    // The second caller, on C, is second in a line of two: the line is one, whoever runs the callers.
    const secondWait = await until('the second caller waiting on C', () => of('/wait', second.sid)[0]);
    const queueSid = of('/wait', first.sid)[0]!.params['QueueSid']!;
    expect(queueSid).toMatch(/^QU[0-9a-f]{32}$/);
    expect(secondWait.params).toMatchObject({ QueueSid: queueSid, QueuePosition: '2', CurrentQueueSize: '2', AvgQueueTime: '0' });
    await until('the first caller told it is first of two', () => of('/wait', first.sid).some((r) => r.params['CurrentQueueSize'] === '2' && r.params['QueuePosition'] === '1'));
    // Statistics asked from any instance, B here, which runs neither caller.
    expect((await b.rt.calls.queues.store.list()).find((q) => q.name === 'support')).toMatchObject({ sid: queueSid, size: 2 });

    const agent = await place(b.client, AGENT, '/agent');
    // B takes the first in line (A's caller): A runs the <Queue url> document on its caller...
    const whisper = await until('the whisper for the caller', () => of('/whisper', first.sid)[0]);
    expect(whisper.params).toMatchObject({ QueueSid: queueSid, DequeingCallSid: agent.sid, QueueTime: expect.stringMatching(/^\d+$/) });
    // ...then B bridges; the agent hangs up after 3 s of talk and both actions hear of it.
    const afterDial = await until('the agent\'s Dial action on B', () => of('/after-dial', agent.sid)[0]);
    expect(afterDial.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true', DialCallSid: first.sid, QueueSid: queueSid });
    expect(Number(afterDial.params['DialCallDuration'])).toBeGreaterThanOrEqual(2);
    const afterEnqueue = await until('the caller\'s Enqueue action on A', () => of('/after-enqueue', first.sid)[0]);
    expect(afterEnqueue.params).toMatchObject({ QueueResult: 'bridged', QueueSid: queueSid, QueueTime: expect.stringMatching(/^\d+$/) });
    expect(Number(afterEnqueue.params['QueueTime'])).toBeGreaterThanOrEqual(Number(whisper.params['QueueTime']));
    // The caller on C moved up; the first caller's wait counts in the average, asked from A.
    await until('the second caller first of one', () => of('/wait', second.sid).some((r) => r.params['QueuePosition'] === '1' && r.params['CurrentQueueSize'] === '1'));
    const stats = (await a.rt.calls.queues.store.list()).find((q) => q.name === 'support')!;
    expect(stats.size).toBe(1);
    // Each instance's own call records: the caller on A, the agent on B.
    expect((await c.rt.calls.store.get(first.sid))?.instance).toBe('a');
    expect((await c.rt.calls.store.get(agent.sid))?.instance).toBe('b');
    await c.client.calls(second.sid).update({ status: 'completed' });
    await until('the second caller left the line', async () => (await a.rt.calls.queues.store.members('support')).length === 0);
  });

  it("Twilio's Queues and Members resources on any instance, with the twilio client: list, fetch, and dequeue the front to a Url", async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const c = await instance('c', prefix);
    const first = await place(a.client, CALLER, '/caller');
    await until('the first waiting', () => of('/wait', first.sid).length > 0);
    const second = await place(b.client, CALLER_ON_C, '/caller');
    await until('the second waiting', () => of('/wait', second.sid).length > 0);
    // C runs neither caller, and answers for the queue all the same.
    const queues = await c.client.queues.list();
    expect(queues.map((q) => [q.friendlyName, q.currentSize, q.maxSize])).toEqual([['support', 2, 100]]);
    const queue = await c.client.queues(queues[0]!.sid).fetch();
    expect(queue).toMatchObject({ sid: of('/wait', first.sid)[0]!.params['QueueSid'], friendlyName: 'support', currentSize: 2, accountSid: ACCOUNT });
    const members = await c.client.queues(queue.sid).members.list();
    expect(members.map((m) => [m.callSid, m.position, m.queueSid])).toEqual([
      [first.sid, 1, queue.sid],
      [second.sid, 2, queue.sid],
    ]);
    expect((await c.client.queues(queue.sid).members(second.sid).fetch()).position).toBe(2);
    // The front, dequeued through C: A's caller leaves the line and runs /dequeued.
    const taken = await c.client.queues(queue.sid).members('Front').update({ url: app.url('/dequeued') });
    expect(taken).toMatchObject({ callSid: first.sid, position: 1 });
    await until('the dequeued caller runs the Url', () => of('/dequeued', first.sid).length > 0);
    expect(of('/after-enqueue', first.sid)).toEqual([]);
    await until('first call over', async () => (await a.client.calls(first.sid).fetch()).status === 'completed');
    expect((await b.client.queues(queue.sid).members.list()).map((m) => [m.callSid, m.position])).toEqual([[second.sid, 1]]);
    // What the API cannot do is refused, saying why; an unknown queue or member is 404.
    await expect(c.client.queues('QU' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(c.client.queues(queue.sid).members(first.sid).fetch()).rejects.toMatchObject({ status: 404 });
    await expect(c.client.queues.create({ friendlyName: 'sales' })).rejects.toMatchObject({ status: 405, code: 20004 });
    await b.client.calls(second.sid).update({ status: 'completed' });
  });

  it('a caller who hangs up in line on A leaves it: an agent on B finds no one (no ghost)', async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const caller = await place(a.client, HANGS_UP, '/caller');
    await until('waiting', () => of('/wait', caller.sid).length > 0);
    expect((await b.rt.calls.queues.store.members('support')).map((m) => m.callSid)).toEqual([caller.sid]);
    const afterEnqueue = await until('the Enqueue action after the hangup', () => of('/after-enqueue', caller.sid)[0]);
    expect(afterEnqueue.params).toMatchObject({ QueueResult: 'hangup' });
    expect(await b.rt.calls.queues.store.members('support')).toEqual([]);
    const agent = await place(b.client, AGENT_ALONE, '/agent-alone');
    const afterDial = await until('the agent gave up', () => of('/after-dial', agent.sid)[0]);
    expect(afterDial.params).toMatchObject({ DialCallStatus: 'no-answer', DialBridged: 'false' });
  });

  it('a caller waiting for an agent on B is taken as soon as it joins on A', async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const agent = await place(b.client, AGENT, '/agent');
    await until('the agent waiting', async () => (await b.client.calls(agent.sid).fetch()).status === 'in-progress');
    const caller = await place(a.client, CALLER, '/caller');
    const afterDial = await until('the bridge', () => of('/after-dial', agent.sid)[0]);
    expect(afterDial.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true', DialCallSid: caller.sid });
    expect((await until('the Enqueue action', () => of('/after-enqueue', caller.sid)[0])).params['QueueResult']).toBe('bridged');
  });

  it('a caller on A who hangs up while bridged ends the bridge on B, whose agent goes on with its action', async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    // The agent would talk two minutes; the caller hangs up 2 s after it answered.
    const agent = await place(b.client, AGENT_LONG, '/agent-plain');
    await until('the agent waiting', async () => (await b.client.calls(agent.sid).fetch()).status === 'in-progress');
    const caller = await place(a.client, HANGS_UP, '/caller');
    const afterDial = await until('the bridge ended by the caller', () => of('/after-dial', agent.sid)[0]);
    expect(afterDial.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true', DialCallSid: caller.sid, CallStatus: 'in-progress' });
    expect((await until('the Enqueue action', () => of('/after-enqueue', caller.sid)[0])).params).toMatchObject({ QueueResult: 'bridged', CallStatus: 'completed' });
    await until('the agent call over', async () => (await a.client.calls(agent.sid).fetch()).status === 'completed');
  });

  it("an agent's instance SIGKILLed mid-bridge: the caller on A notices and its <Enqueue> goes on at its action with QueueResult=bridged", async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix, 2);
    const b = await childInstance('b', prefix, 2);
    // The caller waits in line on A; the agent on B would talk two minutes, the caller one: only B's death can end the bridge sooner.
    const caller = await place(a.client, CALLER, '/caller');
    await until('the caller in line', () => of('/wait', caller.sid).length > 0);
    const agent = await place(b.client, AGENT_LONG, '/agent-plain');
    await until('the caller taken from the line by B', async () => (await a.rt.calls.queues.store.members('support')).length === 0);
    expect(of('/after-enqueue', caller.sid)).toEqual([]);
    await b.kill();
    const after = await until('the caller\'s Enqueue action after B died', () => of('/after-enqueue', caller.sid)[0]);
    // Still on its call, taken by the agent: the document goes on at the action.
    expect(after.params).toMatchObject({ QueueResult: 'bridged', CallStatus: 'in-progress', QueueSid: expect.stringMatching(/^QU/) });
    expect(of('/after-enqueue', caller.sid)).toHaveLength(1);
    // B's calls are reaped by A: the agent's call ended, saying why.
    const reaped = await until('the agent call reaped', async () => {
      const r = await a.rt.calls.store.get(agent.sid);
      return r?.status === 'completed' ? r : undefined;
    });
    expect(reaped.endReason).toBe('instance b stopped responding');
  }, 45_000);

  it('a caller claimed by a taker that died before its claim reached A is first in line again after the lease, and the next agent takes it, its wait counted from its own enqueue', async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix, 15, 600);
    const b = await instance('b', prefix, 15, 600);
    const caller = await place(a.client, CALLER, '/caller');
    await until('the caller waiting a second', () => of('/wait', caller.sid).some((r) => Number(r.params['QueueTime']) >= 1));
    // Another instance claims the front and dies before telling A (its claim never reaches it).
    const doomed = new RedisCallStore(
      { url: redis.url, keyPrefix: prefix, instanceId: 'doomed', instanceTtlSeconds: 15, commandTimeoutMs: 2000, writeTimeoutMs: 500, claimLeaseMs: 600, keepEnded: 10, keepEndedSeconds: 60 },
      createLogger({ level: 'error' }),
    );
    await doomed.start(async () => {
      throw new Error('never asked');
    });
    expect(await doomed.queues.front('support', Date.now(), { instance: 'doomed', others: 'any' }, 'claim-never-sent')).toMatchObject({ callSid: caller.sid, instance: 'a' });
    await doomed.close();
    // Still first in line for the wait document meanwhile, and taken by B's agent once the lease lapses.
    const agent = await place(b.client, AGENT, '/agent-plain');
    const afterDial = await until('the bridge', () => of('/after-dial', agent.sid)[0]);
    expect(afterDial.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true', DialCallSid: caller.sid });
    const afterEnqueue = await until('the Enqueue action', () => of('/after-enqueue', caller.sid)[0]);
    expect(afterEnqueue.params).toMatchObject({ QueueResult: 'bridged' });
    expect(Number(afterEnqueue.params['QueueTime'])).toBeGreaterThanOrEqual(1);
    // The one caller served waited at least the second before the dead claim: its own enqueue time counted.
    expect((await b.rt.calls.queues.store.list()).find((q) => q.name === 'support')?.averageWaitTime).toBeGreaterThanOrEqual(1);
  });

  it('a <Leave> as an agent on B claims the caller: it either leaves (the agent takes the next caller) or is bridged, never both', async () => {
    const prefix = `cq${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    for (let round = 0; round < 2; round++) {
      const agent = await place(b.client, AGENT, '/agent-plain');
      await until('the agent waiting', async () => (await b.client.calls(agent.sid).fetch()).status === 'in-progress');
      // The caller's wait document says <Leave> at once, as the waiting agent's claim comes.
      const leaving = await place(a.client, CALLER, '/caller-leaves');
      const result = (await until('the leaving caller\'s Enqueue action', () => of('/after-enqueue', leaving.sid)[0])).params['QueueResult'];
      expect(['leave', 'bridged']).toContain(result);
      let next: string | undefined;
      if (result === 'leave') next = (await place(a.client, CALLER_ON_C, '/caller')).sid;
      const afterDial = await until('the agent bridged', () => of('/after-dial', agent.sid)[0]);
      // Left: the agent took the next caller; bridged: the one who would have left.
      expect(afterDial.params).toMatchObject({ DialBridged: 'true', DialCallSid: next ?? leaving.sid });
      expect(of('/after-enqueue', leaving.sid)).toHaveLength(1);
      if (next) await until('the next caller bridged', () => of('/after-enqueue', next)[0]?.params['QueueResult'] === 'bridged');
    }
    expect(await a.rt.calls.queues.store.members('support')).toEqual([]);
  });

  it('the queued callers of an instance killed with SIGKILL leave the line within its TTL', async () => {
    const prefix = `cq${++n}:`;
    const survivor = await instance('survivor', prefix, 2);
    const { child, url } = await serveChild('doomed', config('doomed', prefix, 2), cleanups);
    const doomed = twilio(ACCOUNT, TOKEN);
    doomed.api.baseUrl = url;
    const caller = await place(doomed, CALLER, '/caller');
    await until('waiting on the doomed instance', () => of('/wait', caller.sid).length > 0);
    expect((await survivor.rt.calls.queues.store.members('support')).map((m) => m.callSid)).toEqual([caller.sid]);
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGKILL');
    await exited;
    await until('the dead instance\'s caller out of line', async () => (await survivor.rt.calls.queues.store.members('support')).length === 0);
    expect((await survivor.rt.calls.store.get(caller.sid))?.endReason).toBe('instance doomed stopped responding');
    // An agent on the survivor finds no one.
    const agent = await place(survivor.client, AGENT_ALONE, '/agent-alone');
    expect((await until('the agent gave up', () => of('/after-dial', agent.sid)[0])).params).toMatchObject({ DialCallStatus: 'no-answer', DialBridged: 'false' });
  });
});
