// Opt-in: the seed flows against a real drachtio-server, with sipp (Debian's sip-tester) as the
// caller and as the far ends, on loopback. What it needs is in real-peers.ts; without it the
// suite is skipped and says why.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { mediaFrames, wsAgent } from './ws-agent.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { runCall, type CallSummary } from '../../src/runtime/session.js';
import { createDrachtioAdapter, withDefaults } from '../../src/telephony/drachtio/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport, type HandlerRequest } from '../../src/webhook/handler.js';
import { BIN, HOST, PORT, SECRET, callee, caller, freeMediaPort, freePort, freeTcpPort, noDrachtio as why, runSipp, setup as start, type Route, type Setup } from './real-peers.js';
import * as sipp from './sipp-scenarios.js';

if (why) console.warn(`test/drachtio/real-server.test.ts: skipped; ${why}`);

let current: Setup | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** didml on the real drachtio-server, closed after the test. */
async function setup(routes: Record<string, Route>, ...rest: Parameters<typeof start> extends [unknown, ...infer R] ? R : never): Promise<Setup> {
  current = await start(routes, ...rest);
  return current;
}

describe.skipIf(Boolean(why))('against a real drachtio-server, sipp as caller and callee', () => {
  it('DIDforSale: <sip> with a bare host forwards the call', async () => {
    const far = await callee(sipp.calleeAnswers({ requestUri: '^INVITE sip:\\+19495551212@127\\.0\\.0\\.1' }));
    const s = await setup({ '/voice': `<Response><dial><sip>127.0.0.1:${far.port}</sip></dial></Response>` });
    expect(await caller(s, sipp.callerAnswered(), '+19495551212')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
    expect((await s.summaries[0])!.status).toBe('completed');
  });

  it('Synthflow: the X-EI header of the <Sip> URI reaches the INVITE', async () => {
    const far = await callee(sipp.calleeAnswers({ headers: [['X-EI', 'CA[0-9a-f]{32}']] }));
    const s = await setup(
      { '/redirect_call': (req) => `<Response><Dial><Sip>sip:${req.params['Called']}@127.0.0.1:${far.port}?X-EI=${req.params['CallSid']}</Sip></Dial></Response>` },
      {},
      { url: 'https://app.example/redirect_call', method: 'GET' },
    );
    expect(await caller(s, sipp.callerAnswered(), '+14155550142')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
  });

  it('SigmaMind: 401, then the INVITE again with the <Sip> credentials', async () => {
    const far = await callee(sipp.calleeWithDigest({ username: 'agent7', password: 's3cret', realm: 'sigmamind.example' }));
    const s = await setup({ '/voice': `<Response><Dial><Sip username="agent7" password="s3cret">sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>` });
    expect(await caller(s, sipp.callerAnswered(), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
  });

  it('SigmaMind: a 404 is DialSipResponseCode 404, and the caller gets it too', async () => {
    const far = await callee(sipp.calleeRefuses('404 Not Found'));
    const s = await setup({
      '/voice': `<Response><Dial action="/dialed"><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>`,
      '/dialed': '<Response><Hangup/></Response>',
    });
    expect(await caller(s, sipp.callerRefused(404), '+14155550199')).toMatchObject({ code: 0 });
    await s.summaries[0];
    expect(s.requests.find((r) => r.url.endsWith('/dialed'))!.params).toMatchObject({ DialCallStatus: 'failed', DialSipResponseCode: '404' });
  });

  it.each([202, 405] as const)('PolyAI: headers to the app, and a REFER handoff answered %i', async (response) => {
    const s = await setup({
      '/voice': '<Response><Refer action="/refer-done"><Sip>sip:support@example.com?X-Caller-ID=%2B15551234567</Sip></Refer></Response>',
      '/refer-done': '<Response><Hangup/></Response>',
    });
    const r = await caller(s, sipp.callerReferred({ referTo: 'sip:support@example\\.com', header: ['X-Caller-ID', '\\+15551234567'], response, headers: { 'X-Customer-ID': 'C-42' } }), '+15557654321');
    expect(r).toMatchObject({ code: 0 });
    await s.summaries[0];
    expect(s.requests[0]!.params).toMatchObject({ 'SipHeader_X-Customer-ID': 'C-42', To: '+15557654321', From: '+14155550100' });
    expect(s.requests.find((q) => q.url.endsWith('/refer-done'))!.params).toMatchObject(
      response === 202 ? { ReferCallStatus: 'in-progress', NotifySipResponseCode: '200' } : { ReferCallStatus: 'failed', ReferSipResponseCode: '405' },
    );
  });

  it('Vida: 403 from an address off the access list, 404 for a From that is not E.164', async () => {
    let s = await setup({ '/voice': '<Response><Hangup/></Response>' }, { accessList: ['192.0.2.0/24'] });
    expect(await caller(s, sipp.callerRefused(403), '+14155550199')).toMatchObject({ code: 0 });
    await s.close();
    current = undefined;
    s = await setup({ '/voice': '<Response><Hangup/></Response>' }, { requireE164From: true });
    expect(await caller(s, sipp.callerRefused(404, { from: 'alice' }), '+14155550199')).toMatchObject({ code: 0 });
    expect(s.requests).toEqual([]);
  });

  it('the caller hanging up a bridged call: didml sends the callee a BYE (signalling only)', async () => {
    const far = await callee(sipp.calleeAnswersUntilBye());
    const s = await setup({ '/voice': `<Response><Dial action="/dialed"><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>`, '/dialed': '<Response/>' });
    expect(await caller(s, sipp.callerHangsUp({ afterMs: 1200 }), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
    expect(await s.summaries[0]).toMatchObject({ status: 'completed', reason: 'caller hung up' });
    expect(s.requests.find((r) => r.url.endsWith('/dialed'))!.params).toMatchObject({ DialCallStatus: 'completed', DialCallDuration: expect.stringMatching(/^[12]$/) });
  });

  it('a <Sip> URI with transport=tcp goes out over TCP to a far end listening on TCP', async () => {
    const port = await freeTcpPort();
    const run = runSipp(sipp.calleeAnswers({ requestUri: '^INVITE sip:\\+14155550142@127\\.0\\.0\\.1:[0-9]+;transport=tcp SIP' }), ['-p', String(port), '-t', 't1']);
    // sipp listens on TCP once it has started: wait until it accepts.
    for (let i = 0; i < 100 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 20));
    const s = await setup({ '/voice': `<Response><Dial><Sip>sip:+14155550142@127.0.0.1:${port};transport=tcp</Sip></Dial></Response>` });
    expect(await caller(s, sipp.callerAnswered(), '+14155550199')).toMatchObject({ code: 0 });
    expect(await run.done).toMatchObject({ code: 0 });
  });

  it('a hold (re-INVITE) from the caller while bridged reaches the callee, and its answer comes back (signalling only)', async () => {
    const far = await callee(sipp.calleeHeld());
    const s = await setup({ '/voice': `<Response><Dial><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>` });
    expect(await caller(s, sipp.callerHolds({ afterMs: 500 }), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
  });

  it('early media: the callee\'s 183 with SDP reaches the caller before the answer (signalling only, answerOnBridge)', async () => {
    const far = await callee(sipp.calleeEarlyMedia({ ringMs: 600, talkMs: 300 }));
    const s = await setup({ '/voice': `<Response><Dial answerOnBridge="true"><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>` });
    expect(await caller(s, sipp.callerAnswered({ earlyMedia: true }), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
  });

  it('SigmaMind: <Connect><Stream> to an AI agent without a media server: the caller\'s audio reaches the agent in Twilio Media Streams messages', async () => {
    // The agent has heard a second of the caller: it ends the stream, and the document goes on.
    const agent = await wsAgent((m, ws) => m.event === 'media' && mediaFrames(agent.messages).length === 50 && ws.close());
    try {
      const s = await setup({ '/voice': `<Response><Connect><Stream url="${agent.url}"/></Connect><Hangup/></Response>` }, { rtp: { address: '127.0.0.1' } });
      const talking = runSipp(sipp.callerPresses({ keys: '', afterMs: 0, audio: '/usr/share/sip-tester/g711a.pcap' }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
      expect(await talking.done).toMatchObject({ code: 0 });
      expect(await s.summaries[0]).toMatchObject({ reason: '<Hangup>' });
      expect(agent.messages.find((m) => m.event === 'start')?.['start']).toMatchObject({ mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } });
      const media = mediaFrames(agent.messages);
      expect(media.length).toBeGreaterThanOrEqual(50);
      expect(media.every((f) => f.length === 160)).toBe(true);
      // Speech, not silence: the frames vary.
      expect(new Set(media.map((f) => f.toString('hex'))).size).toBeGreaterThan(10);
    } finally {
      await agent.close();
    }
  });

  it('a far end that only rings is CANCELled at the Dial timeout', async () => {
    const far = await callee(sipp.calleeRingsUntilCancelled());
    const s = await setup({ '/voice': `<Response><Dial timeout="2"><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>` });
    expect(await caller(s, sipp.callerRefused(480), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
  });

  it('a 200 that crosses the CANCEL sent at the Dial timeout is ACKed and hung up at once', async () => {
    const far = await callee(sipp.calleeAnswersAcrossCancel());
    const s = await setup({ '/voice': `<Response><Dial timeout="1" action="/dialed"><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>`, '/dialed': '<Response><Hangup/></Response>' });
    expect(await caller(s, sipp.callerRefused(480), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
    expect(s.requests.find((r) => r.url.endsWith('/dialed'))!.params).toMatchObject({ DialCallStatus: 'no-answer' });
  });

  it('the caller cancelling while the Dial rings CANCELs the far end', async () => {
    const far = await callee(sipp.calleeRingsUntilCancelled());
    const s = await setup({ '/voice': `<Response><Dial answerOnBridge="true"><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial></Response>` });
    expect(await caller(s, sipp.callerCancels(), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
    expect((await s.summaries[0])!.status).toBe('canceled');
  });

  it('Vida/SigmaMind: REGISTERs with digest auth and takes what the registrar grants', async () => {
    const reg = await callee(sipp.registrar({ username: '1001', password: 'pw1001', realm: 'pbx.example.com', expires: 60 }));
    const s = await setup({}, { trunks: [{ name: 'pbx', domain: 'pbx.example.com', username: '1001', password: 'pw1001', registrar: `127.0.0.1:${reg.port}`, transport: 'udp', register: true, expires: 3600 }] });
    expect(await reg.done).toMatchObject({ code: 0 });
    for (let i = 0; i < 100 && s.adapter.registrations()[0]?.state !== 'registered'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(s.adapter.registrations()[0]).toMatchObject({ state: 'registered', expires: 60 });
  });

  it('Vida: dials ext:NAME through the registration: the INVITE goes to the PBX with the trunk credentials', async () => {
    const auth = { username: '1001', password: 'pw1001', realm: 'pbx.example.com' };
    const reg = await callee(sipp.registrar({ ...auth, expires: 60 }));
    const s = await setup(
      { '/voice': '<Response><Dial><Number>ext:2002</Number></Dial></Response>' },
      { trunks: [{ name: 'pbx', domain: 'pbx.example.com', username: '1001', password: 'pw1001', registrar: `127.0.0.1:${reg.port}`, transport: 'udp', register: true, expires: 3600 }] },
    );
    expect(await reg.done).toMatchObject({ code: 0 });
    // The PBX now takes the call on the address it registered at.
    const pbx = await callee(sipp.calleeWithDigest({ ...auth, requestUri: '^INVITE sip:2002@pbx\\.example\\.com:5060 SIP' }), reg.port);
    expect(await caller(s, sipp.callerAnswered(), '+14155550199')).toMatchObject({ code: 0 });
    expect(await pbx.done).toMatchObject({ code: 0 });
  });

  it('Vida: a route string sends numbers to its host and port through its proxyAddress', async () => {
    const proxy = await callee(sipp.calleeAnswers({ requestUri: '^INVITE sip:\\+14155550142@sip\\.vida\\.example:6000 SIP' }));
    const s = await setup({ '/voice': '<Response><Dial><Number>+14155550142</Number></Dial></Response>' }, { numbers: { route: `sip.vida.example:6000;proxyAddress=127.0.0.1:${proxy.port}` } });
    expect(await caller(s, sipp.callerAnswered(), '+14155550199')).toMatchObject({ code: 0 });
    expect(await proxy.done).toMatchObject({ code: 0 });
  });

  it('a placed call (the Calls API): the INVITE offers didml\'s RTP with the X- headers and From, the far end answers, the document runs and hangs up with a BYE', async () => {
    const far = await callee(
      sipp.calleeAnswersUntilBye({
        requestUri: '^INVITE sip:agent@127\\.0\\.0\\.1:[0-9]+ SIP',
        headers: [['X-Campaign', 'renewals'], ['From', 'sip:\\+14155550100@']],
        body: 'm=audio [0-9]+ RTP/AVP 0 101',
      }),
    );
    const s = await setup({ '/voice': '<Response><Pause length="1"/><Hangup/></Response>' }, { rtp: { address: '127.0.0.1' } });
    const placed = s.place({ kind: 'sip', uri: `sip:agent@127.0.0.1:${far.port}`, headers: { 'X-Campaign': 'renewals' } });
    expect(await placed.result).toMatchObject({ answered: true });
    expect(await far.done).toMatchObject({ code: 0 });
    expect(await s.summaries[0]).toMatchObject({ status: 'completed', reason: '<Hangup>' });
    expect(s.requests[0]!.params).toMatchObject({ Direction: 'outbound-api', CallStatus: 'in-progress' });
    expect(s.adapter.calls.size).toBe(0);
  });

  it('a placed call answered 486 is busy, and its document never runs', async () => {
    const far = await callee(sipp.calleeRefuses('486 Busy Here'));
    const s = await setup({ '/voice': '<Response><Hangup/></Response>' }, { rtp: { address: '127.0.0.1' } });
    const placed = s.place({ kind: 'sip', uri: `sip:agent@127.0.0.1:${far.port}`, headers: {} });
    expect(await placed.result).toMatchObject({ answered: false, status: 'busy', sipResponseCode: 486 });
    expect(await far.done).toMatchObject({ code: 0 });
    expect((await s.summaries[0])!.status).toBe('busy');
    expect(s.requests).toEqual([]);
  });

  it('a placed call that only rings is CANCELled at its timeout: no-answer with the 487', async () => {
    const far = await callee(sipp.calleeRingsUntilCancelled());
    const s = await setup({ '/voice': '<Response><Hangup/></Response>' }, { rtp: { address: '127.0.0.1' } });
    const placed = s.place({ kind: 'sip', uri: `sip:agent@127.0.0.1:${far.port}`, headers: {} }, { timeout: 2 });
    expect(await placed.result).toMatchObject({ answered: false, status: 'no-answer', sipResponseCode: 487 });
    expect(await far.done).toMatchObject({ code: 0 });
  });

  it('the connection to drachtio-server lost mid-call ends the call with that reason; regained, the next call runs', async () => {
    // A loopback TCP relay between didml and drachtio-server's admin port that the test can cut.
    const links = new Set<Socket>();
    const relay = createServer((app) => {
      const server = connect(PORT, HOST);
      for (const [a, b] of [[app, server], [server, app]] as const) {
        links.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => (links.delete(a), b.destroy()));
        a.pipe(b);
      }
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayPort = (relay.address() as { port: number }).port;
    try {
      const far = await callee(sipp.calleeAnswers({ talkMs: 10_000 }));
      let farPort = far.port;
      const s = await setup(
        { '/voice': () => `<Response><Dial><Sip>sip:+14155550142@127.0.0.1:${farPort}</Sip></Dial></Response>` },
        { inbound: { host: '127.0.0.1', port: relayPort, secret: SECRET! } },
      );
      const first = runSipp(sipp.callerAnswered(), [s.sip, '-s', '+14155550199', '-p', String(await freePort())]);
      for (let i = 0; i < 200 && s.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 500)); // the callee answers at once: bridged by now
      for (const l of links) l.destroy();
      const summary = await s.summaries[0]!;
      expect(summary.reason).toBe('the connection to drachtio-server was lost');
      first.stop();
      far.stop();
      for (let i = 0; i < 500 && !s.adapter.connected; i++) await new Promise((r) => setTimeout(r, 20));
      expect(s.adapter.connected).toBe(true);
      const far2 = await callee(sipp.calleeAnswers({ talkMs: 200 }));
      farPort = far2.port;
      const second = runSipp(sipp.callerAnswered(), [s.sip, '-s', '+14155550198', '-p', String(await freePort())]);
      expect(await second.done).toMatchObject({ code: 0 });
      expect(await far2.done).toMatchObject({ code: 0 });
      expect((await s.summaries[1]!).status).toBe('completed');
    } finally {
      for (const l of links) l.destroy();
      relay.close();
    }
  });

  it.skipIf(!BIN)('outbound mode: a drachtio-server routes each INVITE to didml (request-handler answers "route"), and the call runs on that connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'didml-drachtio-'));
    const routed: string[] = [];
    let didmlPort = 0;
    // drachtio-server asks this where an INVITE goes (its <request-handlers>): to didml.
    const router = createHttpServer((req, res) => {
      routed.push(req.url ?? '');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ action: 'route', data: { uri: `127.0.0.1:${didmlPort}` } }));
    });
    await new Promise<void>((r) => router.listen(0, '127.0.0.1', r));
    const [admin, sipPort] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'drachtio.conf.xml'),
      `<drachtio>
  <admin port="${admin}" secret="${SECRET!}">127.0.0.1</admin>
  <request-handlers><request-handler sip-method="INVITE" http-method="GET">http://127.0.0.1:${(router.address() as { port: number }).port}/route</request-handler></request-handlers>
  <sip><contacts><contact>sip:127.0.0.1:${sipPort};transport=udp</contact></contacts></sip>
  <cdrs>false</cdrs>
  <logging><file><name>${join(dir, 'drachtio.log')}</name><archive>${join(dir, 'archive')}</archive><size>5</size><maxFiles>1</maxFiles><auto-flush>true</auto-flush></file><loglevel>info</loglevel><sofia-loglevel>3</sofia-loglevel></logging>
</drachtio>`,
    );
    const server = spawn(BIN!, ['-f', join(dir, 'drachtio.conf.xml')], { stdio: 'ignore' });
    const requests: HandlerRequest[] = [];
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    let far: Awaited<ReturnType<typeof callee>> | undefined;
    const webhooks = createWebhookClient({
      transport: handlerTransport((req) => {
        requests.push(req);
        return `<Response><Dial><Sip>sip:+14155550142@127.0.0.1:${far!.port}</Sip></Dial></Response>`;
      }),
    });
    const adapter = createDrachtioAdapter({ config: withDefaults({ outbound: { host: '127.0.0.1', port: 0, secret: SECRET! } }), log });
    const summaries: Promise<CallSummary>[] = [];
    try {
      await adapter.listen((call) => summaries.push(runCall(call, { app: { url: 'https://app.example/voice' }, webhooks, clock: realClock })));
      didmlPort = adapter.port!;
      for (let i = 0; i < 100; i++) {
        if (spawnSync('ss', ['-ltn', `sport = :${admin}`]).stdout.toString().includes(String(admin))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const n of [1, 2]) {
        far = await callee(sipp.calleeAnswers({ talkMs: 200 }));
        const caller = runSipp(sipp.callerAnswered(), [`127.0.0.1:${sipPort}`, '-s', `+1415555019${n}`, '-p', String(await freePort())]);
        expect(await caller.done).toMatchObject({ code: 0 });
        expect(await far.done).toMatchObject({ code: 0 });
        expect((await summaries[n - 1]!).status).toBe('completed');
      }
      expect(routed).toHaveLength(2);
      expect(routed[0]).toMatch(/method=INVITE/);
      expect(requests.map((r) => r.params['To'])).toEqual(['+14155550191', '+14155550192']);
    } finally {
      await adapter.close();
      await webhooks.close();
      server.kill();
      router.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Whether something listens on 127.0.0.1:`port` over TCP. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
