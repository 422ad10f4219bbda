// Conferences across didml instances over one real redis-server (issue 14), the mock backend, calls
// placed through the Calls API with the real twilio client: participants run by three instances
// meet in one room, which waits until a participant with startConferenceOnEnter comes and ends
// for everyone when its endConferenceOnExit participant hangs up (each other <Dial> goes on to its
// action); the Conferences and Participants resources answer from any instance, and a mute, a
// removal or an end asked of one instance reaches the instances that run the calls; a SIGKILLed
// instance's participants are taken out of their rooms by the reap.
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime } from '../../src/server/runtime.js';
import { startApp, xml, type AppRequest, type TestApp } from '../runtime/support.js';
import { haveRedis, NO_REDIS, startRedis, type RedisServer } from '../state/redis-server.js';
import { serveChild, until } from './cluster-support.js';

const ACCOUNT = 'AC' + '7abc1234'.repeat(4);
const TOKEN = 'cluster-conference-token';
const MEMBER = '+14155550101';
const MEMBER_2 = '+14155550102';
const MODERATOR = '+14155550109';
const MODERATOR_LONG = '+14155550108';

let redis: RedisServer;
let app: TestApp;
let n = 0;
const cleanups: (() => Promise<void>)[] = [];

const events = 'statusCallback="/events" statusCallbackEvent="start end join leave mute hold"';
beforeAll(async () => {
  if (!haveRedis) return;
  redis = await startRedis();
  app = await startApp({
    '/waiting': xml(`<Dial action="/after"><Conference startConferenceOnEnter="false" ${events}>team</Conference></Dial>`),
    '/waiting-too': xml('<Dial action="/after"><Conference startConferenceOnEnter="false" participantLabel="second">team</Conference></Dial>'),
    '/moderator': xml('<Dial action="/after"><Conference endConferenceOnExit="true">team</Conference></Dial>'),
    '/ops': xml(`<Dial action="/after"><Conference ${events}>ops</Conference></Dial>`),
    '/after': xml('<Say>The conference is over.</Say><Hangup/>'),
  });
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function config(id: string, prefix: string, ttl = 15) {
  return {
    http: { port: 0 },
    app: { url: app.url('/waiting') },
    accountSid: ACCOUNT,
    authToken: TOKEN,
    // The members stay a minute (and a mock room keeps them 60 s); the moderator talks 4 s.
    mock: { callees: { [MODERATOR]: { ring: 0.05, talk: 4 }, [MODERATOR_LONG]: { ring: 0.05, talk: 120 }, '*': { ring: 0.05, talk: 120 } } },
    state: { url: redis.url, keyPrefix: prefix, instanceId: id, instanceTtlSeconds: ttl, writeTimeoutMs: 500 },
  };
}

async function instance(id: string, prefix: string, ttl?: number) {
  const rt = await startRuntime(checkConfig(config(id, prefix, ttl)), { log: createLogger({ level: (process.env['CLOG'] as 'debug') ?? 'error' }) });
  cleanups.push(() => rt.close());
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  return { rt, client };
}


const of = (path: string, sid: string): AppRequest[] => app.to(path).filter((r) => r.params['CallSid'] === sid);
const place = (client: ReturnType<typeof twilio>, to: string, path: string) => client.calls.create({ to, from: '+14155550100', url: app.url(path) });
const roomEvents = (conferenceSid: string) => app.to('/events').filter((r) => r.params['ConferenceSid'] === conferenceSid).map((r) => r.params);

describe.skipIf(!haveRedis)(`conferences across didml instances over Redis${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  it('participants on three instances meet in one room: it waits for the moderator, starts with it, and ends for all when it hangs up', async () => {
    const prefix = `cc${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const c = await instance('c', prefix);
    const first = await place(a.client, MEMBER, '/waiting');
    const second = await place(b.client, MEMBER_2, '/waiting-too');
    // Two in the room, neither starts it: it waits (init), whichever instance is asked.
    const room = await until('two waiting in the room', async () => {
      const [r] = await c.client.conferences.list({ friendlyName: 'team' });
      return r && (await c.client.conferences(r.sid).participants.list()).length === 2 && r;
    });
    expect(room).toMatchObject({ status: 'init', friendlyName: 'team', accountSid: ACCOUNT });
    expect(room.sid).toMatch(/^CF[0-9a-f]{32}$/);
    const waiting = await a.client.conferences(room.sid).participants.list();
    expect(waiting.map((p) => [p.callSid, p.startConferenceOnEnter, p.label])).toEqual([
      [first.sid, false, null],
      [second.sid, false, 'second'],
    ]);
    // Each participant is its own instance's.
    expect((await c.rt.calls.conferences.store.participants(room.sid)).map((p) => p.instance)).toEqual(['a', 'b']);

    // A participant on B muted through C's API: B applies it, everyone sees it, the room's callback hears it.
    const muted = await c.client.conferences(room.sid).participants(second.sid).update({ muted: true });
    expect(muted).toMatchObject({ callSid: second.sid, muted: true, hold: false, conferenceSid: room.sid });
    expect((await a.client.conferences(room.sid).participants('second').fetch()).muted).toBe(true);
    // The moderator comes through C and starts the room for all.
    const moderator = await place(c.client, MODERATOR, '/moderator');
    await until('the room in progress, seen on A', async () => (await a.client.conferences(room.sid).fetch()).status === 'in-progress');
    expect(await b.client.conferences.list({ status: 'in-progress' })).toHaveLength(1);

    // It hangs up after 4 s: the room ends, and both members' Dials go on to their actions on their own instances.
    const ended = await until('the room completed', async () => {
      const r = await b.client.conferences(room.sid).fetch();
      return r.status === 'completed' && r;
    });
    expect(ended).toMatchObject({ reasonConferenceEnded: 'participant-with-end-conference-on-exit-left', callSidEndingConference: moderator.sid });
    const afterFirst = await until('the first member\'s Dial action (A)', () => of('/after', first.sid)[0]);
    const afterSecond = await until('the second member\'s Dial action (B)', () => of('/after', second.sid)[0]);
    for (const r of [afterFirst, afterSecond]) expect(r.params).toMatchObject({ DialCallStatus: 'answered', DialBridged: 'true' });
    expect(await a.client.conferences(room.sid).participants.list()).toEqual([]);
    // The room's events, from the instance where each happened, numbered in one sequence.
    const heard = await until('the leave of both members', () => {
      const e = roomEvents(room.sid);
      return e.filter((x) => x['StatusCallbackEvent'] === 'participant-leave').length === 3 && e;
    });
    const names = heard.map((e) => `${e['StatusCallbackEvent']}${e['CallSid'] ? ` ${e['CallSid']}` : ''}`);
    expect(names.sort()).toEqual(
      [
        `participant-join ${first.sid}`,
        `participant-join ${second.sid}`,
        `participant-mute ${second.sid}`,
        `participant-join ${moderator.sid}`,
        'conference-start',
        `participant-leave ${moderator.sid}`,
        'conference-end',
        `participant-leave ${first.sid}`,
        `participant-leave ${second.sid}`,
      ].sort(),
    );
    expect(heard.map((e) => Number(e['SequenceNumber'])).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(heard.find((e) => e['StatusCallbackEvent'] === 'participant-mute')).toMatchObject({ Muted: 'true', CallSid: second.sid, ParticipantLabel: 'second', FriendlyName: 'team', AccountSid: ACCOUNT });
  });

  it('removing a participant and ending the room through another instance; lists and filters from any instance; Twilio errors', async () => {
    const prefix = `cc${++n}:`;
    const a = await instance('a', prefix);
    const b = await instance('b', prefix);
    const c = await instance('c', prefix);
    const first = await place(a.client, MEMBER, '/ops');
    const second = await place(b.client, MEMBER_2, '/ops');
    const room = await until('the room in progress', async () => {
      const [r] = await c.client.conferences.list({ friendlyName: 'ops', status: 'in-progress' });
      return r;
    });
    // Hold (recorded: the mock carries no media), asked of C for A's call.
    expect(await c.client.conferences(room.sid).participants(first.sid).update({ hold: true })).toMatchObject({ hold: true, muted: false });
    expect((await b.client.conferences(room.sid).participants.list({ hold: true })).map((p) => p.callSid)).toEqual([first.sid]);
    expect(await b.client.conferences(room.sid).participants.list({ muted: true })).toEqual([]);
    // C removes B's participant: its Dial ends there and its document goes on; the room goes on with the other.
    await c.client.conferences(room.sid).participants(second.sid).remove();
    expect((await until('the removed member\'s Dial action', () => of('/after', second.sid)[0])).params).toMatchObject({ DialCallStatus: 'answered' });
    expect((await a.client.conferences(room.sid).participants.list()).map((p) => p.callSid)).toEqual([first.sid]);
    expect((await a.client.conferences(room.sid).fetch()).status).toBe('in-progress');
    // B ends the room: A's participant is out, its Dial goes on.
    const done = await b.client.conferences(room.sid).update({ status: 'completed' });
    expect(done).toMatchObject({ status: 'completed', reasonConferenceEnded: 'conference-ended-via-api' });
    await until('the other member\'s Dial action', () => of('/after', first.sid)[0]);
    expect((await c.client.conferences.list({ status: 'completed' })).map((r) => r.sid)).toEqual([room.sid]);
    expect(await c.client.conferences.list({ dateCreatedBefore: new Date('2000-01-02') })).toEqual([]);
    expect((await c.client.conferences.list({ dateCreated: new Date() })).map((r) => r.sid)).toEqual([room.sid]);
    const hold = roomEvents(room.sid).find((e) => e['StatusCallbackEvent'] === 'participant-hold');
    expect(hold).toMatchObject({ CallSid: first.sid, Hold: 'true' });
    await until('the end event', () => roomEvents(room.sid).some((e) => e['StatusCallbackEvent'] === 'conference-end' && e['ReasonConferenceEnded'] === 'conference-ended-via-api'));
    // Twilio's errors, as the client raises them.
    await expect(a.client.conferences('CF' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(a.client.conferences(room.sid).participants(first.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(a.client.conferences(room.sid).update({ announceUrl: 'http://127.0.0.1:1/a' })).rejects.toMatchObject({ status: 400, code: 20001 });
    await expect(a.client.conferences(room.sid).participants.create({ from: '+14155550100', to: MEMBER })).rejects.toMatchObject({ status: 405, code: 20004 });
  });

  it("an instance killed with SIGKILL: the reap takes its moderator out of the room, which ends, and the survivor's member goes on", async () => {
    const prefix = `cc${++n}:`;
    const survivor = await instance('survivor', prefix, 2);
    const { child, url } = await serveChild('doomed', config('doomed', prefix, 2), cleanups);
    const doomed = twilio(ACCOUNT, TOKEN);
    doomed.api.baseUrl = url;
    const member = await place(survivor.client, MEMBER, '/waiting');
    const moderator = await place(doomed, MODERATOR_LONG, '/moderator');
    const room = await until('the room in progress', async () => (await survivor.client.conferences.list({ friendlyName: 'team', status: 'in-progress' }))[0]);
    expect((await survivor.rt.calls.conferences.store.participants(room.sid)).map((p) => [p.callSid, p.instance])).toEqual([
      [member.sid, 'survivor'],
      [moderator.sid, 'doomed'],
    ]);
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGKILL');
    await exited;
    // Within its TTL the survivor reaps it: the moderator is out, the room ends, the member's Dial goes on.
    const after = await until("the member's Dial action", () => of('/after', member.sid)[0]);
    expect(after.params).toMatchObject({ DialCallStatus: 'answered' });
    expect(await survivor.client.conferences(room.sid).fetch()).toMatchObject({ status: 'completed', reasonConferenceEnded: 'participant-with-end-conference-on-exit-left', callSidEndingConference: moderator.sid });
  });
});
