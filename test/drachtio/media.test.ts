// Media verbs on the drachtio backend with a media server: the call leg's side of them (answering
// with the endpoint's SDP, prompts, barge-in, keys, recordings, bridging a callee) against a
// scripted MediaServerLink, with real SIP through the stand-in drachtio-server.
import { afterEach, describe, expect, it } from 'vitest';
import { twilioStreamProblems, wsAgent, type StreamMessage, type WsAgent } from './ws-agent.js';
import { g711 } from '../../src/media/g711.js';
import { answersThenHangsUp, startHarness, type Harness } from './harness.js';
import { FakeMedia, forkSample } from './fake-media.js';
import { Conferences } from '../../src/runtime/conferences.js';
import type { AppRequest } from './stand-in/server.js';
import { header, sdp } from './stand-in/sip.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const mediaConfig = {
  mediaServer: { address: '127.0.0.1', port: 8021, secret: 'ClueCon', listenPort: 0, profile: 'drachtio_mrf', streamAddress: '127.0.0.1' },
  recordings: { dir: '/var/lib/didml/recordings', baseUrl: 'https://media.example/recordings' },
};

async function withMedia(routes: Record<string, string>, media = new FakeMedia(), config: object = {}, conferences?: Conferences): Promise<{ h: Harness; media: FakeMedia }> {
  const x = await startHarness({ routes, config: { ...mediaConfig, ...config }, media: () => Promise.resolve(media), ...(conferences ? { conferences } : {}) });
  // The link connects after drachtio does.
  for (let i = 0; i < 100 && !x.logs.some((l) => l.msg === 'media server connected'); i++) await new Promise((r) => setTimeout(r, 5));
  return { h: x, media };
}

describe('with a media server', () => {
  it('answers with the endpoint SDP, speaks, stops the prompt at the first key (barge-in) and posts the digits', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => {
      if (op.startsWith('speak "For sales press 1')) setTimeout(() => ep.press('1'), 5);
    };
    ({ h } = await withMedia(
      {
        '/voice': '<Response><Gather numDigits="1" action="/menu"><Say voice="alice">For sales press 1</Say><Play>https://media.example/hold.wav</Play></Gather></Response>',
        '/menu': '<Response><Say>Goodbye</Say><Hangup/></Response>',
      },
      media,
    ));
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.finished();
    const ok = h.stand.log.find((r) => r.from === 'app' && r.status === 200 && r.callId === caller.callId)!;
    expect(ok.message.body).toBe(media.endpoints[0]!.localSdp);
    expect(media.endpoints[0]!.remoteSdp).toBe(caller.invite.body);
    expect(h.to('/menu')[0]!.params).toMatchObject({ Digits: '1', CallStatus: 'in-progress' });
    // The Play after the interrupted Say never started.
    expect(media.ops).toEqual(['ep0 answer', 'ep0 speak "For sales press 1" alice en-US', 'ep0 stop', 'ep0 speak "Goodbye" man en-US', 'ep0 destroy']);
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === caller.callId);
  });

  it('records until the finishing key and posts where the recording is served', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => {
      if (op.startsWith('record')) setTimeout(() => ep.press('*'), 5);
    };
    ({ h } = await withMedia({ '/voice': '<Response><Record action="/recorded" finishOnKey="*" maxLength="60" timeout="3"/></Response>', '/recorded': '<Response/>' }, media));
    h.stand.call();
    await h.finished();
    const p = h.to('/recorded')[0]!.params;
    expect(p['RecordingUrl']).toMatch(/^https:\/\/media\.example\/recordings\/RE[0-9a-f]{32}\.wav$/);
    expect(p).toMatchObject({ Digits: '*', RecordingDuration: '4' });
    const rec = media.ops.find((o) => o.includes('record'))!;
    expect(rec).toBe(`ep0 record /var/lib/didml/recordings/${p['RecordingUrl']!.split('/').pop()} max=60 silence=3 beep=true`);
  });

  it('bridges a callee through an endpoint of its own: the INVITE offers that endpoint, its answer goes back to it', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia({ '/voice': '<Response><Dial><Sip>sip:agent@one.example</Sip></Dial></Response>' }, media));
    h.stand.onRequest = answersThenHangsUp(20);
    h.stand.call();
    await h.finished();
    const invite = h.stand.sent('INVITE')[0]!;
    expect(invite.message.body).toBe(media.endpoints[1]!.localSdp);
    const calleeOk = h.stand.log.find((r) => r.from === 'network' && r.status === 200 && r.callId === invite.callId)!;
    expect(media.endpoints[1]!.remoteSdp).toBe(calleeOk.message.body);
    expect(media.ops.slice(0, 5)).toEqual(['ep0 answer', 'ep1 offer', 'ep1 modify', 'ep0 bridge ep1', 'ep0 unbridge']);
  });

  it('<Sip url>: the screening document runs on the callee through its own endpoint; a key accepts it, then the bridge', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => op.startsWith('speak "Call for you') && setTimeout(() => ep.press('1'), 5);
    ({ h } = await withMedia(
      {
        '/voice': '<Response><Dial action="/dialed"><Sip url="/whisper">sip:agent@one.example</Sip></Dial></Response>',
        '/whisper': '<Response><Gather numDigits="1" action="/accepted"><Say>Call for you. Press 1.</Say></Gather><Hangup/></Response>',
        '/accepted': '<Response/>',
        '/dialed': '<Response/>',
      },
      media,
    ));
    h.stand.onRequest = answersThenHangsUp(100);
    h.stand.call();
    await h.finished();
    expect(h.to('/accepted')[0]!.params).toMatchObject({ Digits: '1', Direction: 'outbound-dial' });
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed', DialCallSid: h.to('/whisper')[0]!.params['CallSid'] });
    expect(media.ops.slice(0, 6)).toEqual(['ep0 answer', 'ep1 offer', 'ep1 modify', 'ep1 speak "Call for you. Press 1." man en-US', 'ep1 stop', 'ep0 bridge ep1']);
  });

  it('<Sip url>: a <Hangup> in the screening turns the callee down with a BYE; nobody else: no-answer', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia(
      {
        '/voice': '<Response><Dial action="/dialed"><Sip url="/whisper">sip:agent@one.example</Sip></Dial></Response>',
        '/whisper': '<Response><Say>Not now.</Say><Hangup/></Response>',
        '/dialed': '<Response/>',
      },
      media,
    ));
    h.stand.onRequest = (req: AppRequest) => req.respond(200);
    h.stand.call();
    await h.finished();
    const invite = h.stand.sent('INVITE')[0]!;
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === invite.callId, 3000, 'the BYE to the callee');
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'no-answer', DialBridged: 'false' });
    expect(media.ops).not.toContain('ep0 bridge ep1');
  });

  it('records a bridged call from the answer, on two channels, and posts where the recording is served', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia({ '/voice': '<Response><Dial record="record-from-answer-dual" action="/dialed"><Sip>sip:agent@one.example</Sip></Dial></Response>', '/dialed': '<Response/>' }, media));
    h.stand.onRequest = answersThenHangsUp(20);
    h.stand.call();
    await h.finished();
    const p = h.to('/dialed')[0]!.params;
    expect(p['RecordingUrl']).toMatch(/^https:\/\/media\.example\/recordings\/RE[0-9a-f]{32}\.wav$/);
    expect(p['RecordingDuration']).toMatch(/^\d+$/);
    const file = `/var/lib/didml/recordings/${p['RecordingUrl']!.split('/').pop()}`;
    expect(media.ops.slice(0, 5)).toEqual(['ep0 answer', 'ep1 offer', 'ep1 modify', 'ep0 bridge ep1', `ep0 record-session ${file} channels=2`]);
    // Stopped once the callee hung up, before the call goes on.
    expect(media.ops.indexOf(`ep0 stop-record-session ${file}`)).toBeGreaterThan(media.ops.indexOf('ep0 unbridge'));
    expect(media.ops.indexOf(`ep0 stop-record-session ${file}`)).toBeLessThan(media.ops.indexOf('ep0 destroy'));
  });

  it('records from ringing when the caller is answered before the Dial', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia({ '/voice': '<Response><Dial record="record-from-ringing" action="/dialed"><Sip>sip:agent@one.example</Sip></Dial></Response>', '/dialed': '<Response/>' }, media));
    h.stand.onRequest = (req: AppRequest) => {
      setTimeout(() => {
        req.respond(200);
        void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), 20));
      }, 30);
    };
    h.stand.call();
    await h.finished();
    expect(media.ops.slice(0, 3)).toEqual(['ep0 answer', expect.stringMatching(/^ep0 record-session \/var\/lib\/didml\/recordings\/RE[0-9a-f]{32}\.wav channels=1$/), 'ep1 offer']);
    expect(media.ops.filter((o) => o.includes('record-session'))).toHaveLength(2);
    expect(h.to('/dialed')[0]!.params['RecordingUrl']).toMatch(/\.wav$/);
  });

  it('reports no recording for a Dial nobody answered', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia({ '/voice': '<Response><Dial record="record-from-ringing" action="/dialed"><Sip>sip:agent@one.example</Sip></Dial></Response>', '/dialed': '<Response/>' }, media));
    h.stand.onRequest = (req: AppRequest) => req.respond(486);
    h.stand.call();
    await h.finished();
    const p = h.to('/dialed')[0]!.params;
    expect(p).toMatchObject({ DialCallStatus: 'busy' });
    expect(p['RecordingUrl']).toBeUndefined();
    expect(media.ops).toContain(`ep0 stop-record-session ${media.ops.find((o) => o.startsWith('ep0 record-session'))!.split(' ')[2]}`);
  });

  it('refuses speech input without a recogniser, saying what to configure', async () => {
    ({ h } = await withMedia({ '/voice': '<Response><Gather input="speech" action="/x"><Say>Say something</Say></Gather></Response>' }));
    h.stand.call();
    const done = await h.finished();
    expect(done.summary.errors.map((e) => e.code)).toEqual(['DIDML_TELEPHONY']);
    expect(done.summary.reason).toMatch(/needs a speech recogniser on the media server: set drachtio.asr/);
  });

  it('speech: listens from the first prompt, stops the prompt when the caller talks, and posts what was heard', async () => {
    const media = new FakeMedia();
    media.promptMs = 60_000;
    media.onOp = (ep, op) => {
      if (op.startsWith('speak "Which department')) {
        setTimeout(() => ep.listening?.speaking(), 5);
        setTimeout(() => ep.listening?.heard({ text: 'billing please', confidence: 0.82 }), 15);
      }
    };
    ({ h } = await withMedia(
      {
        '/voice': '<Response><Gather input="speech" language="en-GB" hints="billing, sales" action="/heard"><Say>Which department?</Say><Play>https://media.example/hold.wav</Play></Gather></Response>',
        '/heard': '<Response><Hangup/></Response>',
      },
      media,
      { asr: { engine: 'unimrcp:nuance' } },
    ));
    h.stand.call();
    await h.finished();
    expect(h.to('/heard')[0]!.params).toMatchObject({ SpeechResult: 'billing please', Confidence: '0.82' });
    expect(media.ops.slice(0, 5)).toEqual(['ep0 answer', 'ep0 recognize en-GB hints="billing, sales"', 'ep0 speak "Which department?" man en-US', 'ep0 stop', 'ep0 recognize-stop']);
  });

  it('speech and keys: a key ends it as usual, and the recogniser is stopped', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => op.startsWith('speak') && setTimeout(() => ep.press('7'), 5);
    ({ h } = await withMedia(
      { '/voice': '<Response><Gather input="dtmf speech" numDigits="1" action="/got"><Say>Press or say a number</Say></Gather></Response>', '/got': '<Response/>' },
      media,
      { asr: { engine: 'pocketsphinx' } },
    ));
    h.stand.call();
    await h.finished();
    const p = h.to('/got')[0]!.params;
    expect(p).toMatchObject({ Digits: '7' });
    expect(p['SpeechResult']).toBeUndefined();
    expect(media.ops).toContain('ep0 recognize-stop');
  });

  it('speech: nothing recognised and no key is no input: the Gather falls through after timeout', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => op.startsWith('speak "Say') && setTimeout(() => (ep.listening?.speaking(), ep.listening?.heard(undefined)), 5);
    ({ h } = await withMedia(
      { '/voice': '<Response><Gather input="speech" action="/heard"><Say>Say something</Say></Gather><Say>Nothing heard</Say></Response>', '/heard': '<Response/>' },
      media,
      { asr: { engine: 'pocketsphinx' } },
    ));
    h.stand.call();
    await h.finished();
    expect(h.to('/heard')).toEqual([]);
    expect(media.ops).toContain('ep0 speak "Nothing heard" man en-US');
  });

  it('keys sent as SIP INFO reach the media server as received DTMF, and the Gather hears them', async () => {
    const media = new FakeMedia();
    media.promptMs = 60_000;
    ({ h } = await withMedia({ '/voice': '<Response><Gather numDigits="2" finishOnKey="" action="/menu"><Say>Enter your code</Say></Gather></Response>', '/menu': '<Response/>' }, media));
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    for (let i = 0; i < 300 && !media.ops.some((o) => o.startsWith('ep0 speak')); i++) await new Promise((r) => setTimeout(r, 5));
    expect(await caller.dialog!.request('INFO', { headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=4\r\nDuration=160\r\n' })).toBe(200);
    expect(await caller.dialog!.request('INFO', { headers: { 'Content-Type': 'application/dtmf' }, body: '11' })).toBe(200);
    await h.finished();
    expect(h.to('/menu')[0]!.params).toMatchObject({ Digits: '4#' });
    expect(media.ops).toContain('ep0 receive-digits 4');
    expect(media.ops).toContain('ep0 receive-digits #');
  });

  it('<Conference>: the document goes on when the caller is out of the room (the conference ended)', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => op.startsWith('join') && setTimeout(() => ep.leaveConference(), 20);
    ({ h } = await withMedia({ '/voice': '<Response><Dial action="/left"><Conference>standup</Conference></Dial></Response>', '/left': '<Response><Say>The call has ended.</Say><Hangup/></Response>' }, media));
    h.stand.call();
    const done = await h.finished();
    expect(h.to('/left')).toHaveLength(1);
    expect(media.ops).toContain('ep0 speak "The call has ended." man en-US');
    expect(done.summary.reason).toBe('<Hangup>');
  });

  it('<Dial hangupOnStar><Conference>: * takes the caller out of the room (kicked) and the document goes on; other keys do nothing', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => op.startsWith('join') && setTimeout(() => ep.press('1*'), 20);
    ({ h } = await withMedia({ '/voice': '<Response><Dial hangupOnStar="true"><Conference>standup</Conference></Dial><Say>You left the room.</Say></Response>' }, media));
    h.stand.call();
    const done = await h.finished();
    const ops = media.ops.filter((o) => o.startsWith('ep0 '));
    expect(ops.indexOf('ep0 leave')).toBeGreaterThan(ops.findIndex((o) => o.startsWith('ep0 join')));
    expect(ops.indexOf('ep0 speak "You left the room." man en-US')).toBeGreaterThan(ops.indexOf('ep0 leave'));
    expect(done.summary.reason).toBe('the document ran out of verbs');
    expect(done.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('<Conference> without hangupOnStar: * is not listened for, the caller stays in the room', async () => {
    const media = new FakeMedia();
    media.onOp = (ep, op) => op.startsWith('join') && setTimeout(() => ep.press('*'), 20);
    ({ h } = await withMedia({ '/voice': '<Response><Dial><Conference>standup</Conference></Dial><Say>You left the room.</Say></Response>' }, media));
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    for (let i = 0; i < 300 && !media.ops.some((o) => o.startsWith('ep0 join')); i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 100));
    await caller.bye();
    await h.finished();
    expect(media.ops).not.toContain('ep0 leave');
    expect(media.ops.some((o) => o.includes('You left the room.'))).toBe(false);
  });

  it("<Conference> rooms are the runtime's too: listed with their participants; the API mutes one (FreeSWITCH's member mute) and removes another (out of FreeSWITCH's room, its document goes on); hold is refused", async () => {
    const media = new FakeMedia();
    const conferences = new Conferences();
    ({ h } = await withMedia({ '/voice': '<Response><Dial action="/left"><Conference>standup</Conference></Dial></Response>', '/left': '<Response><Hangup/></Response>' }, media, {}, conferences));
    const first = h.stand.call();
    expect(await first.response()).toBe(200);
    const second = h.stand.call();
    expect(await second.response()).toBe(200);
    let room;
    for (let i = 0; i < 300; i++) {
      room = (await conferences.store.list())[0];
      if (room && (await conferences.store.participants(room.sid)).length === 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(room).toMatchObject({ friendlyName: 'standup', status: 'in-progress' });
    const [p1, p2] = await conferences.store.participants(room!.sid);
    // Muted through the API: FreeSWITCH's member mute of that participant's endpoint; hold is refused.
    await conferences.command(room!.sid, p1!, { op: 'update', conference: room!.sid, muted: true });
    const firstIn = media.ops.find((o) => / join standup /.test(o))!.split(' ')[0];
    expect(media.ops).toContain(`${firstIn} conference-mute true`);
    expect((await conferences.store.participants(room!.sid))[0]).toMatchObject({ callSid: p1!.callSid, muted: true });
    await expect(conferences.command(room!.sid, p1!, { op: 'update', conference: room!.sid, hold: true })).rejects.toMatchObject({ status: 400, code: 20001, message: expect.stringContaining('Hold') });
    expect((await conferences.store.participants(room!.sid))[0]).toMatchObject({ hold: false });
    await conferences.command(room!.sid, p2!, { op: 'kick', conference: room!.sid });
    for (let i = 0; i < 300 && h.to('/left').length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.to('/left').map((r) => r.params['CallSid'])).toEqual([p2!.callSid]);
    expect(media.ops.filter((o) => o.endsWith(' leave'))).toHaveLength(1);
    expect((await conferences.store.participants(room!.sid)).map((p) => p.callSid)).toEqual([p1!.callSid]);
    await first.bye();
    await h.finished(0);
    await h.finished(1);
    expect(await conferences.store.get(room!.sid)).toMatchObject({ status: 'completed', reasonEnded: 'last-participant-left' });
  });

  it('<Conference endConferenceOnExit>: the participant hanging up ends the room for the others (kicked, not hung up)', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia({ '/voice': '<Response><Dial><Conference endConferenceOnExit="true">standup</Conference></Dial></Response>' }, media));
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    for (let i = 0; i < 300 && !media.ops.some((o) => o.startsWith('ep0 join')); i++) await new Promise((r) => setTimeout(r, 5));
    await caller.bye();
    await h.finished();
    expect(media.ops).toContain('end-conference standup');
    expect(media.ops.find((o) => o.startsWith('ep0 join'))).toBe('ep0 join standup {"mute":false,"moderator":true,"waitMod":false}');
  });

  it('a re-INVITE from the caller (a hold) goes to its endpoint, and the endpoint\'s answer comes back', async () => {
    const media = new FakeMedia();
    media.promptMs = 60_000;
    ({ h } = await withMedia({ '/voice': '<Response><Say>Please hold the line.</Say></Response>' }, media));
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.stand.waitFor((r) => r.from === 'network' && r.method === 'ACK' && r.callId === caller.callId);
    const held = sdp('203.0.113.5', 20000, 2).replace('a=sendrecv', 'a=sendonly');
    expect(await caller.dialog!.request('INVITE', { body: held, headers: { 'Content-Type': 'application/sdp', Contact: '<sip:caller@203.0.113.5:5060>' } })).toBe(200);
    expect(media.endpoints[0]!.remoteSdp).toBe(held);
    expect(media.ops).toContain('ep0 modify (hold)');
    const ok = h.stand.log.filter((r) => r.from === 'app' && r.status === 200 && r.callId === caller.callId && header(r.message, 'CSeq')?.endsWith('INVITE')).at(-1)!;
    expect(ok.message.body).toContain('a=recvonly');
    await caller.bye();
    await h.finished();
  });

  it('a re-INVITE from a bridged callee (a hold) goes to the callee\'s own endpoint', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia({ '/voice': '<Response><Dial><Sip>sip:agent@one.example</Sip></Dial></Response>' }, media));
    let callee: AppRequest | undefined;
    h.stand.onRequest = (req: AppRequest) => ((callee = req), req.respond(200));
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    for (let i = 0; i < 300 && !media.ops.includes('ep0 bridge ep1'); i++) await new Promise((r) => setTimeout(r, 5));
    const held = sdp('198.51.100.40', 32000, 3).replace('a=sendrecv', 'a=sendonly');
    expect(await callee!.dialog!.request('INVITE', { body: held, headers: { 'Content-Type': 'application/sdp' } })).toBe(200);
    expect(media.endpoints[1]!.remoteSdp).toBe(held);
    expect(media.ops).toContain('ep1 modify (hold)');
    await caller.bye();
    await h.finished();
  });

  it('<Start><Recording> records the whole call on the caller\'s endpoint; the callback gets where it is served', async () => {
    const media = new FakeMedia();
    ({ h } = await withMedia(
      {
        '/voice': '<Response><Start><Recording channels="dual" recordingStatusCallback="/rec" recordingStatusCallbackEvent="completed absent"/></Start><Say>This call is recorded.</Say></Response>',
        '/rec': '',
      },
      media,
    ));
    // The caller hangs up while it is being spoken to: the recording ends with the call.
    media.promptMs = 60_000;
    media.onOp = (ep, op) => op.startsWith('speak') && setTimeout(() => void callerLeg?.bye(), 20);
    let callerLeg: ReturnType<Harness['stand']['call']> | undefined;
    callerLeg = h.stand.call();
    await h.finished();
    for (let i = 0; i < 100 && h.to('/rec').length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const p = h.to('/rec')[0]!.params;
    expect(p).toMatchObject({ RecordingSource: 'StartCallRecordingTwiML', RecordingChannels: '2' });
    const file = `/var/lib/didml/recordings/${p['RecordingUrl']!.split('/').pop()}`;
    // Hung up: the media server closed the file with the call; nothing to stop.
    expect(media.ops.slice(0, 3)).toEqual(['ep0 answer', `ep0 record-session ${file} channels=2`, 'ep0 speak "This call is recorded." man en-US']);
    expect(media.ops.filter((o) => o.includes('stop-record-session'))).toEqual([]);
  });

  it('<Start><Recording> without drachtio.recordings: a warning says what to set, and the call goes on', async () => {
    const media = new FakeMedia();
    const x = await startHarness({
      routes: { '/voice': '<Response><Start><Recording/></Start><Say>Hello.</Say></Response>' },
      config: { mediaServer: mediaConfig.mediaServer },
      media: () => Promise.resolve(media),
    });
    h = x;
    for (let i = 0; i < 100 && !x.logs.some((l) => l.msg === 'media server connected'); i++) await new Promise((r) => setTimeout(r, 5));
    x.stand.call();
    const done = await x.finished();
    expect(done.events.filter((e) => e.type === 'warning').map((e) => e['message'])).toContainEqual(expect.stringMatching(/^call recording not started: <Start><Recording>: set drachtio.recordings/));
    expect(media.ops).toContain('ep0 speak "Hello." man en-US');
  });

  it('stops a prompt at once when the caller hangs up', async () => {
    const media = new FakeMedia();
    media.promptMs = 60_000;
    let said!: () => void;
    const saying = new Promise<void>((r) => (said = r));
    media.onOp = (_ep, op) => op.startsWith('speak') && said();
    ({ h } = await withMedia({ '/voice': '<Response><Say>A very long announcement</Say></Response>' }, media));
    const caller = h.stand.call();
    await saying;
    await caller.bye();
    const done = await h.finished(0, 3000);
    expect(done.summary.reason).toBe('caller hung up');
    expect(media.ops).toContain('ep0 stop');
  });

  it('<Connect><Stream> with a media server: an endpoint answers didml\'s own RTP offer and is bridged to the caller\'s', async () => {
    const agent = await wsAgent((m, ws) => m.event === 'start' && setTimeout(() => ws.close(), 30));
    try {
      const media = new FakeMedia();
      ({ h } = await withMedia({ '/voice': `<Response><Connect action="/after"><Stream url="${agent.url}"/></Connect></Response>`, '/after': '<Response><Hangup/></Response>' }, media, { rtp: { address: '127.0.0.1' } }));
      h.stand.call();
      await h.finished();
      expect(agent.messages.slice(0, 2).map((m) => m.event)).toEqual(['connected', 'start']);
      // ep1 answered didml's offer: its socket on loopback, μ-law and telephone events.
      expect(media.endpoints[1]!.remoteSdp).toMatch(/^c=IN IP4 127\.0\.0\.1\r?$/m);
      expect(media.endpoints[1]!.remoteSdp).toMatch(/^m=audio \d+ RTP\/AVP 0 101\r?$/m);
      expect(media.ops.slice(0, 5)).toEqual(['ep0 answer', 'ep1 answer', 'ep0 bridge ep1', 'ep0 unbridge', 'ep1 destroy']);
      expect(h.to('/after')).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });

  // <Start><Stream>: the fake endpoint connects to didml's listener and sends L16 as
  // mod_audio_fork does; the agent (a real websocket server) must see Twilio's Media Streams.
  describe('<Start><Stream>', () => {
    const level = (m: StreamMessage) => Buffer.from((m['media'] as { payload: string }).payload, 'base64');
    const media = (msgs: StreamMessage[], track: string) => msgs.filter((m) => m.event === 'media' && (m['media'] as { track: string }).track === track);
    const frame = (sample: number) => Buffer.alloc(160, g711.linearToMulaw(sample));
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
    };

    async function forkCall(track: string, fake = new FakeMedia()) {
      const agent = await wsAgent();
      agents.push(agent);
      ({ h } = await withMedia(
        {
          '/voice': `<Response><Start><Stream name="s1" url="${agent.url}" track="${track}" statusCallback="/stream"><Parameter name="customerId" value="42"/></Stream></Start><Pause length="30"/></Response>`,
          '/stream': '',
        },
        fake,
      ));
      const caller = h.stand.call();
      expect(await caller.response()).toBe(200);
      return { agent, caller, fake };
    }

    const agents: WsAgent[] = [];
    afterEach(async () => {
      for (const a of agents.splice(0)) await a.close();
    });

    it('inbound_track: a mono fork; the agent hears connected, start, the caller in 20 ms μ-law media messages, and stop at the hangup', async () => {
      const { agent, caller, fake } = await forkCall('inbound_track');
      await until(() => media(agent.messages, 'inbound').length >= 5);
      await caller.bye();
      await h!.finished();
      await until(() => agent.messages.some((m) => m.event === 'stop'));
      expect(fake.ops).toContain('ep0 fork-start didml_fork_0 mono');
      expect(twilioStreamProblems(agent.messages)).toEqual([]);
      const [connected, start, ...rest] = agent.messages;
      expect(connected).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      const sid = start!.streamSid!;
      expect(sid).toMatch(/^MZ[0-9a-f]{32}$/);
      expect(start!['start']).toMatchObject({
        streamSid: sid,
        callSid: h!.to('/voice')[0]!.params['CallSid'],
        tracks: ['inbound'],
        customParameters: { customerId: '42' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      });
      const inbound = media(rest, 'inbound');
      expect(media(rest, 'outbound')).toEqual([]);
      expect(inbound.map((m) => (m['media'] as { chunk: string; timestamp: string })).map((x) => [x.chunk, x.timestamp])).toEqual([
        ['1', '0'],
        ['2', '20'],
        ['3', '40'],
        ['4', '60'],
        ['5', '80'],
      ]);
      expect(inbound.map(level)).toEqual([0, 1, 2, 3, 4].map((k) => frame(forkSample.inbound(k))));
      expect(rest.at(-1)).toMatchObject({ event: 'stop', streamSid: sid, stop: { callSid: start!['start'] && (start!['start'] as { callSid: string }).callSid } });
      await until(() => h!.to('/stream').length >= 2);
      expect(h!.to('/stream').map((r) => [r.params['StreamEvent'], r.params['StreamSid'], r.params['StreamName']])).toEqual([
        ['stream-started', sid, 's1'],
        ['stream-stopped', sid, 's1'],
      ]);
    });

    it('the Media Streams check itself names what is off (a track not asked for, a chunk out of turn, a short payload, no stop)', async () => {
      const { agent, caller } = await forkCall('inbound_track');
      await until(() => media(agent.messages, 'inbound').length >= 5);
      await caller.bye();
      await h!.finished();
      await until(() => agent.messages.some((m) => m.event === 'stop'));
      const good = agent.messages.map((m) => structuredClone(m));
      expect(twilioStreamProblems(good)).toEqual([]);
      const bad = good.map((m) => structuredClone(m));
      (bad[2]!['media'] as { track: string }).track = 'outbound';
      (bad[3]!['media'] as { chunk: string }).chunk = '7';
      (bad[4]!['media'] as { payload: string }).payload = Buffer.alloc(80).toString('base64');
      const problems = twilioStreamProblems(bad.slice(0, -1));
      expect(problems).toEqual(expect.arrayContaining(['media on track outbound', 'last message: media']));
      expect(problems.some((p) => p.startsWith('inbound chunk 7'))).toBe(true);
      expect(problems.some((p) => p.endsWith(': 80 bytes'))).toBe(true);
    });

    it('both_tracks: a stereo fork; the caller (left) on track inbound and what is played (right) on track outbound', async () => {
      const { agent, caller, fake } = await forkCall('both_tracks');
      await until(() => media(agent.messages, 'outbound').length >= 5);
      await caller.bye();
      await h!.finished();
      await until(() => agent.messages.some((m) => m.event === 'stop'));
      expect(twilioStreamProblems(agent.messages)).toEqual([]);
      expect(fake.ops).toContain('ep0 fork-start didml_fork_0 stereo');
      expect((agent.messages[1]!['start'] as { tracks: string[] }).tracks).toEqual(['inbound', 'outbound']);
      expect(media(agent.messages, 'inbound').map(level)).toEqual([0, 1, 2, 3, 4].map((k) => frame(forkSample.inbound(k))));
      expect(media(agent.messages, 'outbound').map(level)).toEqual([0, 1, 2, 3, 4].map((k) => frame(forkSample.outbound(k))));
      // Each track counts its own chunks.
      expect(media(agent.messages, 'outbound').map((m) => (m['media'] as { chunk: string }).chunk)).toEqual(['1', '2', '3', '4', '5']);
    });

    it('outbound_track: a stereo fork of which only what the caller hears goes to the agent', async () => {
      const { agent, caller, fake } = await forkCall('outbound_track');
      await until(() => media(agent.messages, 'outbound').length >= 5);
      await caller.bye();
      await h!.finished();
      await until(() => agent.messages.some((m) => m.event === 'stop'));
      expect(twilioStreamProblems(agent.messages)).toEqual([]);
      expect(fake.ops).toContain('ep0 fork-start didml_fork_0 stereo');
      expect((agent.messages[1]!['start'] as { tracks: string[] }).tracks).toEqual(['outbound']);
      expect(media(agent.messages, 'inbound')).toEqual([]);
      expect(media(agent.messages, 'outbound').map(level)).toEqual([0, 1, 2, 3, 4].map((k) => frame(forkSample.outbound(k))));
    });

    it('<Stop><Stream name> stops that fork only; <Stop><Stream/> every other', async () => {
      const a = await wsAgent();
      const b = await wsAgent();
      agents.push(a, b);
      const fake = new FakeMedia();
      ({ h } = await withMedia(
        {
          '/voice': `<Response><Start><Stream name="a" url="${a.url}" statusCallback="/stream"/><Stream name="b" url="${b.url}" statusCallback="/stream"/></Start><Stop><Stream name="a"/></Stop><Say>between</Say><Stop><Stream/></Stop><Hangup/></Response>`,
          '/stream': '',
        },
        fake,
      ));
      h.stand.call();
      await h.finished();
      expect(fake.ops.filter((op) => /fork|speak/.test(op))).toEqual([
        'ep0 fork-start didml_fork_0 mono',
        'ep0 fork-start didml_fork_1 mono',
        'ep0 fork-stop didml_fork_0',
        'ep0 speak "between" man en-US',
        'ep0 fork-stop didml_fork_1',
      ]);
      await until(() => a.messages.some((m) => m.event === 'stop') && b.messages.some((m) => m.event === 'stop'));
      for (const agent of [a, b]) expect(agent.messages.map((m) => m.event).filter((e) => e !== 'media')).toEqual(['connected', 'start', 'stop']);
      for (const agent of [a, b]) expect(twilioStreamProblems(agent.messages)).toEqual([]);
      await until(() => h!.to('/stream').length >= 4);
      const events = h.to('/stream').map((r) => `${r.params['StreamName']} ${r.params['StreamEvent']}`);
      expect(events.sort()).toEqual(['a stream-started', 'a stream-stopped', 'b stream-started', 'b stream-stopped']);
    });

    it('the agent closing its websocket ends the fork: FreeSWITCH is told to stop, the statusCallback hears stream-stopped', async () => {
      const agent = await wsAgent((m, ws) => m.event === 'start' && ws.close());
      agents.push(agent);
      const fake = new FakeMedia();
      ({ h } = await withMedia(
        { '/voice': `<Response><Start><Stream url="${agent.url}" statusCallback="/stream"/></Start><Pause length="30"/></Response>`, '/stream': '' },
        fake,
      ));
      const caller = h.stand.call();
      await until(() => fake.ops.includes('ep0 fork-stop didml_fork_0'));
      await caller.bye();
      await h.finished();
      expect(fake.ops).toContain('ep0 fork-stop didml_fork_0');
      await until(() => h!.to('/stream').length >= 2);
      expect(h.to('/stream').map((r) => r.params['StreamEvent'])).toEqual(['stream-started', 'stream-stopped']);
    });

    it('a fork FreeSWITCH refuses is stream-error with its reason, and the call goes on', async () => {
      const agent = await wsAgent();
      agents.push(agent);
      const fake = new FakeMedia();
      fake.forkError = 'FreeSWITCH has no uuid_audio_fork: <Start><Stream> needs mod_audio_fork (drachtio-freeswitch-modules) loaded in it';
      ({ h } = await withMedia(
        { '/voice': `<Response><Start><Stream url="${agent.url}" statusCallback="/stream"/></Start><Say>still here</Say><Hangup/></Response>`, '/stream': '' },
        fake,
      ));
      h.stand.call();
      await h.finished();
      expect(fake.ops).toContain('ep0 speak "still here" man en-US');
      await until(() => h!.to('/stream').length >= 1 && agent.messages.some((m) => m.event === 'stop'));
      expect(h.to('/stream').map((r) => [r.params['StreamEvent'], r.params['StreamError']])).toEqual([['stream-error', fake.forkError]]);
      expect(agent.messages.map((m) => m.event)).toEqual(['connected', 'start', 'stop']);
    });

    it('an agent that cannot be reached is stream-error; FreeSWITCH is never asked to fork', async () => {
      const gone = await wsAgent();
      await gone.close();
      const fake = new FakeMedia();
      ({ h } = await withMedia({ '/voice': `<Response><Start><Stream url="${gone.url}" statusCallback="/stream"/></Start><Say>still here</Say><Hangup/></Response>`, '/stream': '' }, fake));
      h.stand.call();
      await h.finished();
      expect(fake.ops.filter((op) => op.includes('fork'))).toEqual([]);
      expect(fake.ops).toContain('ep0 speak "still here" man en-US');
      await until(() => h!.to('/stream').length >= 1);
      expect(h.to('/stream')[0]!.params).toMatchObject({ StreamEvent: 'stream-error' });
      expect(h.to('/stream')[0]!.params['StreamError']).toMatch(/could not be opened/);
    });
  });
});
