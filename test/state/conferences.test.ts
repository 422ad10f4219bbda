// Conference rooms in process and in Redis (a real redis-server): the same story told to both must
// end the same (Twilio's rules: made by the first, started by the second when one of them starts
// it, ended by an endConferenceOnExit participant or the last one, a completed room's name free for
// a new room, maxParticipants); two instances racing to join one name get one room; a start and an
// end are heard by every instance; a dead instance's participants are taken out by the reap.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { MemoryConferenceStore, type ConferenceStore, type Participant, type RoomEvent } from '../../src/state/conferences.js';
import { RedisCallStore } from '../../src/state/redis.js';
import { haveRedis, NO_REDIS, startRedis, type RedisServer } from './redis-server.js';

const ACCOUNT = 'AC' + '1'.repeat(32);
const sid = (n: number) => 'CA' + n.toString(16).padStart(32, '0');
let cn = 0;
const newSid = () => 'CF' + (++cn).toString(16).padStart(32, '0');
const part = (n: number, instance: string, o: Partial<Participant> = {}): Participant => ({
  callSid: sid(n),
  instance,
  muted: false,
  hold: false,
  startConferenceOnEnter: true,
  endConferenceOnExit: false,
  dateCreated: 1000 + n,
  dateUpdated: 1000 + n,
  ...o,
});
const join = (s: ConferenceStore, name: string, p: Participant, max = 250) => s.join({ accountSid: ACCOUNT, name, newSid: newSid(), participant: p, maxParticipants: max, now: p.dateCreated, callback: { url: 'http://127.0.0.1:1/cb', method: 'POST', events: [] } });

/** The same story told to two views of one store (two instances, or the same one twice). */
async function story(a: ConferenceStore, b: ConferenceStore, heard: RoomEvent[]) {
  // A waiter alone (startConferenceOnEnter=false), then a second who starts it.
  const first = await join(a, 'room', part(1, 'a', { startConferenceOnEnter: false }));
  expect(first).toMatchObject({ outcome: 'joined', started: false, room: { status: 'init', friendlyName: 'room', accountSid: ACCOUNT } });
  const roomSid = first.room.sid;
  // Its statusCallback is the one of the participant that made the room (an empty list of events stays a list).
  expect(first.room.callback).toEqual({ url: 'http://127.0.0.1:1/cb', method: 'POST', events: [] });
  // Two waiters do not start it either.
  expect(await join(b, 'room', part(2, 'b', { startConferenceOnEnter: false }))).toMatchObject({ outcome: 'joined', started: false, room: { sid: roomSid, status: 'init' } });
  const third = await join(b, 'room', part(3, 'b', { endConferenceOnExit: true }), 3);
  expect(third).toMatchObject({ outcome: 'joined', started: true, room: { sid: roomSid, status: 'in-progress' } });
  expect(await join(a, 'room', part(4, 'a'), 3)).toMatchObject({ outcome: 'full', room: { sid: roomSid } });
  await expect.poll(() => heard).toEqual([{ sid: roomSid, type: 'start' }]);
  expect((await a.participants(roomSid)).map((p) => [p.callSid, p.instance])).toEqual([
    [sid(1), 'a'],
    [sid(2), 'b'],
    [sid(3), 'b'],
  ]);
  // Muted and hold, seen from the other instance.
  expect(await a.update(roomSid, sid(2), { muted: true }, 5000)).toMatchObject({ muted: true, hold: false, dateUpdated: 5000 });
  expect(await a.update(roomSid, sid(2), { hold: true }, 5001)).toMatchObject({ muted: true, hold: true });
  expect((await b.participants(roomSid)).find((p) => p.callSid === sid(2))).toMatchObject({ muted: true, hold: true });
  expect(await a.update(roomSid, sid(9), { muted: true }, 5000)).toBeUndefined();
  // A plain participant leaving leaves the room going; the endConferenceOnExit one ends it for all.
  expect(await a.leave(roomSid, sid(1), 6000)).toMatchObject({ ended: false, participant: { callSid: sid(1) }, room: { status: 'in-progress' } });
  expect(await a.leave(roomSid, sid(1), 6000)).toBeUndefined();
  const ended = await b.leave(roomSid, sid(3), 7000);
  expect(ended).toMatchObject({ ended: true, room: { status: 'completed', reasonEnded: 'participant-with-end-conference-on-exit-left', callSidEndingConference: sid(3), dateUpdated: 7000 } });
  await expect.poll(() => heard).toEqual([
    { sid: roomSid, type: 'start' },
    { sid: roomSid, type: 'end' },
  ]);
  // Everyone is out of a completed room; the one left behind finds nothing to leave.
  expect(await a.participants(roomSid)).toEqual([]);
  expect(await a.leave(roomSid, sid(2), 7500)).toBeUndefined();
  // The name makes a new room now; the completed one is kept.
  const again = await join(a, 'room', part(5, 'a', { dateCreated: 8000 }));
  expect(again.room.sid).not.toBe(roomSid);
  expect(await b.get(roomSid)).toMatchObject({ status: 'completed' });
  // The last one leaving a room ends it; ending one through the API ends it once.
  expect(await b.leave(again.room.sid, sid(5), 9000)).toMatchObject({ ended: true, room: { reasonEnded: 'last-participant-left' } });
  const third_ = await join(b, 'other', part(6, 'b', { dateCreated: 10_000 }));
  await join(a, 'other', part(7, 'a', { dateCreated: 10_001 }));
  expect(await a.end(third_.room.sid, 11_000)).toMatchObject({ status: 'completed', reasonEnded: 'conference-ended-via-api' });
  expect(await a.end(third_.room.sid, 12_000)).toMatchObject({ status: 'completed', dateUpdated: 11_000 });
  expect(await a.end('CF' + 'f'.repeat(32), 12_000)).toBeUndefined();
  // A kicked participant with endConferenceOnExit ends it as Twilio says.
  const k = await join(a, 'kick', part(8, 'a', { endConferenceOnExit: true, dateCreated: 13_000 }));
  expect(await a.leave(k.room.sid, sid(8), 14_000, true)).toMatchObject({ ended: true, room: { reasonEnded: 'participant-with-end-conference-on-exit-kicked' } });
  // Newest first, with Twilio's filters.
  expect((await b.list()).map((r) => r.friendlyName)).toEqual(['kick', 'other', 'room', 'room']);
  expect((await b.list({ friendlyName: 'room', status: 'completed' })).map((r) => r.sid)).toEqual([again.room.sid, roomSid]);
  expect((await b.list({ createdAfter: 9000, createdBefore: 11_000 })).map((r) => r.friendlyName)).toEqual(['other']);
  expect(await b.list({ status: 'in-progress' })).toEqual([]);
  // Status callbacks are numbered from 0 per room.
  expect([await a.sequence(roomSid), await b.sequence(roomSid), await a.sequence(again.room.sid)]).toEqual([0, 1, 0]);
}

describe('in-process conference store', () => {
  it("follows Twilio's rules for a room's start, end, size and name", async () => {
    // The story's clock (its dates are small numbers of ms).
    const s = new MemoryConferenceStore(undefined, () => 20_000);
    const heard: RoomEvent[] = [];
    s.onEvent((e) => heard.push(e));
    await story(s, s, heard);
  });

  it('keeps completed rooms as calls are kept: at most keepEnded, none older than keepEndedSeconds', async () => {
    let now = 0;
    const s = new MemoryConferenceStore({ keepEnded: 2, keepEndedSeconds: 60 }, () => now);
    for (let n = 1; n <= 3; n++) {
      const j = await join(s, `r${n}`, part(n, 'a', { dateCreated: n }));
      await s.leave(j.room.sid, sid(n), n);
    }
    expect((await s.list()).map((r) => r.friendlyName)).toEqual(['r3', 'r2']);
    now = 61_000;
    expect(await s.list()).toEqual([]);
  });
});

let redis: RedisServer;
let prefix = 0;
const stores: RedisCallStore[] = [];

async function store(id: string, ttl = 15) {
  const s = new RedisCallStore(
    { url: redis.url, keyPrefix: `cf${prefix}:`, instanceId: id, instanceTtlSeconds: ttl, commandTimeoutMs: 2000, writeTimeoutMs: 500, keepEnded: 100, keepEndedSeconds: 3600 },
    createLogger({ level: 'error' }),
  );
  stores.push(s);
  await s.start(async (sid) => s.owned(sid)!);
  return s;
}

describe.skipIf(!haveRedis)(`conference store in Redis${haveRedis ? '' : ` (${NO_REDIS})`}`, () => {
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.close());
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('tells two instances the same rooms, as in-process does; both hear each start and end', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    const heard: RoomEvent[] = [];
    const heardOnA: RoomEvent[] = [];
    b.conferences.onEvent((e) => heard.push(e));
    a.conferences.onEvent((e) => heardOnA.push(e));
    await story(a.conferences, b.conferences, heard);
    await expect.poll(() => heardOnA.length).toBe(heard.length);
  });

  it('gives two instances joining one name at once one room, and no more participants than maxParticipants', async () => {
    prefix++;
    const a = await store('a');
    const b = await store('b');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => join(i % 2 ? a.conferences : b.conferences, 'race', part(i + 1, i % 2 ? 'a' : 'b'), 25)));
    const sids = new Set(results.map((r) => r.room.sid));
    expect(sids.size).toBe(1);
    expect(results.filter((r) => r.outcome === 'joined')).toHaveLength(25);
    expect(results.filter((r) => r.outcome === 'joined' && r.started)).toHaveLength(1);
    expect(await a.conferences.participants([...sids][0]!)).toHaveLength(25);
  });

  it("takes a dead instance's participants out of their rooms; a room it leaves empty, or its endConferenceOnExit participant, ends (the living hear it)", async () => {
    prefix++;
    const p = `cf${prefix}:`;
    const survivor = await store('survivor', 1);
    const doomed = await store('doomed', 1);
    const heard: RoomEvent[] = [];
    survivor.conferences.onEvent((e) => heard.push(e));
    const shared = await join(survivor.conferences, 'shared', part(1, 'survivor'));
    await join(doomed.conferences, 'shared', part(2, 'doomed'));
    const alone = await join(doomed.conferences, 'alone', part(3, 'doomed'));
    const moderated = await join(survivor.conferences, 'moderated', part(4, 'survivor'));
    await join(doomed.conferences, 'moderated', part(5, 'doomed', { endConferenceOnExit: true }));
    const raw = new Redis(redis.url);
    stores.splice(stores.indexOf(doomed), 1);
    await doomed.close().catch(() => undefined);
    await raw.set(`${p}instance:doomed`, '1', 'PX', 100);
    await raw.sadd(`${p}instances`, 'doomed');
    await expect.poll(async () => (await survivor.conferences.participants(shared.room.sid)).map((x) => x.callSid), { timeout: 10_000 }).toEqual([sid(1)]);
    expect(await survivor.conferences.get(shared.room.sid)).toMatchObject({ status: 'in-progress' });
    expect(await survivor.conferences.get(alone.room.sid)).toMatchObject({ status: 'completed', reasonEnded: 'last-participant-left' });
    expect(await survivor.conferences.get(moderated.room.sid)).toMatchObject({ status: 'completed', reasonEnded: 'participant-with-end-conference-on-exit-left' });
    await expect.poll(() => heard.filter((e) => e.type === 'end').map((e) => e.sid).sort()).toEqual([alone.room.sid, moderated.room.sid].sort());
    expect(await raw.exists(`${p}instance:doomed:conf`)).toBe(0);
    await raw.quit();
  });
});
