// A call placed on drachtio once the far end answered: the app's document runs on the far end's
// leg (a real session, Direction outbound-api), through the stand-in drachtio-server: media verbs
// on the FreeSWITCH endpoint the INVITE offered (scripted, fake-media.ts), <Connect><Stream> on
// didml's own RTP peer without a media server, a <Dial> by re-INVITE, and the ways it ends.
import { afterEach, describe, expect, it } from 'vitest';
import type { DialTarget } from '../../src/telephony/adapter.js';
import { FakeMedia } from './fake-media.js';
import { startHarness, type Harness, type Route } from './harness.js';
import { rtpSocket, until } from './rtp-peer.js';
import { sdp } from './stand-in/sip.js';
import { mediaFrames, twilioStreamProblems, wsAgent, type WsAgent } from './ws-agent.js';

let h: Harness | undefined;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const agent: DialTarget = { kind: 'sip', uri: 'sip:agent@one.example', headers: {} };

const mediaServer = { mediaServer: { address: '127.0.0.1', port: 8021, secret: 'ClueCon', listenPort: 0, profile: 'drachtio_mrf' } };

async function harness(routes: Record<string, Route>, o: { media?: FakeMedia; config?: object } = {}): Promise<Harness> {
  const media = o.media;
  h = await startHarness({ routes, config: { rtp: { address: '127.0.0.1' }, ...(media ? mediaServer : {}), ...o.config }, ...(media ? { media: () => Promise.resolve(media) } : {}) });
  for (let i = 0; i < 100 && media && !h.logs.some((l) => l.msg === 'media server connected'); i++) await new Promise((r) => setTimeout(r, 5));
  return h;
}

describe('a placed call on drachtio, answered', () => {
  it('with a media server: offers an endpoint, points it at the answer, says the document\'s <Say> on it, and hangs up with a BYE', async () => {
    const media = new FakeMedia();
    const x = await harness({ '/voice': '<Response><Say>Your appointment is tomorrow</Say><Hangup/></Response>' }, { media });
    let inCalls: boolean | undefined;
    media.onOp = (_ep, op) => {
      if (op.startsWith('speak')) inCalls = x.adapter.calls.size === 1;
    };
    x.stand.onRequest = (req) => (req.respond(180), req.respond(200));
    x.place(agent);
    const done = await x.finished();
    const invite = x.stand.sent('INVITE')[0]!;
    const ok = x.stand.log.find((r) => r.from === 'network' && r.status === 200 && r.callId === invite.callId)!;
    expect(invite.message.body).toBe(media.endpoints[0]!.localSdp);
    expect(media.endpoints[0]!.remoteSdp).toBe(ok.message.body);
    expect(media.ops).toEqual(['ep0 offer', 'ep0 modify', 'ep0 speak "Your appointment is tomorrow" man en-US', 'ep0 destroy']);
    expect(inCalls).toBe(true);
    expect(x.to('/voice')[0]!.params).toMatchObject({ Direction: 'outbound-api', CallStatus: 'in-progress', From: '+14155550100', To: 'sip:agent@one.example' });
    await x.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE' && r.callId === invite.callId);
    expect(done.summary).toMatchObject({ status: 'completed', reason: '<Hangup>' });
    expect(x.adapter.calls.size).toBe(0);
  });

  it('with a media server that does not take the far end\'s answer: hung up with a BYE, failed, and the document never runs', async () => {
    const media = new FakeMedia();
    const offer = media.offer.bind(media);
    media.offer = async () => Object.assign(await offer(), { modify: () => Promise.reject(new Error('-ERR no codec')) });
    const x = await harness({ '/voice': '<Response><Say>Hi</Say></Response>' }, { media });
    x.stand.onRequest = (req) => req.respond(200);
    const placed = x.place(agent);
    expect(await placed.result).toEqual({ answered: false, status: 'failed', sipResponseCode: 200, reason: 'the media server did not take the answer of sip:agent@one.example: -ERR no codec' });
    await x.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE');
    expect(x.to('/voice')).toEqual([]);
    expect(x.adapter.calls.size).toBe(0);
  });

  it('the far end hanging up ends the call: the BYE is answered, the leg ends by the called party', async () => {
    const x = await harness({ '/voice': '<Response><Pause length="30"/></Response>' });
    x.stand.onRequest = (req) => {
      req.respond(200);
      void req.dialog!.acked.then(() => setTimeout(() => void req.dialog!.bye(), 20));
    };
    const placed = x.place(agent);
    const done = await x.finished();
    expect(done.summary).toMatchObject({ status: 'completed', reason: 'the called party hung up' });
    const r = await placed.result;
    expect(r.answered && (await r.call.leg.ended)).toEqual({ by: 'caller' });
    const bye = x.stand.log.find((m) => m.from === 'network' && m.method === 'BYE')!;
    await x.stand.waitFor((m) => m.from === 'app' && m.status === 200 && m.method === 'BYE' && m.callId === bye.callId);
    expect(x.adapter.calls.size).toBe(0);
  });

  it('without a media server a media verb fails the call with DIDML_TELEPHONY naming drachtio.mediaServer', async () => {
    const x = await harness({ '/voice': '<Response><Say>Hello</Say></Response>' });
    x.stand.onRequest = (req) => req.respond(200);
    x.place(agent);
    const done = await x.finished();
    expect(done.summary.reason).toMatch(/<Say> needs a media server, and drachtio.mediaServer is not configured/);
    await x.stand.waitFor((r) => r.from === 'app' && r.method === 'BYE');
  });

  it('<Connect><Stream> without a media server: the agent hears the far end on the RTP socket the INVITE offered, and the far end hears the agent, with no re-INVITE', async () => {
    const far = await rtpSocket();
    cleanups.push(far.close);
    let bot!: WsAgent;
    bot = await wsAgent((m, ws) => {
      // Once it has heard the far end, the agent speaks: 20 ms of μ-law.
      if (m.event === 'media' && mediaFrames(bot.messages).length === 1) ws.send(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload: Buffer.alloc(160, 0x55).toString('base64') } }));
    });
    cleanups.push(() => bot.close());
    const x = await harness({ '/voice': `<Response><Connect><Stream url="${bot.url}"/></Connect></Response>` });
    x.stand.onRequest = (req) => req.respond(200, { body: sdp('127.0.0.1', far.port) });
    x.place(agent);
    await until(() => bot.messages.some((m) => m.event === 'start'), 'the stream started');
    const offer = x.stand.sent('INVITE')[0]!.message.body;
    const didmlPort = Number(/^m=audio (\d+)/m.exec(offer)![1]);
    // The far end talks to where the INVITE said: μ-law frames, payload type 0.
    const packet = Buffer.concat([Buffer.from([0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7]), Buffer.alloc(160, 0x7f)]);
    far.socket.send(packet, didmlPort, '127.0.0.1');
    await until(() => mediaFrames(bot.messages).length > 0, 'the agent got the far end\'s audio');
    expect(mediaFrames(bot.messages)[0]).toEqual(Buffer.alloc(160, 0x7f));
    await until(() => far.received.length > 0, 'the far end got the agent\'s audio');
    expect(far.received[0]!.subarray(12)).toEqual(Buffer.alloc(160, 0x55));
    expect(x.stand.sent('INVITE')).toHaveLength(1);
    (await bot.connected).close();
    const done = await x.finished();
    expect(done.summary.status).toBe('completed');
  });

  it('<Start><Stream track="both_tracks"> without a media server taps didml\'s own RTP peer: the far end inbound, the <Connect> agent\'s audio outbound (silence between), in Twilio framing', async () => {
    const far = await rtpSocket();
    cleanups.push(far.close);
    const observer = await wsAgent();
    cleanups.push(() => observer.close());
    let bot!: WsAgent;
    bot = await wsAgent((m, ws) => {
      if (m.event === 'media' && mediaFrames(bot.messages).length === 1) ws.send(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload: Buffer.alloc(160, 0x55).toString('base64') } }));
    });
    cleanups.push(() => bot.close());
    const x = await harness({
      '/voice': `<Response><Start><Stream name="watch" url="${observer.url}" track="both_tracks" statusCallback="/stream"/></Start><Connect><Stream url="${bot.url}"/></Connect></Response>`,
      '/stream': '',
    });
    x.stand.onRequest = (req) => req.respond(200, { body: sdp('127.0.0.1', far.port) });
    x.place(agent);
    await until(() => bot.messages.some((m) => m.event === 'start'), 'the agent\'s stream started');
    const didmlPort = Number(/^m=audio (\d+)/m.exec(x.stand.sent('INVITE')[0]!.message.body)![1]);
    far.socket.send(Buffer.concat([Buffer.from([0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7]), Buffer.alloc(160, 0x7f)]), didmlPort, '127.0.0.1');
    const track = (t: string) => observer.messages.filter((m) => m.event === 'media' && (m['media'] as { track: string }).track === t).map((m) => Buffer.from((m['media'] as { payload: string }).payload, 'base64'));
    await until(() => track('outbound').some((f) => f.equals(Buffer.alloc(160, 0x55))), 'the observer heard the agent on the outbound track');
    expect(track('inbound')).toEqual([Buffer.alloc(160, 0x7f)]);
    // Silence (μ-law 0xff) where nothing was sent, one frame of the agent's audio.
    expect(new Set(track('outbound').map((f) => f[0]))).toEqual(new Set([0xff, 0x55]));
    expect(observer.messages[1]).toMatchObject({ event: 'start', start: { tracks: ['inbound', 'outbound'] } });
    (await bot.connected).close();
    await x.finished();
    await until(() => observer.messages.some((m) => m.event === 'stop'), 'the fork stopped with the call');
    expect(twilioStreamProblems(observer.messages)).toEqual([]);
    await until(() => x.to('/stream').length >= 2, 'both status callbacks came');
    expect(x.to('/stream').map((r) => [r.params['StreamEvent'], r.params['StreamName']])).toEqual([
      ['stream-started', 'watch'],
      ['stream-stopped', 'watch'],
    ]);
  });

  it('<Dial> without a media server: the callee is offered the far end\'s SDP and the far end is re-INVITEd with the callee\'s answer (third-party call control)', async () => {
    const x = await harness({ '/voice': '<Response><Dial action="/dialed"><Sip>sip:b@two.example</Sip></Dial></Response>', '/dialed': '<Response><Hangup/></Response>' });
    const farAnswer = sdp('198.51.100.21', 30010);
    const calleeAnswer = sdp('198.51.100.40', 32000);
    x.stand.onRequest = (req) => {
      if (req.uri.includes('agent@')) return req.respond(200, { body: farAnswer });
      req.respond(200, { body: calleeAnswer });
      void req.dialog!.acked.then(() => setTimeout(() => void req.dialog!.bye(), 30));
    };
    x.place(agent);
    const done = await x.finished();
    const [toFar, toCallee, reinvite] = x.stand.sent('INVITE');
    expect(toCallee!.message.startLine).toBe('INVITE sip:b@two.example SIP/2.0');
    expect(toCallee!.message.body).toBe(farAnswer);
    expect(reinvite!.callId).toBe(toFar!.callId);
    expect(reinvite!.message.body).toBe(calleeAnswer);
    expect(x.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed' });
    expect(done.summary.reason).toBe('<Hangup>');
  });

  it('the connection to drachtio-server lost ends the call with that reason', async () => {
    const x = await harness({ '/voice': '<Response><Pause length="30"/></Response>' });
    x.stand.onRequest = (req) => {
      req.respond(200);
      void req.dialog!.acked.then(() => setTimeout(() => x.stand.dropConnections(), 20));
    };
    x.place(agent);
    const done = await x.finished();
    expect(done.summary.reason).toBe('the connection to drachtio-server was lost');
    expect(x.adapter.calls.size).toBe(0);
  });

  it('busy: the call is over unanswered and the app is never asked for a document', async () => {
    const x = await harness({ '/voice': '<Response><Hangup/></Response>' });
    x.stand.onRequest = (req) => req.respond(486);
    x.place(agent);
    const done = await x.finished();
    expect(done.summary.status).toBe('busy');
    expect(x.to('/voice')).toEqual([]);
  });
});
