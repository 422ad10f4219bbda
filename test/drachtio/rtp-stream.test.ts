// <Connect><Stream> on drachtio without a media server: didml answers the caller with an RTP
// socket of its own and relays to the app's websocket in Twilio's Media Streams protocol. Real
// sockets on loopback on both sides: a UDP socket plays the caller's RTP (its SDP in the INVITE
// through the stand-in drachtio-server), a `ws` server plays the voice agent.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { mediaFrames, wsAgent, type WsAgent } from './ws-agent.js';
import { startHarness, type Harness } from './harness.js';
import { rtpSocket, until } from './rtp-peer.js';
import { header } from './stand-in/sip.js';
import { hostPolicy } from '../../src/webhook/hosts.js';

let h: Harness | undefined;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The caller's RTP side: a UDP socket, the SDP that offers it, what it receives. */
async function rtpCaller(codecs = '0 101'): Promise<{ socket: Socket; sdp: string; received: Buffer[] }> {
  const { socket, port, received, close } = await rtpSocket();
  cleanups.push(close);
  const pcma = codecs.split(' ').includes('8') && !codecs.split(' ').includes('0');
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${codecs}`,
    pcma ? 'a=rtpmap:8 PCMA/8000' : 'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
  return { socket, sdp, received };
}

/** The voice agent (ws-agent.ts), closed after the test. */
async function agent(): Promise<WsAgent> {
  const a = await wsAgent();
  cleanups.push(() => a.close());
  return a;
}

const rtpPacket = (pt: number, seq: number, ts: number, payload: Buffer) => {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = pt;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(ts, 4);
  header.writeUInt32BE(0x1234, 8);
  return Buffer.concat([header, payload]);
};

describe('<Connect><Stream> without a media server (didml as the RTP peer)', () => {
  it('answers with its own RTP socket and relays both ways in Twilio Media Streams messages', async () => {
    const caller = await rtpCaller();
    const bot = await agent();
    h = await startHarness({
      routes: {
        '/voice': `<Response><Connect action="/after"><Stream url="${bot.url}"><Parameter name="customerId" value="42"/></Stream></Connect></Response>`,
        '/after': '<Response><Hangup/></Response>',
      },
      config: { rtp: { address: '127.0.0.1' } },
    });
    const call = h.stand.call({ sdp: caller.sdp });
    expect(await call.response()).toBe(200);
    const ok = h.stand.log.find((r) => r.from === 'app' && r.status === 200 && r.callId === call.callId)!;
    expect(header(ok.message, 'Content-Type')).toBe('application/sdp');
    const answer = ok.message.body;
    expect(answer).toMatch(/^c=IN IP4 127\.0\.0\.1$/m);
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 0 101$/m);
    const didmlPort = Number(/^m=audio (\d+)/m.exec(answer)![1]);

    const ws = await bot.connected;
    await until(() => bot.messages.length >= 2, 'connected and start');
    expect(bot.messages[0]).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    const start = bot.messages[1] as { event: string; start: Record<string, unknown>; streamSid: string };
    expect(start.event).toBe('start');
    expect(start.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(start.start).toMatchObject({
      streamSid: start.streamSid,
      callSid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      tracks: ['inbound'],
      customParameters: { customerId: '42' },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    });

    // The caller speaks: two 20 ms frames, and presses 5 (an RFC 4733 event sent three times).
    const frames = [Buffer.alloc(160, 0x11), Buffer.alloc(160, 0x22)];
    frames.forEach((f, i) => caller.socket.send(rtpPacket(0, i, i * 160, f), didmlPort, '127.0.0.1'));
    for (let i = 0; i < 3; i++) caller.socket.send(rtpPacket(101, 10 + i, 4000, Buffer.from([5, 0x80, 0, 160])), didmlPort, '127.0.0.1');
    await until(() => bot.messages.filter((m) => m['event'] !== 'connected' && m['event'] !== 'start').length >= 3, 'two media and a dtmf');
    const media = bot.messages.filter((m) => m['event'] === 'media') as unknown as { media: { track: string; chunk: string; timestamp: string; payload: string } }[];
    expect(mediaFrames(bot.messages)).toEqual(frames);
    expect(media.map((m) => [m.media.track, m.media.chunk, m.media.timestamp])).toEqual([['inbound', '1', '0'], ['inbound', '2', '20']]);
    expect(bot.messages.filter((m) => m['event'] === 'dtmf')).toEqual([expect.objectContaining({ dtmf: { track: 'inbound_track', digit: '5' } })]);

    // The agent speaks (three frames), then asks to hear when they have played.
    const said = Buffer.alloc(480, 0x33);
    ws.send(JSON.stringify({ event: 'media', streamSid: start.streamSid, media: { payload: said.toString('base64') } }));
    ws.send(JSON.stringify({ event: 'mark', streamSid: start.streamSid, mark: { name: 'greeting-done' } }));
    await until(() => caller.received.length >= 3, 'three RTP packets to the caller');
    const sent = caller.received.slice(0, 3);
    expect(sent.map((p) => p[1]! & 0x7f)).toEqual([0, 0, 0]);
    expect(Buffer.concat(sent.map((p) => p.subarray(12)))).toEqual(said);
    const seqs = sent.map((p) => p.readUInt16BE(2));
    expect([seqs[1]! - seqs[0]!, seqs[2]! - seqs[1]!]).toEqual([1, 1]);
    await until(() => bot.messages.some((m) => m['event'] === 'mark'), 'the mark back');
    expect(bot.messages.find((m) => m['event'] === 'mark')).toMatchObject({ streamSid: start.streamSid, mark: { name: 'greeting-done' } });

    // The agent hangs up the stream: the document goes on to the action.
    ws.close();
    const done = await h.finished();
    expect(h.to('/after')).toHaveLength(1);
    expect(done.summary.reason).toBe('<Hangup>');
  });

  it('clear drops what has not played, and its marks come back at once', async () => {
    const caller = await rtpCaller();
    const bot = await agent();
    h = await startHarness({ routes: { '/voice': `<Response><Connect><Stream url="${bot.url}"/></Connect></Response>` }, config: { rtp: { address: '127.0.0.1' } } });
    const call = h.stand.call({ sdp: caller.sdp });
    expect(await call.response()).toBe(200);
    const ws = await bot.connected;
    await until(() => bot.messages.length >= 2, 'start');
    const streamSid = (bot.messages[1] as { streamSid: string }).streamSid;
    ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.alloc(160 * 50, 0x44).toString('base64') } }));
    ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'long-answer' } }));
    await until(() => caller.received.length >= 2, 'some audio out');
    ws.send(JSON.stringify({ event: 'clear', streamSid }));
    await until(() => bot.messages.some((m) => m['event'] === 'mark'), 'the mark of the cleared audio');
    const heard = caller.received.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(caller.received.length).toBeLessThan(50);
    expect(caller.received.length - heard).toBeLessThanOrEqual(1);
    await call.bye();
    await h.finished();
    // The call is over: the agent heard `stop`.
    await until(() => bot.messages.some((m) => m['event'] === 'stop'), 'stop');
  });

  it('a PCMA caller is answered in PCMA, and its audio reaches the agent as μ-law', async () => {
    const caller = await rtpCaller('8 101');
    const bot = await agent();
    h = await startHarness({ routes: { '/voice': `<Response><Connect><Stream url="${bot.url}"/></Connect></Response>` }, config: { rtp: { address: '127.0.0.1' } } });
    const call = h.stand.call({ sdp: caller.sdp });
    expect(await call.response()).toBe(200);
    const answer = h.stand.log.find((r) => r.from === 'app' && r.status === 200 && r.callId === call.callId)!.message.body;
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 8 101$/m);
    await bot.connected;
    await until(() => bot.messages.length >= 2, 'start');
    // A-law 0xd5 is the sample +8 (G.711's smallest positive step); in μ-law +8 is 0xfe.
    caller.socket.send(rtpPacket(8, 1, 0, Buffer.alloc(160, 0xd5)), Number(/^m=audio (\d+)/m.exec(answer)![1]), '127.0.0.1');
    await until(() => bot.messages.some((m) => m['event'] === 'media'), 'media');
    expect(mediaFrames(bot.messages)[0]).toEqual(Buffer.alloc(160, 0xfe));
    await call.bye();
    await h.finished();
  });

  it('30 ms packets from the caller reach the agent as 20 ms frames, in order', async () => {
    const caller = await rtpCaller();
    const bot = await agent();
    h = await startHarness({ routes: { '/voice': `<Response><Connect><Stream url="${bot.url}"/></Connect></Response>` }, config: { rtp: { address: '127.0.0.1' } } });
    const call = h.stand.call({ sdp: caller.sdp });
    expect(await call.response()).toBe(200);
    const answer = h.stand.log.find((r) => r.from === 'app' && r.status === 200 && r.callId === call.callId)!.message.body;
    await bot.connected;
    await until(() => bot.messages.length >= 2, 'start');
    const port = Number(/^m=audio (\d+)/m.exec(answer)![1]);
    const audio = Buffer.from(Array.from({ length: 480 }, (_, i) => i % 256));
    caller.socket.send(rtpPacket(0, 1, 0, audio.subarray(0, 240)), port, '127.0.0.1');
    caller.socket.send(rtpPacket(0, 2, 240, audio.subarray(240)), port, '127.0.0.1');
    await until(() => bot.messages.filter((m) => m['event'] === 'media').length >= 3, 'three frames');
    const frames = mediaFrames(bot.messages);
    expect(frames.map((f) => f.length)).toEqual([160, 160, 160]);
    expect(Buffer.concat(frames)).toEqual(audio);
    await call.bye();
    await h.finished();
  });

  it('a stream URL at a cloud metadata address is refused like a webhook to it, and the document goes on', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Connect action="/after"><Stream url="ws://169.254.169.254/latest"/></Connect></Response>', '/after': '<Response><Reject/></Response>' },
      config: { rtp: { address: '127.0.0.1' } },
    });
    const call = h.stand.call();
    expect(await call.response()).toBe(404);
    await h.finished();
    const warned = h.logs.find((l) => l.msg === '<Connect><Stream>: the websocket could not be opened; the document goes on');
    expect(String(warned?.['error'])).toMatch(/169\.254\.169\.254 is a link-local or cloud metadata address/);
  });

  it('the configured host rules (webhook.denyHosts) hold for stream websockets too', async () => {
    const bot = await agent();
    h = await startHarness({
      routes: { '/voice': `<Response><Connect action="/after"><Stream url="${bot.url}"/></Connect></Response>`, '/after': '<Response><Reject/></Response>' },
      config: { rtp: { address: '127.0.0.1' } },
      hosts: hostPolicy({ deny: ['127.0.0.0/8'] }),
    });
    const call = h.stand.call();
    expect(await call.response()).toBe(404);
    await h.finished();
    expect(bot.messages).toEqual([]);
    expect(String(h.logs.find((l) => l.msg === '<Connect><Stream>: the websocket could not be opened; the document goes on')?.['error'])).toMatch(/127\.0\.0\.1.*webhook\.denyHosts/);
  });

  it('once the caller\'s audio has come from an address, audio from any other is not the caller\'s', async () => {
    const caller = await rtpCaller();
    const intruder = createSocket('udp4');
    await new Promise<void>((r) => intruder.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => intruder.close(() => r())));
    const bot = await agent();
    h = await startHarness({ routes: { '/voice': `<Response><Connect><Stream url="${bot.url}"/></Connect></Response>` }, config: { rtp: { address: '127.0.0.1' } } });
    const call = h.stand.call({ sdp: caller.sdp });
    expect(await call.response()).toBe(200);
    const answer = h.stand.log.find((r) => r.from === 'app' && r.status === 200 && r.callId === call.callId)!.message.body;
    const port = Number(/^m=audio (\d+)/m.exec(answer)![1]);
    await bot.connected;
    await until(() => bot.messages.length >= 2, 'start');
    caller.socket.send(rtpPacket(0, 1, 0, Buffer.alloc(160, 0x11)), port, '127.0.0.1');
    await until(() => bot.messages.some((m) => m['event'] === 'media'), 'the caller\'s frame');
    intruder.send(rtpPacket(0, 2, 160, Buffer.alloc(160, 0x99)), port, '127.0.0.1');
    caller.socket.send(rtpPacket(0, 3, 320, Buffer.alloc(160, 0x12)), port, '127.0.0.1');
    await until(() => bot.messages.filter((m) => m['event'] === 'media').length >= 2, 'the caller\'s second frame');
    await new Promise((r) => setTimeout(r, 50));
    const payloads = mediaFrames(bot.messages).map((f) => f[0]);
    expect(payloads).toEqual([0x11, 0x12]);
    await call.bye();
    await h.finished();
  });

  it('a caller answered already (after a refused REFER) is moved to didml\'s socket by re-INVITE, and hears the agent there', async () => {
    const caller = await rtpCaller();
    const bot = await agent();
    h = await startHarness({
      routes: {
        '/voice': '<Response><Refer action="/referred"><Sip>sip:desk@example.com</Sip></Refer></Response>',
        '/referred': `<Response><Connect><Stream url="${bot.url}"/></Connect></Response>`,
      },
      config: { rtp: { address: '127.0.0.1' } },
    });
    let reinvite: string | undefined;
    h.stand.onInDialog = (req) => {
      if (req.method === 'REFER') return (req.respond(405), true);
      if (req.method !== 'INVITE') return false;
      reinvite = req.message.body;
      req.respond(200, { body: caller.sdp });
      return true;
    };
    const call = h.stand.call({ sdp: caller.sdp });
    expect(await call.response()).toBe(200);
    const ws = await bot.connected;
    await until(() => bot.messages.length >= 2, 'start');
    expect(reinvite).toMatch(/^m=audio \d+ RTP\/AVP 0 101\r?$/m);
    ws.send(JSON.stringify({ event: 'media', streamSid: bot.messages[1]!.streamSid, media: { payload: Buffer.alloc(160, 0x5a).toString('base64') } }));
    await until(() => caller.received.length >= 1, 'the agent\'s audio at the caller');
    expect(caller.received[0]!.subarray(12)).toEqual(Buffer.alloc(160, 0x5a));
    await call.bye();
    await h.finished();
  });

  it('the stream\'s statusCallback hears stream-started when the websocket opens and stream-stopped when it closes, or stream-error', async () => {
    const caller = await rtpCaller();
    const bot = await agent();
    h = await startHarness({
      routes: {
        '/voice': `<Response><Connect><Stream url="${bot.url}" statusCallback="/stream"/></Connect><Connect><Stream url="ws://127.0.0.1:9/nobody" statusCallback="/stream"/></Connect></Response>`,
        '/stream': '',
      },
      config: { rtp: { address: '127.0.0.1' } },
    });
    const call = h.stand.call({ sdp: caller.sdp });
    expect(await call.response()).toBe(200);
    const ws = await bot.connected;
    await until(() => bot.messages.length >= 2, 'start');
    ws.close();
    await h.finished();
    for (let i = 0; i < 100 && h.to('/stream').length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.to('/stream').map((r) => r.params['StreamEvent'])).toEqual(['stream-started', 'stream-stopped', 'stream-error']);
    expect(h.to('/stream')[0]!.params['StreamSid']).toBe(bot.messages[1]!.streamSid);
    expect(h.to('/stream')[2]!.params['StreamError']).toMatch(/could not be opened/);
  });

  it('a websocket that cannot be opened ends the Connect and the document goes on', async () => {
    h = await startHarness({
      routes: { '/voice': '<Response><Connect action="/after"><Stream url="ws://127.0.0.1:9/nobody"/></Connect></Response>', '/after': '<Response><Reject/></Response>' },
      config: { rtp: { address: '127.0.0.1' } },
    });
    const call = h.stand.call();
    expect(await call.response()).toBe(404);
    await h.finished();
    expect(h.logs.some((l) => l.msg === '<Connect><Stream>: the websocket could not be opened; the document goes on')).toBe(true);
  });
});
