// <Dial> on the drachtio backend beyond the seeds: one target after another, the time limit,
// hangupOnStar, the caller leaving a bridged call, early media, re-INVITEs while bridged.
import { afterEach, describe, expect, it } from 'vitest';
import { answersThenHangsUp, startHarness, type Harness } from './harness.js';
import { header, sdp } from './stand-in/sip.js';
import type { AppRequest } from './stand-in/server.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const dialed = '<Response><Hangup/></Response>';

describe('<Dial> on drachtio', () => {
  it('sequential: rings the next target only when the one before failed', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Dial sequential="true" action="/dialed"><Sip>sip:a@one.example</Sip><Sip>sip:b@two.example</Sip></Dial></Response>', '/dialed': dialed },
    });
    const order: string[] = [];
    h.stand.onRequest = (req: AppRequest) => {
      order.push(req.uri);
      if (req.uri.includes('one.example')) return req.respond(486);
      req.respond(200);
      void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), 20));
    };
    h.stand.call();
    await h.finished();
    expect(order).toEqual(['sip:a@one.example', 'sip:b@two.example']);
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed' });
  });

  it('record without a media server: the call is bridged unrecorded, and the log says what recording needs', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial record="true" action="/dialed"><Sip>sip:a@one.example</Sip></Dial></Response>', '/dialed': dialed } });
    h.stand.onRequest = answersThenHangsUp(20);
    h.stand.call();
    await h.finished();
    const p = h.to('/dialed')[0]!.params;
    expect(p).toMatchObject({ DialCallStatus: 'completed' });
    expect(p['RecordingUrl']).toBeUndefined();
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toContainEqual(expect.stringMatching(/^<Dial record>: recording needs a media server \(drachtio.mediaServer\)/));
  });

  it('statusCallback on a <Sip> leg: initiated, ringing, answered, completed, from the SIP that went by', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Dial action="/dialed"><Sip statusCallback="/legs" statusCallbackEvent="initiated ringing answered completed">sip:a@one.example</Sip></Dial></Response>',
        '/dialed': dialed,
        '/legs': '',
      },
    });
    h.stand.onRequest = (req: AppRequest) => {
      req.respond(180);
      setTimeout(() => {
        req.respond(200);
        void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), 20));
      }, 20);
    };
    h.stand.call();
    await h.finished();
    for (let i = 0; i < 100 && h.to('/legs').length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    const legs = h.to('/legs').map((r) => r.params);
    expect(legs.map((p) => p['CallStatus'])).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    const invite = h.stand.sent('INVITE')[0]!;
    expect(legs[0]).toMatchObject({ SipCallId: invite.callId, To: 'sip:a@one.example', Direction: 'outbound-dial' });
    expect(legs[3]).toMatchObject({ SipResponseCode: '200', CallSid: legs[0]!['CallSid'] });
    expect(h.to('/dialed')[0]!.params['DialCallSid']).toBe(legs[0]!['CallSid']);
  });

  it('<Number url> without a media server: no screening can run on the callee; connected without it, with a warning', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Dial action="/dialed"><Sip url="/whisper">sip:a@one.example</Sip></Dial></Response>', '/dialed': dialed, '/whisper': '<Response><Say>Hi</Say></Response>' },
    });
    h.stand.onRequest = answersThenHangsUp(20);
    h.stand.call();
    const done = await h.finished();
    expect(h.to('/whisper')).toEqual([]);
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed' });
    expect(done.events.filter((e) => e.type === 'warning').map((e) => e['message'])).toContainEqual(expect.stringMatching(/^<Sip url>: this backend cannot run a document on the callee/));
  });

  it('timeLimit: hangs up the callee when the bridged call reaches it, and the document goes on', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial timeLimit="1" action="/dialed"><Sip>sip:a@one.example</Sip></Dial></Response>', '/dialed': dialed } });
    let callee: AppRequest | undefined;
    h.stand.onRequest = (req) => ((callee = req), req.respond(200));
    const caller = h.stand.call();
    await h.finished();
    const bye = await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === callee!.get('Call-ID'));
    expect(bye.message.startLine).toBe('BYE sip:far@198.51.100.20:5060 SIP/2.0');
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true' });
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === caller.callId);
  });

  it('hangupOnStar: * from the caller (SIP INFO without a media server) ends the bridged call, not the caller', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial hangupOnStar="true" action="/dialed"><Sip>sip:a@one.example</Sip></Dial></Response>', '/dialed': dialed } });
    h.stand.onRequest = (req) => req.respond(200);
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    for (let i = 0; i < 300 && !h.logs.some((l) => l.msg === 'bridged'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await caller.dialog!.request('INFO', { headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=*\r\nDuration=160\r\n' })).toBe(200);
    await h.finished();
    expect(h.to('/dialed')).toHaveLength(1);
    const calleeBye = h.stand.sent('BYE').find((r) => r.callId !== caller.callId);
    expect(calleeBye).toBeDefined();
  });

  it('the caller hanging up a bridged call hangs up the callee and the action hears completed', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial action="/dialed"><Sip>sip:a@one.example</Sip></Dial></Response>', '/dialed': dialed } });
    let callee: AppRequest | undefined;
    h.stand.onRequest = (req) => ((callee = req), req.respond(200));
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.stand.waitFor((r) => r.from === 'network' && r.method === 'ACK' && r.callId === caller.callId);
    expect(await caller.bye()).toBe(200);
    const done = await h.finished();
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === callee!.get('Call-ID'), 3000, 'the BYE to the callee');
    expect(done.summary.status).toBe('completed');
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed', CallStatus: 'completed' });
  });

  it('passes a single callee’s early media (183 with SDP) to the unanswered caller', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>sip:a@one.example</Sip></Dial></Response>' } });
    const early = sdp('198.51.100.30', 31000);
    h.stand.onRequest = (req) => {
      req.respond(183, { body: early });
      setTimeout(() => req.respond(486), 30);
    };
    const caller = h.stand.call();
    expect(await caller.response()).toBe(486);
    expect(caller.responses).toEqual([180, 183, 486]);
    const progress = h.stand.log.find((r) => r.from === 'app' && r.status === 183)!;
    expect(progress.message.body).toBe(early);
  });

  it('relays a re-INVITE from the caller to the callee while bridged without media, and the answer back', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>sip:a@one.example</Sip></Dial></Response>' } });
    const calleeAnswer = sdp('198.51.100.40', 32000, 7);
    h.stand.onRequest = (req) => req.respond(200);
    h.stand.onInDialog = (req) => {
      if (req.method !== 'INVITE') return false;
      req.respond(200, { body: calleeAnswer });
      return true;
    };
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    // Right behind the ACK: the relay is on from the moment the caller's dialog exists.
    await h.stand.waitFor((r) => r.from === 'network' && r.method === 'ACK' && r.callId === caller.callId);
    const held = sdp('203.0.113.5', 20000, 2).replace('a=sendrecv', 'a=sendonly');
    expect(await caller.dialog!.request('INVITE', { body: held, headers: { 'Content-Type': 'application/sdp', Contact: '<sip:caller@203.0.113.5:5060>' } })).toBe(200);
    const reinvite = h.stand.sent('INVITE').find((r) => r.callId !== caller.callId && r.message.body === held);
    expect(reinvite).toBeDefined();
    const okToCaller = h.stand.log.filter((r) => r.from === 'app' && r.status === 200 && r.callId === caller.callId && header(r.message, 'CSeq')?.endsWith('INVITE')).at(-1)!;
    expect(okToCaller.message.body).toBe(calleeAnswer);
    await caller.bye();
    await h.finished();
  });
});
