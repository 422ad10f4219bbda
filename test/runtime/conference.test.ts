// Conference rooms across calls of one runtime (mock backend, in-process store): a room starts when
// a second participant joins and one of them has startConferenceOnEnter; a participant with
// endConferenceOnExit leaving ends every other one's <Dial>, whose documents go on to their
// actions; maxParticipants turns the extra joiner away; the API's mute and kick reach the call; the
// room's statusCallback hears Twilio's events with their parameters.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { runCall, type CallSummary } from '../../src/runtime/session.js';
import { Conferences } from '../../src/runtime/conferences.js';
import { MemoryConferenceStore, type ConferenceStore } from '../../src/state/conferences.js';
import { unavailable } from '../../src/state/errors.js';
import { sequentialIds } from '../../src/ids.js';
import { createMockAdapter, type MockCallScript, type TranscriptEvent } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport } from '../../src/webhook/handler.js';

type Seen = { path: string; params: Record<string, string> };

/** Calls sharing one backend, one clock and one set of rooms, against an in-process app; `at` hooks run at those seconds. */
async function calls(documents: Record<string, string>, scripts: { path: string; at: number; script: MockCallScript }[], hooks: { at: number; run: (c: Conferences) => Promise<void> }[] = [], store?: ConferenceStore) {
  const clock = new VirtualClock();
  const adapter = createMockAdapter({ clock });
  const ids = sequentialIds();
  const conferences = new Conferences({ newSid: ids, ...(store ? { store } : {}) });
  const seen: Seen[] = [];
  const webhooks = createWebhookClient({
    transport: handlerTransport(({ url, params }) => {
      const path = new URL(url).pathname;
      seen.push({ path, params });
      const body = documents[path];
      return body === undefined ? { status: 404, body: 'no such document' } : { contentType: 'text/xml', body };
    }),
  });
  const failures: unknown[] = [];
  for (const h of hooks) clock.timer(h.at * 1000, () => void h.run(conferences).catch((e: unknown) => failures.push(e)));
  const results = await Promise.all(
    scripts.map(
      (s) =>
        new Promise<{ summary: CallSummary; events: TranscriptEvent[] }>((resolve) => {
          clock.timer(s.at * 1000, () => {
            const call = adapter.placeCall(s.script);
            void runCall(call, { app: { url: `http://app.test${s.path}` }, webhooks, clock, ids, conferences, onEvent: ({ t: _t, ...e }) => void call.leg.log(e) }).then(async (summary) => {
              await call.leg.ended;
              resolve({ summary, events: [...call.leg.transcript] });
            });
          });
        }),
    ),
  );
  await webhooks.close();
  expect(failures).toEqual([]);
  expect(clock.pendingTimers).toBe(0);
  return { results, seen, conferences };
}

const xml = (body: string) => `<Response>${body}</Response>`;
const ended = (events: TranscriptEvent[]) => events.find((e) => e.type === 'conference-end') as (TranscriptEvent & { endedBy: string; duration: number }) | undefined;

describe('conference rooms', () => {
  it('a moderator with endConferenceOnExit leaving ends the room: the other Dial ends and goes on to its action; the statusCallback hears it all', async () => {
    const cb = 'statusCallback="/events" statusCallbackEvent="start end join leave"';
    const { results, seen, conferences } = await calls(
      {
        '/moderator': xml(`<Dial action="/after"><Conference endConferenceOnExit="true" ${cb}>team</Conference></Dial>`),
        '/member': xml('<Dial action="/after"><Conference startConferenceOnEnter="false">team</Conference></Dial><Say>not reached</Say>'),
        '/after': xml('<Hangup/>'),
      },
      [
        // The member waits alone from 0 s; the moderator comes at 5 s and hangs up at 35 s.
        { path: '/member', at: 0, script: { from: '+14155550101', conferenceDuration: 600 } },
        { path: '/moderator', at: 5, script: { from: '+14155550102', hangupAfter: 30, conferenceDuration: 600 } },
      ],
    );
    const [member, moderator] = results;
    // The member's room ended when the moderator left (30 s in, not its 600 s), and its document went on.
    expect(ended(member!.events)).toMatchObject({ endedBy: 'conference', duration: 35 });
    const after = seen.filter((s) => s.path === '/after');
    expect(after.map((s) => s.params['CallSid'])).toEqual([member!.summary.callSid, moderator!.summary.callSid]);
    expect(after[0]!.params).toMatchObject({ DialCallStatus: 'answered', DialBridged: 'true' });
    expect(ended(moderator!.events)).toMatchObject({ endedBy: 'hangup' });
    // The room's callback is the one of the participant whose join made it: the member's, which has none.
    const events = seen.filter((s) => s.path === '/events');
    expect(events).toEqual([]);
    const [room] = await conferences.store.list();
    expect(room).toMatchObject({ friendlyName: 'team', status: 'completed', reasonEnded: 'participant-with-end-conference-on-exit-left', callSidEndingConference: moderator!.summary.callSid });
  });

  it("sends the room's events (the first participant's statusCallback) with Twilio's parameters, numbered", async () => {
    const cb = 'statusCallback="/events" statusCallbackEvent="start end join leave"';
    const { results, seen, conferences } = await calls(
      {
        '/first': xml(`<Dial action="/after"><Conference startConferenceOnEnter="false" participantLabel="customer" ${cb}>sales</Conference></Dial>`),
        '/second': xml('<Dial action="/after"><Conference endConferenceOnExit="true">sales</Conference></Dial>'),
        '/after': xml('<Hangup/>'),
      },
      [
        { path: '/first', at: 0, script: { from: '+14155550101', conferenceDuration: 600 } },
        { path: '/second', at: 5, script: { from: '+14155550102', hangupAfter: 20, conferenceDuration: 600 } },
      ],
    );
    const [first, second] = results;
    const [room] = await conferences.store.list();
    const events = seen.filter((s) => s.path === '/events').map((s) => s.params);
    // In SequenceNumber order (the leave of one put out by the end may come before or after the end).
    events.sort((a, b) => Number(a['SequenceNumber']) - Number(b['SequenceNumber']));
    const named = events.map((e) => `${e['StatusCallbackEvent']} ${e['CallSid'] ?? '-'}`);
    expect(named.slice(0, 3)).toEqual([`participant-join ${first!.summary.callSid}`, `participant-join ${second!.summary.callSid}`, 'conference-start -']);
    expect(named.slice(3).sort()).toEqual(['conference-end -', `participant-leave ${first!.summary.callSid}`, `participant-leave ${second!.summary.callSid}`]);
    expect(events.map((e) => e['SequenceNumber'])).toEqual(['0', '1', '2', '3', '4', '5']);
    for (const e of events) expect(e).toMatchObject({ ConferenceSid: room!.sid, FriendlyName: 'sales', AccountSid: expect.stringMatching(/^AC/), Timestamp: expect.stringMatching(/ \+0000$/) });
    expect(events[0]).toMatchObject({ ParticipantLabel: 'customer', Muted: 'false', Hold: 'false', Coaching: 'false', StartConferenceOnEnter: 'false', EndConferenceOnExit: 'false' });
    expect(events[1]).toMatchObject({ StartConferenceOnEnter: 'true', EndConferenceOnExit: 'true' });
    expect(events.find((e) => e['StatusCallbackEvent'] === 'conference-end')).toMatchObject({ ReasonConferenceEnded: 'participant-with-end-conference-on-exit-left', CallSidEndingConference: second!.summary.callSid });
    expect(room!.sid).toMatch(/^CF/);
  });

  it('maxParticipants turns the extra joiner away: its Dial is over at once (failed), the room goes on', async () => {
    const { results, seen } = await calls(
      {
        '/in': xml('<Dial action="/after"><Conference maxParticipants="2">small</Conference></Dial>'),
        '/after': xml('<Hangup/>'),
      },
      [
        { path: '/in', at: 0, script: { from: '+14155550101', conferenceDuration: 30 } },
        { path: '/in', at: 1, script: { from: '+14155550102', conferenceDuration: 30 } },
        { path: '/in', at: 2, script: { from: '+14155550103', conferenceDuration: 30 } },
      ],
    );
    const third = results[2]!;
    expect(ended(third.events)).toBeUndefined();
    expect(third.events.some((e) => e.type === 'warning' && /full \(maxParticipants 2\)/.test(String(e['message'])))).toBe(true);
    expect(seen.find((s) => s.path === '/after' && s.params['CallSid'] === third.summary.callSid)!.params).toMatchObject({ DialCallStatus: 'failed', DialBridged: 'false' });
    expect(ended(results[0]!.events)).toMatchObject({ endedBy: 'conference', duration: 30 });
  });

  it('the API mutes a participant (recorded: the mock has no media) and removes another, whose document goes on', async () => {
    const cb = 'statusCallback="/events" statusCallbackEvent="mute leave"';
    let roomSid = '';
    const { results, seen } = await calls(
      {
        '/in': xml(`<Dial action="/after"><Conference ${cb}>ops</Conference></Dial>`),
        '/after': xml('<Say>You left the room.</Say><Hangup/>'),
      },
      [
        { path: '/in', at: 0, script: { from: '+14155550101', conferenceDuration: 60 } },
        { path: '/in', at: 1, script: { from: '+14155550102', conferenceDuration: 60 } },
      ],
      [
        {
          at: 10,
          run: async (c) => {
            const [room] = await c.store.list();
            roomSid = room!.sid;
            const [first, second] = await c.store.participants(roomSid);
            await c.command(roomSid, first!, { op: 'update', conference: roomSid, muted: true });
            await c.command(roomSid, second!, { op: 'kick', conference: roomSid });
          },
        },
      ],
    );
    const [first, second] = results;
    expect(first!.events.find((e) => e.type === 'conference-participant')).toMatchObject({ muted: true, hold: false });
    expect(ended(second!.events)).toMatchObject({ endedBy: 'kicked', duration: 9 });
    expect(second!.events.some((e) => e.type === 'say' && e['text'] === 'You left the room.')).toBe(true);
    // The first stays until its 60 s, alone in the room.
    expect(ended(first!.events)).toMatchObject({ endedBy: 'conference', duration: 60 });
    const events = seen.filter((s) => s.path === '/events').map((s) => [s.params['StatusCallbackEvent'], s.params['CallSid'], s.params['Muted']]);
    expect(events).toEqual([
      ['participant-mute', first!.summary.callSid, 'true'],
      ['participant-leave', second!.summary.callSid, 'false'],
      ['participant-leave', first!.summary.callSid, 'true'],
    ]);
    expect(roomSid).toMatch(/^CF/);
  });

  it('a room that cannot be reached (the shared state is down): the Dial goes on at once to its action, failed, saying why', async () => {
    const store = new MemoryConferenceStore();
    store.join = () => Promise.reject(unavailable('the shared call state (Redis at redis://127.0.0.1:1) cannot be reached; try again'));
    const { results, seen } = await calls({ '/in': xml('<Dial action="/after"><Conference>down</Conference></Dial>'), '/after': xml('<Hangup/>') }, [{ path: '/in', at: 0, script: { from: '+14155550101' } }], [], store);
    const [call] = results;
    expect(ended(call!.events)).toBeUndefined();
    expect(call!.events.some((e) => e.type === 'warning' && /could not be joined: the shared state cannot be reached/.test(String(e['message'])))).toBe(true);
    expect(seen.find((s) => s.path === '/after')!.params).toMatchObject({ DialCallStatus: 'failed', DialBridged: 'false' });
  });

  it('a waiter hears the waitUrl document (its Redirect fetches the next) until the room starts, then it is in the room', async () => {
    const { results, seen } = await calls(
      {
        '/waiter': xml('<Dial action="/after"><Conference startConferenceOnEnter="false" waitUrl="/hold" waitMethod="GET">music</Conference></Dial>'),
        '/hold': xml('<Say>Please wait for the host.</Say><Redirect method="POST">/hold-2</Redirect>'),
        '/hold-2': xml('<Play>http://media.test/music.mp3</Play><Pause length="100"/><Say>never heard</Say>'),
        '/host': xml('<Dial action="/after"><Conference endConferenceOnExit="true">music</Conference></Dial>'),
        '/after': xml('<Hangup/>'),
      },
      [
        { path: '/waiter', at: 0, script: { from: '+14155550101', conferenceDuration: 600 } },
        { path: '/host', at: 20, script: { from: '+14155550102', hangupAfter: 10, conferenceDuration: 600 } },
      ],
    );
    const [waiter] = results;
    expect(seen.filter((s) => s.path.startsWith('/hold')).map((s) => s.path)).toEqual(['/hold', '/hold-2']);
    const types = waiter!.events.map((e) => e.type);
    // The wait document played, its pause cut short by the start at 20 s; then the room.
    expect(types.indexOf('say')).toBeLessThan(types.indexOf('play'));
    expect(types.indexOf('play')).toBeLessThan(types.indexOf('conference'));
    expect(waiter!.events.some((e) => e.type === 'say' && e['text'] === 'never heard')).toBe(false);
    const joinedAt = waiter!.events.find((e) => e.type === 'conference') as TranscriptEvent & { t: number };
    expect(joinedAt.t).toBe(20_000);
    // In the room from the start to the host's hang-up 10 s later.
    expect(ended(waiter!.events)).toMatchObject({ endedBy: 'conference', duration: 10 });
  });
});
