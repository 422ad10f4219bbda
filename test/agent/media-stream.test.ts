// <Connect><Stream> and <Start><Stream> on the mock against a real agent: a websocket server on
// 127.0.0.1 speaking Twilio Media Streams, in the same protocol code the drachtio backend uses.
// The caller's turns come from the script; the agent answers in real time and the call's clock
// waits for it (fast, slow and stalled agents).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/wav.js';
import { mediaFrames, twilioStreamProblems, wsAgent, type StreamMessage, type WsAgent } from '../drachtio/ws-agent.js';
import { toneWav } from './audio.js';
import { one, ofType, runApp, startApp, xml, type TestApp } from '../runtime/support.js';
import { VirtualClock } from '../../src/clock.js';
import { sequentialIds } from '../../src/ids.js';
import { runCall } from '../../src/runtime/session.js';
import { createMockAdapter } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { hostPolicy } from '../../src/webhook/hosts.js';

let app: TestApp | undefined;
let agent: WsAgent | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.close();
  await agent?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  app = agent = dir = undefined;
});

const media = (streamSid: unknown, frames: number, fill = 0x10) => ({ event: 'media', streamSid, media: { payload: Buffer.alloc(160 * frames, fill).toString('base64') } });
const mark = (streamSid: unknown, name: string) => ({ event: 'mark', streamSid, mark: { name } });

const connectDoc = (extra = '') =>
  xml(`<Connect action="/after"><Stream url="wss://agent.example.com/media" statusCallback="/status"><Parameter name="customerId" value="42"/></Stream></Connect>${extra}`);

describe('<Connect><Stream> to a real agent', () => {
  it('speaks Twilio Media Streams: the greeting, the caller\'s WAV as 20 ms frames, keys, marks echoed after their audio plays, stop', async () => {
    dir = await mkdtemp(join(tmpdir(), 'didml-agent-'));
    await writeFile(join(dir, 'hello.wav'), toneWav({ rate: 16000, channels: 2, seconds: 0.5 }));
    let inbound = 0;
    agent = await wsAgent((m, ws) => {
      const sid = m.streamSid;
      if (m.event === 'start') {
        ws.send(JSON.stringify(media(sid, 50))); // a 1 s greeting
        ws.send(JSON.stringify(mark(sid, 'greeting')));
      } else if (m.event === 'media' && ++inbound === 25) {
        ws.send(JSON.stringify(media(sid, 25)));
        ws.send(JSON.stringify(mark(sid, 'heard-you')));
      } else if (m.event === 'dtmf') {
        ws.close(); // done: the <Connect> ends and its action runs
      }
    });
    app = await startApp({ '/voice': connectDoc(), '/after': xml('<Say>Thanks</Say>'), '/status': '' });
    const saved = join(dir, 'out', 'agent.wav');
    const { events } = await runApp({
      app: app.url('/voice'),
      script: { agent: { url: agent.url, caller: [{ audio: join(dir, 'hello.wav') }, { digits: '5' }], saveAudio: saved, quiet: 0.2 } },
    });
    const got = agent.messages;
    expect(got.map((m) => m.event).filter((e, i, a) => e !== a[i - 1])).toEqual(['connected', 'start', 'mark', 'media', 'mark', 'dtmf']);
    // The agent closed the websocket: there is no one left to say stop to.
    const start = got.find((m) => m.event === 'start')!['start'] as Record<string, unknown>;
    expect(start).toMatchObject({ customParameters: { customerId: '42' }, tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } });
    expect(start['streamSid']).toMatch(/^MZ/);
    // The WAV (16 kHz stereo) arrived as 25 frames of 8 kHz μ-law, not silent.
    const frames = mediaFrames(got);
    expect(frames).toHaveLength(25);
    expect(frames.every((f) => f.length === 160)).toBe(true);
    expect(frames[10]!.some((b) => b !== 0xff && b !== 0x7f)).toBe(true);
    expect(got.filter((m) => m.event === 'media').map((m) => (m['media'] as { chunk: string }).chunk)).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
    expect(got.filter((m) => m.event === 'mark').map((m) => (m['mark'] as { name: string }).name)).toEqual(['greeting', 'heard-you']);
    expect(got.find((m) => m.event === 'dtmf')!['dtmf']).toEqual({ track: 'inbound_track', digit: '5' });

    // Virtual time: the greeting plays 1 s, the caller talks 0.5 s, the answer plays 0.5 s, the key 0.2 s.
    const turns = events.filter((e) => ['agent', 'caller-audio', 'digits', 'stream-end'].includes(e.type)).map((e) => [e.t, e.type, e['audio'] ?? e['duration'] ?? e['digits'] ?? e['endedBy']]);
    expect(turns).toEqual([
      [0, 'agent', 1],
      [1000, 'caller-audio', 0.5],
      [1500, 'agent', 0.5],
      [2000, 'digits', '5'],
      [2200, 'stream-end', 'far-end'],
    ]);
    expect(ofType(events, 'agent').map((e) => e['marks'])).toEqual([['greeting'], ['heard-you']]);
    expect(one(events, 'stream')).toMatchObject({ protocol: 'media-streams', url: agent.url, agent: true, parameters: { customerId: '42' } });
    expect(app.to('/status').map((r) => r.params['StreamEvent'])).toEqual(['stream-started', 'stream-stopped']);
    expect(app.to('/after')).toHaveLength(1);
    // What the agent said, saved: 1.5 s of its own bytes.
    const wav = decodeWav(await readFile(saved));
    expect(wav.rate).toBe(8000);
    expect(wav.samples.length).toBe(12000);
    expect(one(events, 'agent-audio-saved')).toMatchObject({ duration: 1.5 });
  });

  it('a clear drops what the agent has not played yet; its marks are reached at once', async () => {
    agent = await wsAgent((m, ws) => {
      if (m.event !== 'start') return;
      ws.send(JSON.stringify(media(m.streamSid, 100)));
      ws.send(JSON.stringify(mark(m.streamSid, 'long')));
      ws.send(JSON.stringify({ event: 'clear', streamSid: m.streamSid }));
      ws.send(JSON.stringify(media(m.streamSid, 10)));
      setTimeout(() => ws.close(), 300);
    });
    app = await startApp({ '/voice': connectDoc(), '/after': '', '/status': '' });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.1 } } });
    expect(one(events, 'agent')).toMatchObject({ t: 0, audio: 0.2, cleared: 1 });
    expect(agent.messages.filter((m) => m.event === 'mark')).toHaveLength(1);
  });

  it('an agent that floods: audio past ten minutes in one turn is dropped and said, and the call goes on', async () => {
    agent = await wsAgent((m, ws) => {
      if (m.event !== 'start') return;
      ws.send(JSON.stringify(media(m.streamSid, 30_000))); // 600 s
      ws.send(JSON.stringify(media(m.streamSid, 100))); // 2 s too many
      setTimeout(() => ws.close(), 300);
    });
    app = await startApp({ '/voice': connectDoc(), '/after': '', '/status': '' });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.1 } } });
    expect(one(events, 'agent')).toMatchObject({ audio: 600 });
    expect(ofType(events, 'script').map((e) => e['warning'])).toEqual([expect.stringMatching(/more than 600 s of audio in one turn: the 2 s past that were dropped/)]);
    expect(one(events, 'stream-end')).toMatchObject({ t: 600_000, endedBy: 'far-end' });
  });

  it('a slow agent: the real time it takes to answer costs the call, as a slow webhook does', async () => {
    agent = await wsAgent((m, ws) => {
      if (m.event === 'dtmf') setTimeout(() => ws.send(JSON.stringify(media(m.streamSid, 10))), 1300);
    });
    app = await startApp({ '/voice': connectDoc(), '/after': '', '/status': '' });
    const { events } = await runApp({
      app: app.url('/voice'),
      script: { agent: { url: agent.url, first: 'caller', caller: [{ digits: '1' }], quiet: 0.2, timeout: 2 }, hangupAfter: 60 },
    });
    const digits = one(events, 'digits');
    const answer = one(events, 'agent');
    // It answered 1.3 s (real) after the key's 0.2 s: at least that much call time went by.
    expect(answer.t - (digits.t + 200)).toBeGreaterThanOrEqual(1300);
    expect(answer['audio']).toBe(0.2);
    // Then the caller had nothing more to say and the agent went quiet: the caller hung up, as scripted.
    expect(ofType(events, 'script').map((e) => e['warning'])).toEqual([expect.stringMatching(/caller's turns ran out/)]);
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'hangup' });
    expect(one(events, 'hangup')).toMatchObject({ by: 'caller' });
  });

  it('a stalled agent: after agent.timeout the stream ends with stream-error and the document goes on to the action', async () => {
    agent = await wsAgent(); // opens, then never says a word
    app = await startApp({ '/voice': connectDoc(), '/after': xml('<Say>The assistant is unavailable</Say>'), '/status': '' });
    const { events, summary } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, timeout: 0.5, caller: [{ digits: '1' }] } } });
    // Silent at the start it was waiting for the caller (who began after 0.5 s); silent after the key, it has stalled.
    expect(one(events, 'digits').t - one(events, 'stream').t).toBe(0);
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'error', error: expect.stringMatching(/did not answer within 0.5 s \(agent\.timeout\)/) });
    const status = app.to('/status').map((r) => [r.params['StreamEvent'], r.params['StreamError'] ?? '']);
    expect(status).toEqual([['stream-started', ''], ['stream-error', expect.stringMatching(/did not answer/)]]);
    expect(agent.messages.at(-1)?.event).toBe('stop');
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['The assistant is unavailable']);
    expect(summary.status).toBe('completed');
  });

  it('an agent that does not greet is waiting for the caller: the caller begins once it has said nothing for agent.timeout', async () => {
    agent = await wsAgent((m, ws) => {
      if (m.event === 'dtmf') ws.close();
    });
    app = await startApp({ '/voice': connectDoc(), '/after': xml('<Hangup/>'), '/status': '' });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, timeout: 1.2, caller: [{ digits: '9' }] } } });
    // The caller waited 1.2 s of real time for a greeting: call time, as a slow webhook's.
    expect(one(events, 'digits').t).toBeGreaterThanOrEqual(1200);
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'far-end' });
    expect(ofType(events, 'agent')).toEqual([]);
  });

  it('an agent that takes the connection and never finishes the handshake: stream-error within the bound, the document goes on', async () => {
    const sockets: import('node:net').Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
    try {
      app = await startApp({ '/voice': connectDoc('<Say>Not connected</Say>'), '/after': xml('<Say>After</Say>'), '/status': '' });
      const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url, timeout: 0.5 } } });
      expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'error', error: expect.stringMatching(/did not open within 500 ms/) });
      expect(app.to('/status').map((r) => r.params['StreamEvent'])).toEqual(['stream-error']);
      expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['After']);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('the caller hanging up mid-conversation says stop to the agent', async () => {
    agent = await wsAgent((m, ws) => {
      if (m.event === 'start') ws.send(JSON.stringify(media(m.streamSid, 5)));
    });
    app = await startApp({ '/voice': connectDoc(), '/after': '', '/status': '' });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.1, caller: [{ silence: 1 }, { hangup: true }] } } });
    expect(flowOf(events)).toEqual(['answer', 'stream', 'agent', 'caller-silence', 'stream-end', 'hangup', 'end']);
    expect(one(events, 'caller-silence').t).toBe(100);
    await waitFor(() => agent!.messages.at(-1)?.event === 'stop');
    expect(agent.messages.filter((m) => m.event === 'media')).toHaveLength(50);
  });
});

describe('the host rules of webhooks hold for an agent\'s websocket', () => {
  it('a cloud metadata address is refused without connecting: stream-error, and the document goes on', async () => {
    app = await startApp({ '/voice': connectDoc(), '/after': xml('<Say>After</Say>'), '/status': '' });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: 'ws://169.254.169.254/latest', timeout: 1 } } });
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'error', error: expect.stringMatching(/169\.254\.169\.254/) });
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['After']);
  });

  it('the adapter\'s own policy (hosts) is applied: a denied agent is never opened', async () => {
    agent = await wsAgent();
    app = await startApp({ '/voice': connectDoc(), '/after': '', '/status': '' });
    const clock = new VirtualClock();
    const adapter = createMockAdapter({ clock, hosts: hostPolicy({ deny: ['127.0.0.1'] }) });
    const webhooks = createWebhookClient({});
    try {
      const call = adapter.placeCall({ agent: { url: agent.url, timeout: 1 } });
      await runCall(call, { app: { url: app.url('/voice') }, webhooks, clock, ids: sequentialIds(), onEvent: ({ t: _t, ...e }) => void call.leg.log(e) });
      expect(call.leg.transcript.find((e) => e.type === 'stream-end')).toMatchObject({ endedBy: 'error', error: expect.stringMatching(/127\.0\.0\.1/) });
      expect(agent.messages).toEqual([]);
    } finally {
      await webhooks.close();
      await adapter.close();
    }
  });
});

describe('<Start><Stream> to a real agent', () => {
  // What a fork's agent got on one track: its frames' payloads in order.
  const trackFrames = (messages: StreamMessage[], track: string) =>
    messages.filter((m) => m.event === 'media' && (m['media'] as { track: string }).track === track).map((m) => Buffer.from((m['media'] as { payload: string }).payload, 'base64'));
  const silent = (f: Buffer) => f.every((b) => b === 0xff);
  const countOf = (frames: Buffer[], pred: (f: Buffer) => boolean) => frames.filter(pred).length;

  it.each([
    ['inbound_track', ['inbound']],
    ['outbound_track', ['outbound']],
    ['both_tracks', ['inbound', 'outbound']],
  ])('track="%s": connected, start naming %j, media on those tracks alone for the virtual time it was open, stop once at <Stop><Stream>', async (track, tracks) => {
    agent = await wsAgent();
    app = await startApp({
      '/voice': xml(`<Start><Stream name="tap" url="wss://tap.example.com/" track="${track}" statusCallback="/status"><Parameter name="a" value="1"/></Stream></Start><Say>Hello there</Say><Pause length="2"/><Stop><Stream name="tap"/></Stop><Say>Bye</Say>`),
      '/status': '',
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url } } });
    await waitFor(() => agent!.messages.at(-1)?.event === 'stop');
    // The check drachtio's forks pass too (test/drachtio/media.test.ts, placed-call.test.ts, real-media.test.ts).
    expect(twilioStreamProblems(agent.messages)).toEqual([]);
    expect(agent.messages[1]!['start']).toMatchObject({ tracks, customParameters: { a: '1' } });
    expect(agent.messages.filter((m) => m.event === 'stop')).toHaveLength(1);
    const open = one(events, 'stream-stop').t - one(events, 'stream-start').t;
    expect(open).toBeGreaterThan(2000);
    for (const t of ['inbound', 'outbound']) {
      const frames = trackFrames(agent.messages, t);
      if (!tracks.includes(t)) {
        expect(frames, t).toHaveLength(0);
        continue;
      }
      expect(Math.abs(frames.length - open / 20), `${t}: ${frames.length} frames for ${open} ms`).toBeLessThanOrEqual(1);
    }
    // The caller said nothing: inbound is silence. What the caller heard: the Say as a tone for its 660 ms, then the pause's silence.
    if (tracks.includes('inbound')) expect(trackFrames(agent.messages, 'inbound').every(silent)).toBe(true);
    if (tracks.includes('outbound')) {
      const out = trackFrames(agent.messages, 'outbound');
      expect(out.slice(0, 33).some(silent)).toBe(false);
      expect(out.slice(33).every(silent)).toBe(true);
    }
    expect(one(events, 'stream-media')).toMatchObject({ name: 'tap', endedBy: 'stop', frames: Object.fromEntries(tracks.map((t) => [t, open / 20])) });
    expect(flowOf(events)).toEqual(['answer', 'stream-start', 'say', 'pause', 'stream-stop', 'stream-media', 'say', 'hangup', 'end']);
    await waitFor(() => app!.to('/status').length === 2);
    expect(app.to('/status').map((r) => r.params['StreamEvent'])).toEqual(['stream-started', 'stream-stopped']);
  });

  it('keys the caller presses reach the document, never the fork (Twilio sends dtmf on a bidirectional stream only); the fork stops once when the call ends', async () => {
    agent = await wsAgent();
    app = await startApp({
      '/voice': xml('<Start><Stream url="wss://tap.example.com/" track="both_tracks"/></Start><Gather numDigits="2" action="/got"><Say>Press two keys</Say></Gather>'),
      '/got': xml('<Say>You pressed it</Say>'),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url }, caller: [{ digits: '42', after: 3 }] } });
    await waitFor(() => agent!.messages.at(-1)?.event === 'stop');
    expect(twilioStreamProblems(agent.messages)).toEqual([]);
    expect(agent.messages.filter((m) => m.event === 'dtmf')).toEqual([]);
    expect(one(events, 'gather-end')).toMatchObject({ digits: '42' });
    expect(agent.messages.filter((m) => m.event === 'stop')).toHaveLength(1);
    const end = one(events, 'hangup').t - one(events, 'stream-start').t;
    const out = trackFrames(agent.messages, 'outbound');
    expect(Math.abs(out.length - end / 20)).toBeLessThanOrEqual(1);
    expect(trackFrames(agent.messages, 'inbound')).toHaveLength(out.length);
    expect(trackFrames(agent.messages, 'inbound').every(silent)).toBe(true);
    // Outbound: the Gather's prompt (14 characters: 840 ms), silence while the caller thinks, then "You pressed it" (14 more).
    expect(out.slice(0, 42).some(silent)).toBe(false);
    expect(out.slice(42, 150).every(silent)).toBe(true);
    expect(countOf(out, (f) => !silent(f))).toBe(84);
    expect(one(events, 'stream-media')).toMatchObject({ endedBy: 'hangup', frames: { inbound: out.length, outbound: out.length } });
  });

  it('the caller hanging up ends the fork: stop once, the frames counted to that moment', async () => {
    agent = await wsAgent();
    app = await startApp({ '/voice': xml('<Start><Stream url="wss://tap.example.com/"/></Start><Pause length="60"/><Say>Never heard</Say>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url }, hangupAfter: 5 } });
    await waitFor(() => agent!.messages.at(-1)?.event === 'stop');
    expect(twilioStreamProblems(agent.messages)).toEqual([]);
    expect(agent.messages.filter((m) => m.event === 'stop')).toHaveLength(1);
    const n = (one(events, 'hangup').t - one(events, 'stream-start').t) / 20;
    expect(n).toBeGreaterThanOrEqual(240);
    expect(trackFrames(agent.messages, 'inbound')).toHaveLength(n);
    // Timestamps follow the call's clock: the last frame began 20 ms before the caller hung up.
    expect(agent.messages.filter((m) => m.event === 'media').at(-1)!['media']).toMatchObject({ chunk: String(n), timestamp: String((n - 1) * 20) });
    expect(one(events, 'stream-media')).toMatchObject({ endedBy: 'hangup', frames: { inbound: n } });
    expect(ofType(events, 'say')).toHaveLength(0);
  });

  it('a fork beside a <Connect><Stream> agent hears the caller\'s WAV inbound and the agent\'s audio outbound, frame for frame', async () => {
    dir = await mkdtemp(join(tmpdir(), 'didml-fork-'));
    await writeFile(join(dir, 'hello.wav'), toneWav({ rate: 8000, seconds: 0.5 }));
    agent = await wsAgent(); // the fork's
    let heard = 0;
    const talker = await wsAgent((m, ws) => {
      if (m.event === 'media' && ++heard === 25) ws.send(JSON.stringify(media(m.streamSid, 50, 0x10)));
    });
    try {
      app = await startApp({
        '/voice': xml(`<Start><Stream url="${agent.url}" track="both_tracks"/></Start><Connect><Stream url="${talker.url}"/></Connect>`),
      });
      const { events } = await runApp({ app: app.url('/voice'), script: { agent: { first: 'caller', quiet: 0.2, caller: [{ audio: join(dir, 'hello.wav') }, { silence: 0.5 }, { hangup: true }] } } });
      await waitFor(() => agent!.messages.at(-1)?.event === 'stop');
      expect(twilioStreamProblems(agent.messages)).toEqual([]);
      const inbound = trackFrames(agent.messages, 'inbound');
      const outbound = trackFrames(agent.messages, 'outbound');
      // The caller's half second, exactly as the <Connect> agent got it, and nothing else.
      const spoken = inbound.filter((f) => !silent(f));
      expect(spoken).toHaveLength(25);
      expect(Buffer.concat(spoken).equals(Buffer.concat(mediaFrames(talker.messages).slice(0, 25)))).toBe(true);
      // The agent's second of audio, while it played, after the caller's turn.
      const said = outbound.map((f, i) => [f, i] as const).filter(([f]) => f.every((b) => b === 0x10));
      expect(said).toHaveLength(50);
      expect(countOf(outbound, (f) => !silent(f))).toBe(50);
      const firstSpoken = inbound.findIndex((f) => !silent(f));
      expect(said[0]![1]).toBeGreaterThanOrEqual(firstSpoken + 25);
      const end = one(events, 'hangup').t - one(events, 'stream-start').t;
      expect(Math.abs(inbound.length - end / 20)).toBeLessThanOrEqual(1);
      expect(outbound).toHaveLength(inbound.length);
    } finally {
      await talker.close();
    }
  });

  it('a fork beside a ConversationRelay agent hears the platform\'s speech outbound as the tone, for as long as it is said', async () => {
    agent = await wsAgent(); // the fork's
    const relay = await wsAgent((m, ws) => {
      if ((m as { type?: string }).type === 'prompt') {
        ws.send(JSON.stringify({ type: 'text', token: 'Okay bye', last: true }));
        ws.send(JSON.stringify({ type: 'end' }));
      }
    });
    try {
      app = await startApp({ '/voice': xml(`<Start><Stream url="${agent.url}" track="outbound_track"/></Start><Connect><ConversationRelay url="${relay.url}" welcomeGreeting="Hi there"/></Connect>`) });
      await runApp({ app: app.url('/voice'), script: { agent: { quiet: 0.2, caller: [{ speech: 'hello' }] } } });
      await waitFor(() => agent!.messages.at(-1)?.event === 'stop');
      expect(twilioStreamProblems(agent.messages)).toEqual([]);
      const out = trackFrames(agent.messages, 'outbound');
      // "Hi there" (8 characters, 480 ms), the caller's "hello" (300 ms, which a fork's outbound does not carry), "Okay bye" (480 ms).
      expect(out.slice(0, 24).some(silent)).toBe(false);
      expect(out.slice(24, 39).every(silent)).toBe(true);
      expect(countOf(out, (f) => !silent(f))).toBe(48);
    } finally {
      await relay.close();
    }
  });

  it('an agent that closes its websocket ends the fork (stream-stopped), and the call goes on', async () => {
    agent = await wsAgent((m, ws) => {
      if (m.event === 'media' && (m['media'] as { chunk: string }).chunk === '50') ws.close();
    });
    app = await startApp({
      '/voice': xml('<Start><Stream url="wss://tap.example.com/" statusCallback="/status"/></Start><Pause length="3"/><Redirect>/next</Redirect>'),
      '/status': '',
      // The call waits here (real time, which the call does not count) until the fork's end has been told.
      '/next': async () => {
        for (let i = 0; i < 200 && app!.to('/status').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        return xml('<Say>Still here</Say>');
      },
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url } } });
    expect(one(events, 'stream-media')).toMatchObject({ endedBy: 'far-end' });
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['Still here']);
    expect(agent.messages.filter((m) => m.event === 'stop')).toHaveLength(0);
    await waitFor(() => app!.to('/status').length === 2);
    expect(app.to('/status').map((r) => r.params['StreamEvent'])).toEqual(['stream-started', 'stream-stopped']);
  });

  it('an agent that stops reading holds the call\'s clock, then, after agent.timeout, the fork ends with stream-error and the call goes on', async () => {
    agent = await wsAgent((m, ws) => {
      // Reads nothing more: what the fork sends piles up in its websocket.
      if (m.event === 'start') (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    });
    app = await startApp({ '/voice': xml('<Start><Stream url="wss://tap.example.com/" track="both_tracks" statusCallback="/status"/></Start><Pause length="1800"/><Say>Still here</Say>'), '/status': '' });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, timeout: 1 } } });
    expect(one(events, 'stream-media')).toMatchObject({ endedBy: 'error', error: expect.stringMatching(/read none of the fork's audio for 1 s \(agent\.timeout\)/) });
    // It ended well before the call did: the clock did not run on while the agent was not reading.
    expect(one(events, 'stream-media').t).toBeLessThan(one(events, 'say').t);
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['Still here']);
    await waitFor(() => app!.to('/status').length === 2);
    expect(app.to('/status').map((r) => [r.params['StreamEvent'], r.params['StreamError'] ?? ''])).toEqual([['stream-started', ''], ['stream-error', expect.stringMatching(/read none/)]]);
  });

  it('a fork on a call of hours is bounded: an hour of frames, said in the transcript, then only stop', async () => {
    agent = await wsAgent();
    app = await startApp({ '/voice': xml('<Start><Stream url="wss://tap.example.com/"/></Start><Pause length="5400"/>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url } } });
    await waitFor(() => agent!.messages.at(-1)?.event === 'stop');
    expect(agent.messages.filter((m) => m.event === 'media')).toHaveLength(180_000);
    expect(twilioStreamProblems(agent.messages)).toEqual([]);
    expect(ofType(events, 'script').map((e) => e['warning'])).toEqual([expect.stringMatching(/1 hour of audio, the most the mock sends/)]);
    expect(one(events, 'stream-media')).toMatchObject({ endedBy: 'hangup', frames: { inbound: 180_000 }, capped: true });
  });

  it('a fork that cannot connect is said, and the call goes on', async () => {
    app = await startApp({ '/voice': xml('<Start><Stream url="wss://tap.example.com/"/></Start><Say>Hello</Say>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: 'ws://127.0.0.1:1/', timeout: 1 } } });
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'error', error: expect.stringMatching(/could not be opened/) });
    expect(ofType(events, 'say')).toHaveLength(1);
  });
});

const flowOf = (events: readonly { type: string }[]) => events.map((e) => e.type).filter((t) => !['webhook', 'callback', 'warning', 'inbound'].includes(t));

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
