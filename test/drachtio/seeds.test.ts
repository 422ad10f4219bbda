// Each seed's SIP flow through real didml sessions on the drachtio backend: the real
// drachtio-srf talks drachtio's wire protocol to the stand-in drachtio-server, which plays the
// caller and the far ends and records every SIP message the app asked for.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { digestParams, digestValid, header, cseqOf } from './stand-in/sip.js';
import type { AppRequest } from './stand-in/server.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The far end answers: 180, then 200; hangs up `talkMs` after the app's ACK when given. */
const answer = (talkMs?: number) => (req: AppRequest) => {
  req.respond(180);
  req.respond(200);
  if (talkMs !== undefined) void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), talkMs));
};

describe('DIDforSale: <sip> with a bare host forwards the call', () => {
  it('runs the published example (closed by </Say>): INVITEs the dialled number at the host with the caller offer and answers the caller with the callee SDP', async () => {
    h = await startHarness({
      routes: { '/voice': '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <dial>\n    <sip>sip.didforsale.example</Say>\n  </dial>\n</Response>' },
    });
    h.stand.onRequest = answer(50);
    const caller = h.stand.call({ to: '+19495551212' });
    expect(await caller.response()).toBe(200);
    const done = await h.finished();

    const invite = h.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:+19495551212@sip.didforsale.example SIP/2.0');
    // A signalling-only B2BUA: the caller's offer goes to the callee, the callee's answer to the caller.
    expect(invite.message.body).toBe(caller.invite.body);
    const calleeOk = h.stand.log.find((r) => r.from === 'network' && r.status === 200 && r.callId === invite.callId)!;
    const callerOk = h.stand.log.find((r) => r.from === 'app' && r.status === 200 && r.callId === caller.callId)!;
    expect(callerOk.message.body).toBe(calleeOk.message.body);
    // 180 while the document is fetched (reference §1.1), 200 once the callee answered.
    expect(caller.responses).toEqual([180, 200]);
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === caller.callId, 3000, 'the BYE to the caller');
    expect(done.summary.status).toBe('completed');
    expect(done.events.some((e) => e.type === 'warning' && /closed by <\/Say>/.test(String((e as { message?: string }).message)))).toBe(true);
    expect(h.to('/voice')[0]!.params).toMatchObject({ To: '+19495551212', From: '+14155550100', Direction: 'inbound', CallStatus: 'ringing' });
  });

  it('forwards with <sip> on its own too, and uses a full sip: URI as it is', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><sip>sip:support@pbx.didforsale.example;transport=tcp</sip></Response>' } });
    h.stand.onRequest = answer(30);
    const caller = h.stand.call({ to: '+19495551212' });
    expect(await caller.response()).toBe(200);
    await h.finished();
    expect(h.stand.sent('INVITE')[0]!.message.startLine).toBe('INVITE sip:support@pbx.didforsale.example;transport=tcp SIP/2.0');
  });

  it('passes the callee’s busy back to the caller when the forward fails and the document ends', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><dial><sip>sip.didforsale.example</sip></dial></Response>' } });
    h.stand.onRequest = (req) => req.respond(486);
    const caller = h.stand.call({ to: '+19495551212' });
    expect(await caller.response()).toBe(486);
    expect((await h.finished()).summary.status).toBe('completed');
  });
});

describe('Synthflow: the app redirects the call to a SIP URI with X-EI', () => {
  it('puts the URI’s X-EI header on the INVITE, with the CallSid the app was given', async () => {
    h = await startHarness({
      app: { method: 'GET', url: 'https://app.example/redirect_call' },
      routes: {
        '/redirect_call': (req) =>
          `<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>sip:${req.params['Called']}@sipin.synthflow.example:32681?X-EI=${req.params['CallSid']}</Sip></Dial></Response>`,
      },
    });
    h.stand.onRequest = answer(30);
    const caller = h.stand.call({ to: '+14155550142' });
    expect(await caller.response()).toBe(200);
    await h.finished();
    const sid = h.to('/redirect_call')[0]!.params['CallSid']!;
    expect(sid).toMatch(/^CA[0-9a-f]{32}$/);
    const invite = h.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:+14155550142@sipin.synthflow.example:32681 SIP/2.0');
    expect(header(invite.message, 'X-EI')).toBe(sid);
  });
});

describe('SigmaMind: trunk credentials, digest auth, TLS, 404', () => {
  const realm = 'sigmamind.example';
  const nonce = 'b7c9036dbf357f7683f054aea940e240';
  /** Challenges the first INVITE, answers one with the right credentials, refuses wrong ones. */
  const withAuth = (username: string, password: string) => (req: AppRequest) => {
    const auth = req.get('Authorization');
    if (!auth) return req.respond(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` } });
    if (!digestValid(auth, 'INVITE', { username, password, realm, nonce })) return req.respond(403);
    answer(30)(req);
  };

  it('answers a 401 with <Sip username password> and sends the INVITE again with Authorization', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip username="agent7" password="s3cret">sip:+14155550142@sip.sigmamind.example</Sip></Dial></Response>' } });
    h.stand.onRequest = withAuth('agent7', 's3cret');
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.finished();
    const [first, retry] = h.stand.sent('INVITE');
    expect(header(first!.message, 'Authorization')).toBeUndefined();
    expect(digestParams(header(retry!.message, 'Authorization'))).toMatchObject({ username: 'agent7', realm, nonce, uri: 'sip:+14155550142@sip.sigmamind.example' });
    // RFC 3261 §22.2: same Call-ID, CSeq one higher.
    expect(retry!.callId).toBe(first!.callId);
    expect(cseqOf(retry!.message).seq).toBe(cseqOf(first!.message).seq + 1);
    expect(retry!.message.body).toContain('v=0');
  });

  it('dials numbers through the trunk over TLS (5061, proxy/registrar) with the trunk’s credentials and From on its domain', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Dial callerId="+14155550100"><Number>+14155550142</Number></Dial></Response>' },
      config: {
        trunks: [{ name: 'sigmamind', domain: 'your-domain.pstn.twilio.com', username: 'trunkuser', password: 'trunkpass', proxy: 'sip.twilio.com', transport: 'tls', register: false, expires: 3600, tls: { verify: false } }], // the stand-in carries no TLS; the certificate check is trunk-tls.test.ts's
        numbers: { trunk: 'sigmamind' },
      },
    });
    h.stand.onRequest = withAuth('trunkuser', 'trunkpass');
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.finished();
    const [first, retry] = h.stand.sent('INVITE');
    expect(first!.message.startLine).toBe('INVITE sips:+14155550142@your-domain.pstn.twilio.com:5061;transport=tls SIP/2.0');
    expect(first!.proxy).toBe('sip:sip.twilio.com:5061;transport=tls');
    expect(header(first!.message, 'From')).toMatch(/^<sip:\+14155550100@your-domain\.pstn\.twilio\.com>;tag=/);
    expect(digestParams(header(retry!.message, 'Authorization'))['username']).toBe('trunkuser');
  });

  it('reports a 404 from the far end as DialCallStatus failed with DialSipResponseCode 404', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Dial action="/dialed"><Sip>sip:+14155550142@sip.sigmamind.example</Sip></Dial></Response>',
        '/dialed': '<Response><Hangup/></Response>',
      },
    });
    h.stand.onRequest = (req) => req.respond(404);
    h.stand.call();
    await h.finished();
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'failed', DialSipResponseCode: '404' });
  });

  it('offers a session timer on outbound INVITEs when configured (RFC 4028)', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>sip:+14155550142@sip.sigmamind.example</Sip></Dial></Response>' }, config: { sessionTimer: 1800 } });
    h.stand.onRequest = answer(30);
    h.stand.call();
    await h.finished();
    const invite = h.stand.sent('INVITE')[0]!;
    expect(header(invite.message, 'Session-Expires')).toBe('1800;refresher=uac');
    expect(header(invite.message, 'Supported')).toBe('timer');
  });
});

describe('PolyAI: SIP headers to the app, handoff by INVITE and by REFER', () => {
  it('gives the app every X- header of the INVITE and the caller and callee numbers', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Hangup/></Response>' } });
    const caller = h.stand.call({ from: '+15551234567', to: '+15557654321', callerName: 'VIP Caller', headers: { 'X-Customer-ID': 'C-42', 'X-Branch': 'North', 'User-to-User': '00112233;encoding=hex' } });
    await h.finished();
    expect(h.to('/voice')[0]!.params).toMatchObject({
      From: '+15551234567',
      Caller: '+15551234567',
      To: '+15557654321',
      Called: '+15557654321',
      'SipHeader_X-Customer-ID': 'C-42',
      'SipHeader_X-Branch': 'North',
      'SipHeader_User-to-User': '00112233;encoding=hex',
      SipCallId: caller.callId,
    });
    // Hung up before answering: a final response, no BYE.
    expect(await caller.response()).toBe(480);
  });

  it('hands off by INVITE with custom headers and the outbound caller id', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Dial callerId="+15551234567"><Sip>sip:2222222@handoff.example?X-Customer-ID=C-42&amp;X-Call-Type=Support</Sip></Dial></Response>' },
    });
    h.stand.onRequest = answer(30);
    h.stand.call({ from: '+15551234567' });
    await h.finished();
    const invite = h.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:2222222@handoff.example SIP/2.0');
    expect(header(invite.message, 'X-Customer-ID')).toBe('C-42');
    expect(header(invite.message, 'X-Call-Type')).toBe('Support');
    expect(header(invite.message, 'From')).toMatch(/^<?sip:\+15551234567@127\.0\.0\.1:5060>?;tag=/);
  });

  it('hands off by REFER with Refer-To and the URI’s headers, and follows the NOTIFYs to the final status', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Refer action="/refer-done"><Sip>sip:support@example.com?X-Caller-ID=%2B15551234567</Sip></Refer></Response>',
        '/refer-done': '<Response><Hangup/></Response>',
      },
    });
    h.stand.onInDialog = (req) => {
      if (req.method !== 'REFER') return false;
      req.respond(202);
      const d = req.dialog;
      const sipfrag = (line: string, state: string) =>
        d.request('NOTIFY', { headers: { Event: 'refer', 'Subscription-State': state, 'Content-Type': 'message/sipfrag;version=2.0' }, body: `${line}\r\n` });
      setTimeout(() => void sipfrag('SIP/2.0 100 Trying', 'active;expires=60').then(() => sipfrag('SIP/2.0 200 OK', 'terminated;reason=noresource')), 20);
      return true;
    };
    const caller = h.stand.call();
    const done = await h.finished();
    // Without a media server the caller is answered with an inactive stream so the REFER can go in the dialog.
    const ok = h.stand.log.find((r) => r.from === 'app' && r.status === 200 && r.callId === caller.callId)!;
    expect(ok.message.body).toContain('a=inactive');
    const refer = h.stand.sent('REFER')[0]!;
    expect(header(refer.message, 'Refer-To')).toBe('<sip:support@example.com>');
    expect(header(refer.message, 'X-Caller-ID')).toBe('+15551234567');
    expect(header(refer.message, 'Referred-By')).toMatch(/^<sip:/);
    expect(h.to('/refer-done')[0]!.params).toMatchObject({ ReferCallStatus: 'in-progress', ReferSipResponseCode: '202', NotifySipResponseCode: '200' });
    // The transfer succeeded: the call is the far end's, didml hangs up its side.
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === caller.callId, 3000, 'the BYE after the transfer');
    expect(done.summary.reason).toBe('transferred by <Refer>');
  });

  it('reports a 405 to the REFER as ReferCallStatus failed and goes on with the call', async () => {
    h = await startHarness({
      routes: {
        '/voice': '<Response><Refer action="/refer-done"><Sip>sip:support@example.com</Sip></Refer></Response>',
        '/refer-done': '<Response><Hangup/></Response>',
      },
    });
    h.stand.onInDialog = (req) => (req.method === 'REFER' ? (req.respond(405), true) : false);
    h.stand.call();
    const done = await h.finished();
    expect(h.to('/refer-done')[0]!.params).toMatchObject({ ReferCallStatus: 'failed', ReferSipResponseCode: '405' });
    expect(done.summary.reason).toBe('<Hangup>');
    expect(done.summary.errors).toEqual([]);
  });
});
