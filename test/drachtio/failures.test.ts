// What goes wrong on real SIP, through real didml sessions on the drachtio backend: refusals,
// far ends that do not answer, CANCEL racing a 200, dialogs that die, drachtio-server going away.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, tick, type Harness } from './harness.js';
import { header } from './stand-in/sip.js';
import type { AppRequest } from './stand-in/server.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const answer = (talkMs?: number) => (req: AppRequest) => {
  req.respond(180);
  req.respond(200);
  if (talkMs !== undefined) void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), talkMs));
};

describe('refusing calls', () => {
  it.each([
    ['busy', {}, 486],
    ['rejected', {}, 404],
    ['rejected', { rejectCode: 603 }, 603],
  ] as const)('<Reject reason="%s"> answers %j with the right code', async (reason, config, code) => {
    h = await startHarness({ routes: { '/voice': `<Response><Reject reason="${reason}"/></Response>` }, config });
    const caller = h.stand.call();
    expect(await caller.response()).toBe(code);
    const done = await h.finished();
    expect(done.summary.status).toBe(reason === 'busy' ? 'busy' : 'no-answer');
    expect(h.stand.sent('BYE')).toEqual([]);
  });

  it('Vida: refuses an INVITE from an address not on the SIP IP access list with 403, and never asks the app', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Hangup/></Response>' }, config: { accessList: ['198.51.100.0/24'] } });
    const stranger = h.stand.call({ sourceIp: '203.0.113.5' });
    expect(await stranger.response()).toBe(403);
    const known = h.stand.call({ sourceIp: '198.51.100.9' });
    expect(await known.response()).toBe(480);
    await h.finished(0);
    expect(h.requests).toHaveLength(1);
    expect(h.to('/voice')[0]!.params['SipCallId']).toBe(known.callId);
    expect(h.logs.some((l) => l.msg === 'INVITE refused' && /203\.0\.113\.5/.test(String(l['reason'])))).toBe(true);
  });

  it('Vida: refuses a From that is not E.164 with 404 when requireE164From is set', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Hangup/></Response>' }, config: { requireE164From: true } });
    expect(await h.stand.call({ from: 'sip:alice@pbx.example' }).response()).toBe(404);
    expect(await h.stand.call({ from: '4155550100' }).response()).toBe(404);
    expect(await h.stand.call({ from: '+14155550100' }).response()).toBe(480);
    await h.finished(0);
    expect(h.requests).toHaveLength(1);
  });
});

describe('media verbs without a media server', () => {
  it('end the call with a logged DIDML_TELEPHONY reason instead of hanging it', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Say>Hello</Say><Hangup/></Response>' } });
    const caller = h.stand.call();
    const done = await h.finished();
    expect(done.summary.reason).toMatch(/<Say> needs a media server, and drachtio.mediaServer is not configured/);
    expect(done.summary.errors.map((e) => e.code)).toEqual(['DIDML_TELEPHONY']);
    expect(await caller.response()).toBe(480);
  });

  it('keep the app’s own failure as the reason when the application-error message cannot be played', async () => {
    h = await startHarness({ routes: {} });
    h.stand.call();
    const done = await h.finished();
    expect(done.summary.errors.map((e) => e.code)).toEqual(['DIDML_WEBHOOK_STATUS', 'DIDML_TELEPHONY']);
    expect(done.summary.reason).toMatch(/404/);
  });
});

describe('far ends that do not answer', () => {
  it('CANCELs an INVITE still ringing at the Dial timeout: DialCallStatus no-answer', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Dial timeout="1" action="/dialed"><Sip>sip:+14155550142@slow.example</Sip></Dial></Response>',
        '/dialed': '<Response><Hangup/></Response>',
      },
    });
    h.stand.onRequest = (req) => req.respond(180);
    h.stand.call();
    await h.finished();
    const cancel = h.stand.sent('CANCEL')[0]!;
    const invite = h.stand.sent('INVITE')[0]!;
    expect(cancel.callId).toBe(invite.callId);
    expect(cancel.message.startLine).toBe('CANCEL sip:+14155550142@slow.example SIP/2.0');
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'no-answer', DialSipResponseCode: '487' });
  });

  it('rings every target at once; the first to answer wins and the others are CANCELled', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Dial action="/dialed"><Sip>sip:a@one.example</Sip><Sip>sip:b@two.example</Sip></Dial></Response>',
        '/dialed': '<Response><Hangup/></Response>',
      },
    });
    h.stand.onRequest = (req) => {
      req.respond(180);
      if (req.uri.includes('two.example')) answer(30)(req);
    };
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.finished();
    const [a] = h.stand.sent('INVITE').filter((r) => r.message.uri === 'sip:a@one.example');
    const cancels = h.stand.sent('CANCEL');
    expect(cancels.map((c) => c.callId)).toEqual([a!.callId]);
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed', DialSipResponseCode: '200' });
  });

  it('a 200 that crosses the CANCEL is ACKed and hung up at once (RFC 3261 §9.1)', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>sip:a@one.example</Sip><Sip>sip:b@two.example</Sip></Dial></Response>' } });
    let late: AppRequest | undefined;
    h.stand.onRequest = (req) => {
      req.respond(180);
      if (req.uri.includes('two.example')) return answer(50)(req);
      late = req;
      // The 200 was already on its way when the CANCEL arrived.
      req.onCancel = () => req.respond(200);
    };
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.finished();
    const lateCallId = late!.get('Call-ID');
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'ACK' && r.callId === lateCallId, 3000, 'the ACK of the late 200');
    const bye = await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === lateCallId, 3000, 'the BYE of the late callee');
    expect(bye.message.startLine).toBe('BYE sip:far@198.51.100.20:5060 SIP/2.0');
    // The caller stayed with the callee that won.
    expect(caller.responses.filter((s) => s === 200)).toHaveLength(1);
  });

  it('a 200 that crosses the CANCEL sent at the Dial timeout: ACKed, hung up, and the Dial is no-answer', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial timeout="1" action="/dialed"><Sip>sip:a@one.example</Sip></Dial></Response>', '/dialed': '<Response><Hangup/></Response>' } });
    let late: AppRequest | undefined;
    h.stand.onRequest = (req) => {
      req.respond(180);
      late = req;
      req.onCancel = () => req.respond(200);
    };
    h.stand.call();
    await h.finished();
    const lateCallId = late!.get('Call-ID');
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === lateCallId, 3000, 'the BYE of the late callee');
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'no-answer' });
  });

  it('the caller hanging up while the Dial rings CANCELs the INVITEs and the action hears canceled', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Dial action="/dialed" answerOnBridge="true"><Sip>sip:a@one.example</Sip></Dial></Response>',
        '/dialed': '<Response><Hangup/></Response>',
      },
    });
    let invited!: () => void;
    const ringing = new Promise<void>((r) => (invited = r));
    h.stand.onRequest = (req) => {
      req.respond(180);
      invited();
    };
    const caller = h.stand.call();
    await ringing;
    caller.cancel();
    const done = await h.finished();
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'CANCEL', 3000, 'the CANCEL to the callee');
    expect(done.summary.status).toBe('canceled');
    expect(h.to('/dialed')[0]!.params['DialCallStatus']).toBe('canceled');
  });
});

describe('dialogs that die', () => {
  it('a session timer that expires (drachtio-server’s own BYE) ends the call with that reason', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>sip:a@one.example</Sip></Dial></Response>' } });
    h.stand.onRequest = answer();
    const caller = h.stand.call({ headers: { 'Session-Expires': '90;refresher=uac', Supported: 'timer' } });
    expect(await caller.response()).toBe(200);
    await tick(30);
    caller.dialog!.expire();
    const done = await h.finished();
    expect(done.summary.reason).toBe('Session timer expired');
    expect(await done.call!.leg.ended).toEqual({ by: 'backend', reason: 'Session timer expired' });
    // The callee's leg is hung up with it.
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.message.uri === 'sip:far@198.51.100.20:5060', 3000, 'the BYE to the callee');
  });

  it('the callee hanging up ends the Dial and the document goes on', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Dial action="/dialed"><Sip>sip:a@one.example</Sip></Dial></Response>',
        '/dialed': '<Response><Hangup/></Response>',
      },
    });
    h.stand.onRequest = answer(30);
    h.stand.call();
    const done = await h.finished();
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true' });
    expect(done.summary.reason).toBe('<Hangup>');
  });
});

describe('the connection to drachtio-server', () => {
  it('lost mid-call ends the call with a reason; regained, the next call runs', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>sip:a@one.example</Sip></Dial></Response>' } });
    h.stand.onRequest = answer();
    const first = h.stand.call();
    expect(await first.response()).toBe(200);
    h.stand.dropConnections();
    const done = await h.finished(0);
    expect(done.call!.leg.isEnded).toBe(true);
    expect(await done.call!.leg.ended).toEqual({ by: 'backend', reason: 'the connection to drachtio-server was lost' });
    expect(done.summary.reason).toBe('the connection to drachtio-server was lost');
    expect(h.logs.some((l) => l.msg === 'connection to drachtio-server lost; reconnecting')).toBe(true);

    await h.stand.authenticated(2);
    h.stand.onRequest = answer(20);
    const second = h.stand.call();
    expect(await second.response()).toBe(200);
    expect((await h.finished(1)).summary.status).toBe('completed');
    expect(header(h.stand.sent('INVITE').at(-1)!.message, 'Call-ID')).not.toBe(header(h.stand.sent('INVITE')[0]!.message, 'Call-ID'));
  });

  it('refused for a wrong secret fails listen() with the way out', async () => {
    await expect(startHarness({ routes: {}, secret: 'wrong' })).rejects.toThrow(/refused the connection .*check drachtio.inbound.secret/);
  });
});
