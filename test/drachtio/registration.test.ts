// Vida and SigmaMind: REGISTER to a PBX or trunk with digest auth, kept alive before it expires,
// retried with back-off; pbx:/ext: targets and numbers through it; Vida route strings.
import { afterEach, describe, expect, it } from 'vitest';
import type { TrunkConfig } from '../../src/telephony/drachtio/index.js';
import { startHarness, type Harness } from './harness.js';
import { cseqOf, digestParams, digestValid, header } from './stand-in/sip.js';
import type { AppRequest } from './stand-in/server.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const realm = 'pbx.example.com';
const nonce = '5e2f1a9c';
const pbx: TrunkConfig = { name: 'pbx', domain: 'pbx.example.com', username: '1001', password: 'pw1001', registrar: 'registrar.pbx.example.com', transport: 'udp', register: true, expires: 3600 };

/** A registrar that challenges every REGISTER without credentials and grants `expires` seconds. */
function registrar(expires: number, before: (req: AppRequest) => boolean = () => false) {
  return (req: AppRequest) => {
    if (req.method === 'INVITE') {
      const auth = req.get('Authorization');
      if (!auth) return req.respond(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}"` } });
      if (!digestValid(auth, 'INVITE', { username: '1001', password: 'pw1001', realm, nonce })) return req.respond(403);
      req.respond(200);
      void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), 20));
      return;
    }
    if (req.method !== 'REGISTER') return req.respond(405);
    if (before(req)) return;
    const auth = req.get('Authorization');
    if (!auth) return req.respond(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` } });
    if (!digestValid(auth, 'REGISTER', { username: '1001', password: 'pw1001', realm, nonce })) return req.respond(403);
    req.respond(200, { headers: { Contact: `${req.get('Contact')};expires=${expires}` } });
  };
}

/** Resolves once the adapter reports the registration up (bounded). */
async function registered(x: Harness): Promise<void> {
  for (let i = 0; i < 300 && x.adapter.registrations()[0]?.state !== 'registered'; i++) await new Promise((r) => setTimeout(r, 10));
  expect(x.adapter.registrations()[0]?.state).toBe('registered');
}

describe('SIP registration', () => {
  it('REGISTERs with digest auth, and refreshes with the same Call-ID before what was granted runs out', async () => {
    h = await startHarness({ routes: {}, config: { trunks: [pbx] } });
    h.stand.onRequest = registrar(2);
    // Granted 2 s: refreshed after 1 s; each REGISTER is challenged, so the refresh is the 3rd and 4th.
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'REGISTER' && r.status === undefined && h!.stand.sent('REGISTER').length >= 4, 6000, 'the refresh');
    const [first, authed, refresh, refreshAuthed] = h.stand.sent('REGISTER');
    expect(first!.message.startLine).toBe('REGISTER sip:pbx.example.com SIP/2.0');
    expect(first!.proxy).toBe('sip:registrar.pbx.example.com:5060');
    expect(header(first!.message, 'From')).toMatch(/^<sip:1001@pbx\.example\.com>;tag=/);
    expect(header(first!.message, 'To')).toBe('<sip:1001@pbx.example.com>');
    expect(header(first!.message, 'Contact')).toBe('<sip:1001@127.0.0.1:5060>');
    expect(header(first!.message, 'Expires')).toBe('3600');
    expect(header(first!.message, 'Authorization')).toBeUndefined();
    expect(digestParams(header(authed!.message, 'Authorization'))).toMatchObject({ username: '1001', realm, nonce, uri: 'sip:pbx.example.com' });
    // RFC 3261 §10.2.4: one Call-ID for the registration, CSeq going up.
    expect(new Set([first, authed, refresh, refreshAuthed].map((r) => r!.callId)).size).toBe(1);
    const seqs = [first, authed, refresh, refreshAuthed].map((r) => cseqOf(r!.message).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(4);
    expect(h.adapter.registrations()).toEqual([expect.objectContaining({ trunk: 'pbx', state: 'registered', expires: 2, failures: 0 })]);
  });

  it('retries a failed registration with back-off until it succeeds', async () => {
    let refusals = 0;
    h = await startHarness({ routes: {}, config: { trunks: [pbx] }, registrationTiming: { retryMs: 40, retryMaxMs: 200 } });
    h.stand.onRequest = registrar(3600, (req) => (refusals++ < 2 ? (req.respond(503), true) : false));
    await registered(h);
    const registers = h.stand.sent('REGISTER');
    expect(registers.length).toBe(4); // 503, 503, 401, 200
    expect(h.logs.filter((l) => l.msg === 'registration failed; retrying').map((l) => l['retryInMs'])).toEqual([40, 80]);
    expect(h.adapter.registrations()[0]).toMatchObject({ state: 'registered', failures: 0, lastSipResponseCode: 200 });
  });

  it('Vida: dials ext:NAME through the registration, with its credentials', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Number>ext:2002</Number></Dial></Response>' }, config: { trunks: [pbx] } });
    h.stand.onRequest = registrar(3600);
    await h.stand.waitFor((r) => r.from === 'network' && r.method === 'REGISTER' && r.status === 200);
    const caller = h.stand.call();
    expect(await caller.response()).toBe(200);
    await h.finished();
    const [invite, retry] = h.stand.sent('INVITE');
    expect(invite!.message.startLine).toBe('INVITE sip:2002@pbx.example.com:5060 SIP/2.0');
    expect(invite!.proxy).toBe('sip:registrar.pbx.example.com:5060');
    expect(digestParams(header(retry!.message, 'Authorization'))['username']).toBe('1001');
  });

  it('Vida: dials <Sip>pbx:NAME through the registration too', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>pbx:sales</Sip></Dial></Response>' }, config: { trunks: [pbx] } });
    h.stand.onRequest = registrar(3600);
    await h.stand.waitFor((r) => r.from === 'network' && r.method === 'REGISTER' && r.status === 200);
    h.stand.call();
    await h.finished();
    const [invite, retry] = h.stand.sent('INVITE');
    expect(invite!.message.startLine).toBe('INVITE sip:sales@pbx.example.com:5060 SIP/2.0');
    expect(invite!.proxy).toBe('sip:registrar.pbx.example.com:5060');
    expect(digestParams(header(retry!.message, 'Authorization'))['username']).toBe('1001');
  });

  it('Vida: a <Refer> to pbx:NAME sends Refer-To the extension at the PBX', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Refer action="/referred"><Sip>pbx:2002</Sip></Refer></Response>', '/referred': '<Response><Hangup/></Response>' },
      config: { trunks: [{ ...pbx, transport: 'tcp', port: 5070 }] },
    });
    h.stand.onRequest = registrar(3600);
    h.stand.onInDialog = (req) => (req.method === 'REFER' ? (req.respond(405), true) : false);
    await h.stand.waitFor((r) => r.from === 'network' && r.method === 'REGISTER' && r.status === 200);
    h.stand.call();
    await h.finished();
    const refer = h.stand.sent('REFER')[0]!;
    expect(header(refer.message, 'Refer-To')).toBe('<sip:2002@pbx.example.com:5070;transport=tcp>');
    expect(h.to('/referred')[0]!.params).toMatchObject({ ReferCallStatus: 'failed', ReferSipResponseCode: '405' });
  });

  it('ends the call saying what to configure when a <Refer> names pbx: and no trunk registers', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Refer><Sip>ext:2002</Sip></Refer></Response>' } });
    h.stand.call();
    const done = await h.finished();
    expect(h.stand.sent('REFER')).toEqual([]);
    expect(done.summary.reason).toMatch(/<Refer>: ext:2002: ext: targets go through a PBX registration; add a trunk with "register": true/);
  });

  it('REGISTERs every trunk again at once when the connection to drachtio-server comes back, though still registered', async () => {
    const carrier: TrunkConfig = { name: 'carrier', domain: 'carrier.example', username: '1001', password: 'pw1001', transport: 'tls', register: true, expires: 3600, tls: { verify: false } }; // no TLS in the stand-in
    h = await startHarness({ routes: {}, config: { trunks: [pbx, carrier] } });
    h.stand.onRequest = registrar(3600);
    for (let i = 0; i < 300 && !h.adapter.registrations().every((r) => r.state === 'registered'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.adapter.registrations().map((r) => r.state)).toEqual(['registered', 'registered']);
    const before = h.stand.sent('REGISTER');
    const oldConn = before[0]!.conn;
    // Granted 3600 s: the next refresh would be 30 minutes away; only the reconnect can send these.
    h.stand.dropConnections();
    await h.stand.authenticated(2);
    const again = (domain: string) => (r: { from: string; method: string; status?: number; conn?: unknown; message: { startLine: string } }) =>
      r.from === 'app' && r.method === 'REGISTER' && r.status === undefined && r.conn !== oldConn && r.message.startLine === `REGISTER sip:${domain} SIP/2.0`;
    const [pbxAgain, carrierAgain] = await Promise.all([h.stand.waitFor(again('pbx.example.com'), 5000, 'a new REGISTER to the PBX'), h.stand.waitFor(again('carrier.example'), 5000, 'a new REGISTER to the carrier')]);
    // The same registration (Call-ID), CSeq going on (RFC 3261 §10.2.4).
    const callIdOf = (domain: string) => before.find((r) => r.message.startLine === `REGISTER sip:${domain} SIP/2.0`)!.callId;
    expect(pbxAgain.callId).toBe(callIdOf('pbx.example.com'));
    expect(carrierAgain.callId).toBe(callIdOf('carrier.example'));
    expect(cseqOf(pbxAgain.message).seq).toBeGreaterThan(Math.max(...before.filter((r) => r.callId === pbxAgain.callId).map((r) => cseqOf(r.message).seq)));
    expect(header(carrierAgain.message, 'Contact')).toBe('<sip:1001@127.0.0.1:5060;transport=tls>');
    expect(h.logs.some((l) => l.msg === 'registering every trunk on the new connection')).toBe(true);
    await h.stand.waitFor((r) => r.from === 'network' && r.method === 'REGISTER' && r.status === 200 && r.conn !== oldConn && h!.stand.log.filter((x) => x.from === 'network' && x.status === 200 && x.conn !== oldConn).length >= 2, 5000, 'both registered again');
  });

  it('a REGISTER left unanswered on a lost connection does not hold up the one on the new connection', async () => {
    // The response timeout is far off: what registers is the REGISTER sent on reconnecting.
    h = await startHarness({ routes: {}, config: { trunks: [pbx] }, registrationTiming: { responseTimeoutMs: 600_000 } });
    let silent = true;
    h.stand.onRequest = (req) => (silent ? undefined : registrar(3600)(req));
    await h.stand.waitFor((r) => r.from === 'app' && r.method === 'REGISTER', 5000, 'the first REGISTER');
    expect(h.adapter.registrations()[0]!.state).toBe('registering');
    silent = false;
    h.stand.dropConnections();
    await h.stand.authenticated(2);
    await registered(h);
    expect(h.stand.sent('REGISTER').length).toBe(3); // the lost one, then 401 and 200 on the new connection
  });

  it('unregisters (Expires: 0) when the adapter closes', async () => {
    h = await startHarness({ routes: {}, config: { trunks: [pbx] } });
    h.stand.onRequest = registrar(3600);
    await registered(h);
    await h.adapter.close();
    const last = h.stand.sent('REGISTER').filter((r) => header(r.message, 'Expires') === '0');
    expect(last.length).toBeGreaterThan(0);
  });
});

describe('Vida outbound route strings', () => {
  it('sends numbers to numbers.route: host, port, transport, through proxyAddress', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Dial><Number>+14155550142</Number></Dial></Response>' },
      config: { numbers: { route: 'sip.example.com:6000;transport=tcp;proxyAddress=proxy.example.com:6000' } },
    });
    h.stand.onRequest = (req) => (req.respond(200), void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), 20)));
    h.stand.call();
    await h.finished();
    const invite = h.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:+14155550142@sip.example.com:6000;transport=tcp SIP/2.0');
    expect(invite.proxy).toBe('sip:proxy.example.com:6000;transport=tcp');
  });

  it('takes proxyAddress out of a <Sip> URI and uses it as the outbound proxy (default port 5060)', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial><Sip>sip:+14155550142@sip.example.com;transport=tcp;proxyAddress=proxy.example.com</Sip></Dial></Response>' } });
    h.stand.onRequest = (req) => (req.respond(200), void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), 20)));
    h.stand.call();
    await h.finished();
    const invite = h.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:+14155550142@sip.example.com;transport=tcp SIP/2.0');
    expect(invite.proxy).toBe('sip:proxy.example.com:5060;transport=tcp');
  });

  it('fails a number with no route, saying what to configure', async () => {
    h = await startHarness({ routes: { '/voice': '<Response><Dial action="/dialed"><Number>+14155550142</Number></Dial></Response>', '/dialed': '<Response/>' } });
    h.stand.call();
    await h.finished();
    expect(h.stand.sent('INVITE')).toEqual([]);
    expect(h.to('/dialed')[0]!.params['DialCallStatus']).toBe('failed');
    expect(h.logs.some((l) => /no route for phone numbers; set drachtio.numbers/.test(String(l['error'])))).toBe(true);
  });
});
