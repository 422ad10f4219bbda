// Several didml instances on drachtio's outbound connections (the way drachtio-server spreads
// calls), sharing their calls over one real redis-server: the stand-in drachtio-server opens a
// connection to each instance for a call, as its --http-handler router would send INVITEs round
// robin. Any instance lists all three calls; a hangup sent through another instance reaches the
// one that runs the call and its BYE goes out on that call's own connection.
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime } from '../../src/server/runtime.js';
import { createDrachtioAdapter } from '../../src/telephony/drachtio/index.js';
import { StandIn, type Conn } from '../drachtio/stand-in/server.js';
import { startApp, xml } from '../runtime/support.js';
import { haveRedis, NO_REDIS, startRedis } from '../state/redis-server.js';
import { until } from './cluster-support.js';

const ACCOUNT = 'AC' + '9abc0def'.repeat(4);
const TOKEN = 'cluster-drachtio-token';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});


describe.skipIf(!haveRedis)(`three instances behind drachtio's outbound connections${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('lists every inbound call on any instance and hangs one up through another, with the BYE on its own connection', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    // Signalling only (no media server): each caller is bridged to an agent who answers and stays.
    const app = await startApp({ '/voice': xml('<Dial><Sip>sip:agent@agents.example</Sip></Dial>') });
    cleanups.push(() => app.close());
    const stand = StandIn.create({ secret: 'cymru' });
    cleanups.push(() => stand.close());
    stand.onRequest = (req) => req.respond(200);
    const instances = [];
    for (const id of ['one', 'two', 'three']) {
      const drachtio = { outbound: { host: '127.0.0.1', port: 0, secret: 'cymru' }, rtp: { address: '127.0.0.1' } };
      const adapter = createDrachtioAdapter({ config: drachtio });
      const rt = await startRuntime(
        checkConfig({ http: { port: 0 }, adapter: 'drachtio', drachtio, app: { url: app.url('/voice') }, accountSid: ACCOUNT, authToken: TOKEN, state: { url: redis.url, keyPrefix: 'drachtio:', instanceId: id } }),
        { adapter, log: createLogger({ level: 'error', write: () => undefined }) },
      );
      cleanups.push(() => rt.close());
      const client = twilio(ACCOUNT, TOKEN);
      client.api.baseUrl = rt.url;
      instances.push({ id, rt, adapter, client });
    }
    // drachtio-server opens a connection to each instance in turn, one call on each.
    const conns: Conn[] = [];
    for (const [i, { adapter }] of instances.entries()) {
      const conn = await stand.connectTo(adapter.port!);
      conns.push(conn);
      const call = stand.call({ from: `+1415555010${i}`, to: '+14155550199' }, conn);
      expect(await call.response()).toBe(200);
    }
    await until('three calls at the app', async () => app.to('/voice').length === 3);
    const [one, two, three] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
    const listed = await until('three calls in progress, listed on instance three', async () => {
      const l = await three.client.calls.list({ status: 'in-progress' });
      return l.length === 3 ? l : undefined;
    });
    expect(listed.map((c) => c.from).sort()).toEqual(['+14155550100', '+14155550101', '+14155550102']);
    expect(listed.every((c) => c.direction === 'inbound')).toBe(true);
    const owners = await Promise.all(listed.map(async (c) => (await one.rt.calls.get(c.sid))!.instance));
    expect(owners.sort()).toEqual(['one', 'three', 'two']);

    // The call instance one runs, hung up through instance two: its BYE goes on instance one's connection.
    const onOne = listed.find((c) => c.from === '+14155550100')!;
    const callId = app.to('/voice').find((r) => r.params['CallSid'] === onOne.sid)!.params['SipCallId'];
    await two.client.calls(onOne.sid).update({ twiml: '<Response><Hangup/></Response>' });
    const bye = await stand.waitFor((m) => m.from === 'app' && m.method === 'BYE' && m.callId === callId, 5000, 'the BYE of <Hangup/>');
    expect(bye.conn).toBe(conns[0]);
    await until('the call completed, seen from instance three', async () => (await three.client.calls(onOne.sid).fetch()).status === 'completed');
    expect((await two.client.calls.list({ status: 'in-progress' })).map((c) => c.sid).sort()).toEqual(listed.filter((c) => c !== onOne).map((c) => c.sid).sort());
  });
});

describe.skipIf(!haveRedis)(`a queue across instances behind drachtio, signalling only${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it("an agent of another instance never takes the caller (no media path between them): it keeps its place, and its own instance says why it cannot bridge", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const app = await startApp({
      '/voice': (req) =>
        req.params['From'] === '+14155550101'
          ? xml('<Enqueue action="/enqueued">support</Enqueue>')
          : xml('<Dial action="/dialed" timeout="2"><Queue>support</Queue></Dial>'),
      '/enqueued': xml('<Hangup/>'),
      '/dialed': xml('<Hangup/>'),
    });
    cleanups.push(() => app.close());
    const stand = StandIn.create({ secret: 'cymru' });
    cleanups.push(() => stand.close());
    const instances = [];
    for (const id of ['one', 'two']) {
      const drachtio = { outbound: { host: '127.0.0.1', port: 0, secret: 'cymru' }, rtp: { address: '127.0.0.1' } };
      const adapter = createDrachtioAdapter({ config: drachtio });
      const rt = await startRuntime(
        checkConfig({ http: { port: 0 }, adapter: 'drachtio', drachtio, app: { url: app.url('/voice') }, accountSid: ACCOUNT, authToken: TOKEN, state: { url: redis.url, keyPrefix: 'drachtio-queue:', instanceId: id } }),
        { adapter, log: createLogger({ level: process.env['QLOG'] ? 'debug' : 'error', write: (l) => void (process.env['QLOG'] && console.error(l)) }) },
      );
      cleanups.push(() => rt.close());
      instances.push({ rt, conn: await stand.connectTo(adapter.port!) });
    }
    const [one, two] = instances as [(typeof instances)[0], (typeof instances)[0]];
    // (Signalling only, nothing here needs the media answered: the stand-in's callers may hear only 180.)
    stand.call({ from: '+14155550101', to: '+14155550199' }, one.conn);
    const callerSid = (await until('the caller in line', async () => (await two.rt.calls.queues.store.members('support'))[0]))!.callSid;
    // The agent on instance two waits its Dial timeout and finds no one it can bridge.
    stand.call({ from: '+14155550102', to: '+14155550199' }, two.conn);
    const dialed = await until('the agent gave up', async () => app.to('/dialed')[0]);
    expect(dialed.params).toMatchObject({ DialCallStatus: 'no-answer', DialBridged: 'false' });
    expect((await one.rt.calls.queues.store.members('support')).map((m) => m.callSid)).toEqual([callerSid]);
    // An agent on the caller's own instance takes it, but without a media server no bridge can be
    // made: the caller's Enqueue action hears system-error, and the agent's call ends saying why.
    stand.call({ from: '+14155550103', to: '+14155550199' }, one.conn);
    const enqueued = await until('the caller told', async () => app.to('/enqueued')[0]);
    expect(enqueued.params).toMatchObject({ CallSid: callerSid, QueueResult: 'system-error' });
    const agentSid = app.to('/voice').find((r) => r.params['From'] === '+14155550103')!.params['CallSid']!;
    const ended = await until('the agent call ended', async () => {
      const r = await one.rt.calls.get(agentSid);
      return r && r.status === 'completed' ? r : undefined;
    });
    expect(ended.instance).toBe('one');
    expect(await one.rt.calls.queues.store.members('support')).toEqual([]);
  });
});
