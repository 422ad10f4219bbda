// The SIP flows of the seed documents (/work/shared/seeds, README there), each run end to end:
// the app as the vendor tells users to write it, the INVITE or REFER as it leaves, and what the
// app receives about a SIP call. (reference §4a, §5)
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SID, heard, one, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const targets = (events: { type: string; [k: string]: unknown }[]) => one(events, 'dial')['targets'];

describe('DIDforSale <sip> (seed 000)', () => {
  // The seed's own example, </Say> closing <sip> included.
  const SEED = '<?xml version="1.0" encoding="UTF-8"?> \n<Response>\n     <dial>\n         <sip>sip.example.com</Say>\n     </dial>\n </Response>';

  it('runs the published example: a bare host dials the dialled number at that host, with a warning for </Say>', async () => {
    app = await startApp({ '/voice': SEED });
    const { events, summary } = await runApp({ app: app.url('/voice'), script: { to: '19495550100' } });
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:19495550100@sip.example.com', headers: {} }]);
    expect(ofType(events, 'warning').map((w) => w['message']).join('\n')).toMatch(/<\/Say>|<sip>/);
    expect(summary.errors).toEqual([]);
  });

  it('uses a full sip: URI as it is', async () => {
    app = await startApp({ '/voice': '<Response><dial><sip>sip:conference@sip.example.com</Say></dial></Response>' });
    const { events } = await runApp({ app: app.url('/voice'), script: { to: '19495550100' } });
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:conference@sip.example.com', headers: {} }]);
  });

  it('<sip> on its own forwards the call, as a <dial> around it would', async () => {
    app = await startApp({ '/voice': '<Response><say>Forwarding</say><sip>pbx.example.com</sip><say>After</say></Response>' });
    const { events } = await runApp({ app: app.url('/voice'), script: { to: '19495550100', callees: { '*': { talk: 10 } } } });
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:19495550100@pbx.example.com', headers: {} }]);
    expect(one(events, 'bridge')).toBeTruthy();
    expect(heard(events)).toEqual(['Forwarding', 'After']);
  });

  it('in TwiML a bare host is a host, not the dialled number at it', async () => {
    app = await startApp({ '/voice': xml('<Dial><Sip>sip:pbx.example.com</Sip></Dial>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:pbx.example.com', headers: {} }]);
  });
});

describe('Synthflow direct SIP dialling (seed 002)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    server = undefined;
  });

  it('the seed\'s Express app answers GET /redirect_call; its X-EI header rides on the INVITE', async () => {
    // The seed's JavaScript example, as published (TERMINATION and all).
    const seen: Record<string, unknown>[] = [];
    const web = express();
    const TERMINATION = 'sipin.synthflow.ai:32681';
    web.get('/redirect_call', (req, res) => {
      seen.push({ ...req.query });
      const { Called, CallSid } = req.query as Record<string, string>;
      if (!Called) {
        res.status(400).send('Missing "Called" query parameter');
        return;
      }
      const voiceResponse = new twilio.twiml.VoiceResponse();
      voiceResponse.dial().sip(`sip:${Called}@${TERMINATION}?X-EI=${CallSid}`);
      res.set('Content-Type', 'text/xml');
      res.status(200).send(voiceResponse.toString());
    });
    server = await new Promise<Server>((resolve) => {
      const s = web.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/redirect_call`;

    const { events, summary } = await runApp({ app: { url, method: 'GET' }, script: { to: '+18005550100' } });
    expect(seen).toEqual([expect.objectContaining({ Called: '+18005550100', CallSid: CALL_SID })]);
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:+18005550100@sipin.synthflow.ai:32681', headers: { 'X-EI': CALL_SID } }]);
    expect(one(events, 'dial-attempt')['target']).toMatchObject({ headers: { 'X-EI': CALL_SID } });
    expect(summary.errors).toEqual([]);
  });
});

describe('SigmaMind SIP trunk credentials (seed 003)', () => {
  const TRUNK = 'sip:+14155550111@trunk.example.com';
  const dialTrunk = (attrs: string) => xml(`<Dial action="/after"><Sip ${attrs}>${TRUNK}</Sip></Dial>`);
  const script = { callees: { [TRUNK]: { ring: 2, talk: 30, requireAuth: { username: 'acme', password: 's3cret' } } } };

  it('answers the 401 challenge with username and password and connects; no password in the transcript', async () => {
    app = await startApp({ '/voice': dialTrunk('username="acme" password="s3cret"'), '/after': xml('') });
    const { events } = await runApp({ app: app.url('/voice'), script });
    const attempts = ofType(events, 'dial-attempt');
    expect(attempts.map((a) => a['username'])).toEqual([undefined, 'acme']);
    expect(ofType(events, 'dial-response').map((r) => r['sipResponseCode'])).toEqual([401, 200]);
    expect(app.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'completed', DialSipResponseCode: '200', DialCallDuration: '30' });
    expect(JSON.stringify(events)).not.toContain('s3cret');
  });

  it('without credentials the 401 stands: DialCallStatus=failed, DialSipResponseCode=401', async () => {
    app = await startApp({ '/voice': dialTrunk(''), '/after': xml('') });
    await runApp({ app: app.url('/voice'), script });
    expect(app.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'failed', DialSipResponseCode: '401', DialBridged: 'false' });
  });

  it('with the wrong password: 403', async () => {
    app = await startApp({ '/voice': dialTrunk('username="acme" password="guess"'), '/after': xml('') });
    await runApp({ app: app.url('/voice'), script });
    expect(app.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'failed', DialSipResponseCode: '403' });
  });

  it('a 404 from the far end: failed with 404', async () => {
    app = await startApp({ '/voice': dialTrunk('username="acme" password="s3cret"'), '/after': xml('') });
    await runApp({ app: app.url('/voice'), script: { callees: { [TRUNK]: { response: 404 } } } });
    expect(app.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'failed', DialSipResponseCode: '404' });
  });

  it('dials over TLS on 5061 when the URI says so', async () => {
    app = await startApp({ '/voice': xml('<Dial><Sip>sip:+14155550111@trunk.example.com:5061;transport=tls</Sip></Dial>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:+14155550111@trunk.example.com:5061;transport=tls', headers: {}, transport: 'tls' }]);
  });
});

describe('PolyAI custom SIP (seed 004)', () => {
  const INVITE = {
    from: 'sip:+15551234567@sbc.example.com',
    to: 'sip:+15557654321@didml.example.com',
    callerName: 'Ada Lovelace',
    sourceIp: '192.0.2.10',
    headers: { 'X-Customer-Tier': 'vip', 'X-Account': 'A-1001', 'User-to-User': '3a4b;encoding=hex', 'P-Asserted-Identity': '<sip:+15551234567@sbc.example.com>' },
  };

  it('the app sees the INVITE\'s X- and User-to-User headers, the caller and callee numbers, and routes VIPs on a header', async () => {
    app = await startApp({
      '/voice': (r) =>
        r.params['SipHeader_X-Customer-Tier'] === 'vip'
          ? xml('<Dial><Sip>sip:vip-desk@pbx.example.com</Sip></Dial>')
          : xml('<Dial><Sip>sip:general@pbx.example.com</Sip></Dial>'),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: INVITE });
    const p = app.to('/voice')[0]!.params;
    expect(p).toMatchObject({
      From: '+15551234567',
      To: '+15557654321',
      Caller: '+15551234567',
      Called: '+15557654321',
      CallerName: 'Ada Lovelace',
      SipSourceIp: '192.0.2.10',
      SipCallId: expect.any(String),
      'SipHeader_X-Customer-Tier': 'vip',
      'SipHeader_X-Account': 'A-1001',
      'SipHeader_User-to-User': '3a4b;encoding=hex',
    });
    // Only X- headers and User-to-User reach the app, as on Twilio.
    expect(p['SipHeader_P-Asserted-Identity']).toBeUndefined();
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:vip-desk@pbx.example.com', headers: {} }]);
  });

  it('routes a caller without the header to the general desk', async () => {
    app = await startApp({
      '/voice': (r) => xml(`<Dial><Sip>sip:${r.params['SipHeader_X-Customer-Tier'] === 'vip' ? 'vip-desk' : 'general'}@pbx.example.com</Sip></Dial>`),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { ...INVITE, headers: { 'X-Account': 'A-2' } } });
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:general@pbx.example.com', headers: {} }]);
  });

  it('headers scripted with plain numbers still make a SIP call for the app', async () => {
    app = await startApp({ '/voice': xml('<Hangup/>') });
    await runApp({ app: app.url('/voice'), script: { headers: { 'X-Campaign': 'spring' } } });
    expect(app.to('/voice')[0]!.params).toMatchObject({ 'SipHeader_X-Campaign': 'spring', SipCallId: expect.any(String) });
  });

  it('a PSTN-style call without SIP details gets no Sip parameters', async () => {
    app = await startApp({ '/voice': xml('<Hangup/>') });
    await runApp({ app: app.url('/voice') });
    expect(Object.keys(app.to('/voice')[0]!.params).filter((k) => k.startsWith('Sip'))).toEqual([]);
  });

  it('hands off by INVITE with custom headers and an outbound caller id', async () => {
    app = await startApp({
      '/voice': (r) => xml(`<Dial callerId="+15550001111"><Sip>sip:agent@handoff.example.com?X-Account=${r.params['SipHeader_X-Account']}&amp;X-Intent=billing</Sip></Dial>`),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: INVITE });
    const attempt = one(events, 'dial-attempt');
    expect(attempt).toMatchObject({ callerId: '+15550001111', target: { uri: 'sip:agent@handoff.example.com', headers: { 'X-Account': 'A-1001', 'X-Intent': 'billing' } } });
  });

  it('hands off by REFER with Refer-To headers; the SBC takes the call', async () => {
    app = await startApp({
      '/voice': xml('<Say>Transferring you</Say><Refer action="/handoff"><Sip>sip:agent@sbc.example.com?X-Handoff-Reason=billing&amp;User-to-User=aa01</Sip></Refer>'),
      '/handoff': xml('<Say>Transfer failed</Say>'),
    });
    const { events, summary } = await runApp({ app: app.url('/voice'), script: { ...INVITE, refer: { response: 202, notify: [100, 200] } } });
    expect(one(events, 'refer')).toMatchObject({ uri: 'sip:agent@sbc.example.com', headers: { 'X-Handoff-Reason': 'billing', 'User-to-User': 'aa01' } });
    expect(app.to('/handoff')[0]!.params).toMatchObject({ ReferCallStatus: 'in-progress', ReferSipResponseCode: '202', NotifySipResponseCode: '200' });
    expect(heard(events)).toEqual(['Transferring you']);
    expect(summary.reason).toBe('transferred by <Refer>');
  });

  it('a REFER the far end refuses with 405: the app hears it and the call stays', async () => {
    app = await startApp({
      '/voice': xml('<Refer action="/handoff"><Sip>sip:agent@sbc.example.com?X-Handoff-Reason=billing</Sip></Refer>'),
      '/handoff': xml('<Say>Please hold for an agent</Say><Dial><Sip>sip:agent@pbx.example.com</Sip></Dial>'),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { ...INVITE, refer: { response: 405 } } });
    expect(app.to('/handoff')[0]!.params).toMatchObject({ ReferCallStatus: 'failed', ReferSipResponseCode: '405' });
    expect(heard(events)).toEqual(['Please hold for an agent']);
    expect(targets(events)).toEqual([{ kind: 'sip', uri: 'sip:agent@pbx.example.com', headers: {} }]);
  });
});
