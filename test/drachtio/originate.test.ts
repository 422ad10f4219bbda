// Placing a call on drachtio (the adapter's originate, Twilio's Calls API underneath): the INVITE
// as it goes out through the stand-in drachtio-server, and what each answer of the far end makes
// of it. The answered call's document is placed-call.test.ts's.
import { afterEach, describe, expect, it } from 'vitest';
import { DidmlError } from '../../src/errors.js';
import type { DialTarget, OriginateOptions, OriginateResult } from '../../src/telephony/adapter.js';
import { startHarness, type Harness } from './harness.js';
import type { AppRequest } from './stand-in/server.js';
import { cseqOf, digestParams, digestValid, header } from './stand-in/sip.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const agent: DialTarget = { kind: 'sip', uri: 'sip:agent@one.example', headers: {} };

/** didml on the stand-in with no app (nothing calls in); its RTP socket on loopback. */
async function harness(config: Parameters<typeof startHarness>[0]['config'] = {}): Promise<Harness> {
  h = await startHarness({ routes: {}, config: { rtp: { address: '127.0.0.1' }, ...config } });
  return h;
}

/** Places a call and keeps its progress. */
function place(x: Harness, o: Partial<OriginateOptions> = {}): { result: Promise<OriginateResult>; progress: string[] } {
  const progress: string[] = [];
  const result = x.adapter.originate({
    target: agent,
    from: '+14155550100',
    timeout: 30,
    onProgress: (p) => progress.push(p.event === 'initiated' ? `initiated ${p.callId}` : p.event),
    ...o,
  });
  return { result, progress };
}

/** The leg of an answered call, hung up by the test once it has looked. */
async function hangUp(r: OriginateResult): Promise<void> {
  if (r.answered) await r.call.leg.hangup('test over');
}

describe('placing a call on drachtio', () => {
  it('sends the INVITE with didml\'s RTP offer, reports initiated (with its Call-ID) and ringing, and answers with the leg in the adapter\'s calls', async () => {
    const x = await harness();
    x.stand.onRequest = (req) => {
      req.respond(180);
      setTimeout(() => req.respond(200, { headers: { 'X-Agent-Session': 's-17' } }), 20);
    };
    const { result, progress } = place(x);
    const r = await result;
    const invite = x.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:agent@one.example SIP/2.0');
    // Without a media server the offer is didml's own RTP socket (call-rtp.ts): μ-law and telephone events.
    expect(invite.message.body).toMatch(/^c=IN IP4 127\.0\.0\.1\r$/m);
    expect(invite.message.body).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 101\r$/m);
    expect(progress).toEqual([`initiated ${invite.callId}`, 'ringing']);
    expect(r.answered).toBe(true);
    if (!r.answered) return;
    expect(r.call).toMatchObject({ callId: invite.callId, from: '+14155550100', to: 'sip:agent@one.example', toUri: 'sip:agent@one.example' });
    expect(r.call.headers['X-Agent-Session']).toBe('s-17');
    expect(r.call.leg.answered).toBe(true);
    expect(x.adapter.calls.get(invite.callId)).toBe(r.call.leg);
    // answer() has nothing to do on a call answered already.
    await r.call.leg.answer();
    await r.call.leg.hangup('done');
    const bye = await x.stand.waitFor((m) => m.from === 'app' && m.method === 'BYE' && m.callId === invite.callId);
    expect(bye.message.startLine).toBe('BYE sip:far@198.51.100.20:5060 SIP/2.0');
    expect(await r.call.leg.ended).toEqual({ by: 'app', reason: 'done' });
    expect(x.adapter.calls.size).toBe(0);
  });

  it('puts the target\'s X- headers on the INVITE, and the caller ID on From (drachtio-server\'s address, or a SIP URI as given)', async () => {
    const x = await harness();
    x.stand.onRequest = (req) => req.respond(486);
    await place(x, { target: { kind: 'sip', uri: 'sip:agent@one.example', headers: { 'X-Customer-Id': '42', 'X-Campaign': 'renewals' } } }).result;
    await place(x, { from: 'sip:outreach@didml.example' }).result;
    const [first, second] = x.stand.sent('INVITE');
    expect(header(first!.message, 'X-Customer-Id')).toBe('42');
    expect(header(first!.message, 'X-Campaign')).toBe('renewals');
    expect(header(first!.message, 'From')).toMatch(/^<?sip:\+14155550100@127\.0\.0\.1:5060>?;tag=/);
    expect(header(second!.message, 'From')).toMatch(/^<sip:outreach@didml\.example>;tag=/);
  });

  it.each([486, 600])('%i is busy, with the code and a reason', async (code) => {
    const x = await harness();
    x.stand.onRequest = (req) => req.respond(code);
    expect(await place(x).result).toEqual({ answered: false, status: 'busy', sipResponseCode: code, reason: `sip:agent@one.example is busy (${code})` });
    expect(x.adapter.calls.size).toBe(0);
  });

  it.each([404, 503])('%i is failed, with the code', async (code) => {
    const x = await harness();
    x.stand.onRequest = (req) => req.respond(code);
    expect(await place(x).result).toMatchObject({ answered: false, status: 'failed', sipResponseCode: code, reason: expect.stringMatching(new RegExp(`answered ${code} `)) });
  });

  it('rings until the timeout, then CANCELs: no-answer with the 487', async () => {
    const x = await harness();
    x.stand.onRequest = (req) => req.respond(180);
    const { result, progress } = place(x, { timeout: 1 });
    expect(await result).toEqual({ answered: false, status: 'no-answer', sipResponseCode: 487, reason: 'no answer within the timeout of 1 s' });
    const invite = x.stand.sent('INVITE')[0]!;
    const cancel = x.stand.sent('CANCEL')[0]!;
    // RFC 3261 §9.1: the CANCEL names the INVITE's Request-URI, Call-ID and CSeq number.
    expect(cancel.message.startLine).toBe('CANCEL sip:agent@one.example SIP/2.0');
    expect(cancel.callId).toBe(invite.callId);
    expect(cseqOf(cancel.message)).toEqual({ seq: cseqOf(invite.message).seq, method: 'CANCEL' });
    expect(progress).toEqual([`initiated ${invite.callId}`, 'ringing']);
  });

  it('the signal aborted while it rings CANCELs it: canceled', async () => {
    const x = await harness();
    x.stand.onRequest = (req) => req.respond(180);
    const abort = new AbortController();
    const { result } = place(x, { signal: abort.signal, onProgress: (p) => p.event === 'ringing' && abort.abort() });
    expect(await result).toEqual({ answered: false, status: 'canceled', sipResponseCode: 487, reason: 'the call was canceled before it was answered' });
    expect(x.stand.sent('CANCEL')).toHaveLength(1);
  });

  it('the signal aborted before the INVITE went: canceled, and nothing is sent', async () => {
    const x = await harness();
    expect(await place(x, { signal: AbortSignal.abort() }).result).toEqual({ answered: false, status: 'canceled', reason: 'the call was canceled before it was placed' });
    expect(x.stand.sent()).toEqual([]);
  });

  it('a 200 that crosses the CANCEL at the timeout is ACKed and hung up at once: still no-answer', async () => {
    const x = await harness();
    x.stand.onRequest = (req) => {
      req.respond(180);
      req.onCancel = () => req.respond(200);
    };
    const r = await place(x, { timeout: 1 }).result;
    expect(r).toMatchObject({ answered: false, status: 'no-answer', sipResponseCode: 200 });
    const invite = x.stand.sent('INVITE')[0]!;
    await x.stand.waitFor((m) => m.from === 'app' && m.method === 'ACK' && m.callId === invite.callId);
    await x.stand.waitFor((m) => m.from === 'app' && m.method === 'BYE' && m.callId === invite.callId);
    expect(x.adapter.calls.size).toBe(0);
  });

  it('answers a 401 with the target\'s credentials: the INVITE again with Authorization, same Call-ID, next CSeq', async () => {
    const x = await harness();
    const realm = 'agents.example';
    const nonce = '4f1c0de4';
    x.stand.onRequest = (req: AppRequest) => {
      const auth = req.get('Authorization');
      if (!auth) return req.respond(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` } });
      req.respond(digestValid(auth, 'INVITE', { username: 'bot', password: 'pw', realm, nonce }) ? 200 : 403);
    };
    const r = await place(x, { target: { ...agent, auth: { username: 'bot', password: 'pw' } } }).result;
    expect(r.answered).toBe(true);
    const [first, retry] = x.stand.sent('INVITE');
    expect(header(first!.message, 'Authorization')).toBeUndefined();
    expect(digestParams(header(retry!.message, 'Authorization'))).toMatchObject({ username: 'bot', realm, nonce, uri: 'sip:agent@one.example' });
    expect(retry!.callId).toBe(first!.callId);
    expect(cseqOf(retry!.message).seq).toBe(cseqOf(first!.message).seq + 1);
    await hangUp(r);
  });

  it('a number goes by drachtio.numbers.route: its host and port, through its proxyAddress', async () => {
    const x = await harness({ numbers: { route: 'sip.vida.example:6000;proxyAddress=10.9.8.7:5070' } });
    x.stand.onRequest = (req) => req.respond(486);
    await place(x, { target: { kind: 'number', number: '+14155550142' } }).result;
    const invite = x.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:+14155550142@sip.vida.example:6000 SIP/2.0');
    expect(invite.proxy).toBe('sip:10.9.8.7:5070');
  });

  it('a number goes by drachtio.numbers.trunk: TLS to its domain through its proxy, From on its domain, its credentials for a 407', async () => {
    const x = await harness({
      trunks: [{ name: 'carrier', domain: 'trunk.carrier.example', username: 'tu', password: 'tp', proxy: 'edge.carrier.example', transport: 'tls', register: false, expires: 3600, tls: { verify: false } }], // no TLS in the stand-in (trunk-tls.test.ts checks certificates)
      numbers: { trunk: 'carrier' },
    });
    const realm = 'carrier.example';
    x.stand.onRequest = (req) => {
      if (!req.get('Proxy-Authorization')) return req.respond(407, { headers: { 'Proxy-Authenticate': `Digest realm="${realm}", nonce="n407", algorithm=MD5` } });
      req.respond(200);
    };
    const r = await place(x, { target: { kind: 'number', number: '+14155550142' } }).result;
    expect(r.answered).toBe(true);
    const [first, retry] = x.stand.sent('INVITE');
    expect(first!.message.startLine).toBe('INVITE sips:+14155550142@trunk.carrier.example:5061;transport=tls SIP/2.0');
    expect(first!.proxy).toBe('sip:edge.carrier.example:5061;transport=tls');
    expect(header(first!.message, 'From')).toMatch(/^<sip:\+14155550100@trunk\.carrier\.example>;tag=/);
    expect(digestParams(header(retry!.message, 'Proxy-Authorization'))).toMatchObject({ username: 'tu', realm });
    await hangUp(r);
  });

  it('refuses what it cannot place at all with DIDML_TELEPHONY naming what to set, and sends nothing', async () => {
    const x = await harness();
    const refusal = (target: DialTarget) =>
      x.adapter.originate({ target, from: '+14155550100', timeout: 30 }).then(
        () => 'placed',
        (e: unknown) => (e instanceof DidmlError ? `${e.code}: ${e.message}` : String(e)),
      );
    expect(await refusal({ kind: 'number', number: '+14155550142' })).toBe(
      'DIDML_TELEPHONY: placing a call: +14155550142: no route for phone numbers; set drachtio.numbers to a trunk or a route string',
    );
    expect(await refusal({ kind: 'client', identity: 'alice' })).toMatch(/^DIDML_TELEPHONY: placing a call: <Client>alice<\/Client>: the drachtio backend has no registrar of clients/);
    expect(x.stand.sent('INVITE')).toEqual([]);
  });

  it('outbound mode has no connection to place calls on: DIDML_TELEPHONY says to configure drachtio.inbound', async () => {
    h = await startHarness({ outbound: true, routes: {} });
    await expect(h.adapter.originate({ target: agent, from: '+14155550100', timeout: 30 })).rejects.toThrow(/configure drachtio\.inbound/);
  });

  it('the connection to drachtio-server lost while it rings: failed, saying so', async () => {
    const x = await harness();
    x.stand.onRequest = (req) => {
      req.respond(180);
      setTimeout(() => x.stand.dropConnections(), 10);
    };
    expect(await place(x).result).toEqual({ answered: false, status: 'failed', reason: 'the connection to drachtio-server was lost' });
  });
});
