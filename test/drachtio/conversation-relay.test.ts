// <Connect><ConversationRelay> on the drachtio backend: the caller's endpoint speaks with the
// media server's TTS and listens with its recogniser (the scripted MediaServerLink of
// fake-media.ts stands in for FreeSWITCH), and a real websocket agent on loopback speaks Twilio's
// text protocol. Real SIP through the stand-in drachtio-server.
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { wsAgent, type WsAgent } from './ws-agent.js';
import { startHarness, type Harness } from './harness.js';
import { FakeMedia, type FakeEndpoint } from './fake-media.js';
import { startApp, type TestApp } from '../runtime/support.js';

let h: Harness | undefined;
let agent: WsAgent | undefined;
afterEach(async () => {
  await h?.close();
  await agent?.close();
  h = agent = undefined;
});

type Msg = Record<string, unknown>;
const config = {
  mediaServer: { address: '127.0.0.1', port: 8021, secret: 'ClueCon', listenPort: 0, profile: 'drachtio_mrf' },
  asr: { engine: 'unimrcp:nuance' },
};

async function withMedia(routes: Record<string, string>, media: FakeMedia, extra: object = {}): Promise<Harness> {
  const x = await startHarness({ routes, config: { ...config, ...extra }, media: () => Promise.resolve(media) });
  for (let i = 0; i < 100 && !x.logs.some((l) => l.msg === 'media server connected'); i++) await new Promise((r) => setTimeout(r, 5));
  return x;
}

/** An agent that answers each message with what `react` returns (messages to send). */
async function relayAgent(react: (m: Msg, ws: WebSocket) => object[] | void): Promise<WsAgent> {
  return wsAgent((raw, ws) => {
    for (const x of react(raw as unknown as Msg, ws) ?? []) ws.send(JSON.stringify(x));
  });
}

const relayDoc = (url: string, attrs = '', inner = '') =>
  `<Response><Connect action="/after"><ConversationRelay url="${url}" ${attrs}><Parameter name="customer" value="7"/>${inner}</ConversationRelay></Connect></Response>`;

/** The caller says `text` to the recogniser `after` ms from now. */
const says = (ep: FakeEndpoint, text: string, after = 10) =>
  setTimeout(() => {
    ep.listening?.speaking();
    setTimeout(() => ep.listening?.heard({ text, confidence: 0.9 }), 5);
  }, after);

const types = (a: WsAgent) => a.messages.map((m) => (m as unknown as Msg)['type']);

describe('<Connect><ConversationRelay> on the media server', () => {
  it('setup, the greeting in TTS, the caller\'s words as prompts, keys as dtmf; tokens spoken a sentence at a time, play, sendDigits, a language switch, end with handoffData', async () => {
    agent = await relayAgent((m) => {
      if (m['type'] === 'prompt') return [{ type: 'text', token: 'Sure. ' }, { type: 'text', token: 'What is your ' }, { type: 'text', token: 'postcode?', last: true }];
      if (m['type'] === 'dtmf') {
        return [
          { type: 'language', ttsLanguage: 'es-ES', transcriptionLanguage: 'es-ES' },
          { type: 'text', token: 'Hola', last: true },
          { type: 'play', source: 'https://cdn.example.com/hold.mp3', loop: 2 },
          { type: 'sendDigits', digits: '12' },
          { type: 'end', handoffData: '{"reason":"plumber"}' },
        ];
      }
    });
    const media = new FakeMedia();
    media.onOp = (ep, op) => {
      if (op.startsWith('speak "Hi, how can I help?"')) says(ep, 'I need a plumber', 60);
      if (op.startsWith('speak "What is your postcode?"')) setTimeout(() => ep.press('9'), 60);
    };
    h = await withMedia(
      {
        '/voice': relayDoc(agent.url, 'welcomeGreeting="Hi, how can I help?" voice="en-US-Neural2-F" dtmfDetection="true" hints="plumber, postcode"', '<Language code="es-ES" voice="es-ES-Neural2-A"/>'),
        '/after': '<Response><Hangup/></Response>',
      },
      media,
    );
    h.stand.call();
    const done = await h.finished();
    expect(done.summary.errors).toEqual([]);
    const setup = agent.messages[0] as unknown as Msg;
    expect(setup).toMatchObject({ type: 'setup', callSid: expect.stringMatching(/^CA/), direction: 'inbound', customParameters: { customer: '7' } });
    expect(String(setup['sessionId'])).toMatch(/^VX/);
    expect(agent.messages.slice(1)).toEqual([
      { type: 'prompt', voicePrompt: 'I need a plumber', lang: 'en-US', last: true },
      { type: 'dtmf', digit: '9' },
    ]);
    expect(media.ops.filter((x) => /speak|play|send-digits/.test(x))).toEqual([
      'ep0 speak "Hi, how can I help?" en-US-Neural2-F en-US',
      'ep0 speak "Sure. " en-US-Neural2-F en-US',
      'ep0 speak "What is your postcode?" en-US-Neural2-F en-US',
      // After the switch to Spanish the voice is the <Language>'s.
      'ep0 speak "Hola" es-ES-Neural2-A es-ES',
      'ep0 play https://cdn.example.com/hold.mp3',
      'ep0 play https://cdn.example.com/hold.mp3',
      'ep0 send-digits 12',
    ]);
    // Listening from the start; what was heard ends a recognition and the next starts at once; the
    // switch starts it again in Spanish; the end of the session stops it.
    expect(media.ops.filter((x) => /recognize/.test(x))).toEqual([
      'ep0 recognize en-US hints="plumber, postcode"',
      'ep0 recognize-stop',
      'ep0 recognize en-US hints="plumber, postcode"',
      'ep0 recognize-stop',
      'ep0 recognize es-ES hints="plumber, postcode"',
      'ep0 recognize-stop',
    ]);
    expect(media.ops.indexOf('ep0 recognize es-ES hints="plumber, postcode"')).toBeGreaterThan(media.ops.indexOf('ep0 speak "What is your postcode?" en-US-Neural2-F en-US'));
    const p = h.to('/after')[0]!.params;
    expect(p).toMatchObject({ SessionId: setup['sessionId'], SessionStatus: 'completed', HandoffData: '{"reason":"plumber"}', CallSid: setup['callSid'] });
    expect(Number(p['SessionDuration'])).toBeGreaterThanOrEqual(0);
    // The drachtio backend runs these attributes now: none is reported as not run.
    expect(done.events.filter((e) => e.type === 'warning').map((e) => String(e['message']))).toEqual([]);
  });

  it('barge-in: the caller talking over the greeting stops it, and the app gets interrupt with how far it got', async () => {
    const greeting = 'Welcome to the plumbing line, how can I help you today?';
    agent = await relayAgent((m) => (m['type'] === 'prompt' ? [{ type: 'end' }] : undefined));
    const media = new FakeMedia();
    media.promptMs = 60_000;
    media.onOp = (ep, op) => op.startsWith('speak "Welcome') && says(ep, 'a leak', 20);
    h = await withMedia({ '/voice': relayDoc(agent.url, `welcomeGreeting="${greeting}"`), '/after': '<Response><Hangup/></Response>' }, media);
    h.stand.call();
    await h.finished();
    expect(types(agent)).toEqual(['setup', 'interrupt', 'prompt']);
    const interrupt = agent.messages[1] as unknown as Msg;
    expect(greeting.startsWith(String(interrupt['utteranceUntilInterrupt']))).toBe(true);
    expect(interrupt['durationUntilInterruptMs']).toBeGreaterThanOrEqual(0);
    const spoke = media.ops.findIndex((x) => x.startsWith(`ep0 speak "${greeting}"`));
    expect(media.ops.slice(spoke + 1).filter((x) => !/recognize/.test(x))[0]).toBe('ep0 stop');
    expect(h.to('/after')[0]!.params).toMatchObject({ SessionStatus: 'completed', HandoffData: '' });
  });

  it('welcomeGreetingInterruptible="none": the greeting plays on, and what the caller said over it is not reported, unless reportInputDuringAgentSpeech', async () => {
    const run = async (attrs: string) => {
      agent = await relayAgent((m) => (m['type'] === 'prompt' ? [{ type: 'end' }] : undefined));
      const media = new FakeMedia();
      media.promptMs = 150;
      media.onOp = (ep, op) => {
        if (op.startsWith('speak "Please hold')) says(ep, 'hello?', 20);
      };
      h = await withMedia({ '/voice': relayDoc(agent.url, `welcomeGreeting="Please hold" welcomeGreetingInterruptible="none" ${attrs}`), '/after': '<Response><Hangup/></Response>' }, media);
      const caller = h.stand.call();
      let stopped = false;
      if (!attrs) {
        // Nothing reaches the agent: once the greeting is over, the caller gives up.
        for (let i = 0; i < 200 && !media.ops.includes('ep0 recognize-stop'); i++) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 200));
        stopped = media.ops.includes('ep0 stop');
        await caller.bye();
      }
      await h.finished();
      const seen = { types: types(agent), stopped: stopped || (!!attrs && media.ops.includes('ep0 stop')), status: h.to('/after')[0]?.params['SessionStatus'] };
      await h.close();
      await agent.close();
      h = agent = undefined;
      return seen;
    };
    // The caller hanging up ends the session as completed; the action is still told (as Twilio's is).
    expect(await run('')).toEqual({ types: ['setup'], stopped: false, status: 'completed' });
    expect(await run('reportInputDuringAgentSpeech="true"')).toEqual({ types: ['setup', 'prompt'], stopped: false, status: 'completed' });
  });

  it('interruptible="dtmf": a key over the agent\'s speech stops it; without dtmfDetection the key itself is not sent', async () => {
    agent = await relayAgent((m) => {
      if (m['type'] === 'setup') return [{ type: 'text', token: 'Here is a very long list of options.', last: true }];
      if (m['type'] === 'interrupt') return [{ type: 'end', handoffData: 'pressed' }];
    });
    const media = new FakeMedia();
    media.promptMs = 60_000;
    media.onOp = (ep, op) => op.startsWith('speak "Here is') && setTimeout(() => ep.press('5'), 20);
    h = await withMedia({ '/voice': relayDoc(agent.url, 'interruptible="dtmf"'), '/after': '<Response><Hangup/></Response>' }, media);
    h.stand.call();
    await h.finished();
    expect(types(agent)).toEqual(['setup', 'interrupt']);
    expect(media.ops).toContain('ep0 stop');
    expect(h.to('/after')[0]!.params['HandoffData']).toBe('pressed');
  });

  it('preemptible: the app\'s next talk cycle cuts the one still playing; without it the next waits its turn', async () => {
    const run = async (attrs: string) => {
      agent = await relayAgent((m, ws) => {
        if (m['type'] !== 'setup') return;
        ws.send(JSON.stringify({ type: 'text', token: 'Let me check that for you.', last: true }));
        setTimeout(() => ws.send(JSON.stringify({ type: 'text', token: 'It ships today.', last: true })), 40);
        setTimeout(() => ws.send(JSON.stringify({ type: 'end' })), 80);
      });
      const media = new FakeMedia();
      media.promptMs = 400;
      h = await withMedia({ '/voice': relayDoc(agent.url, attrs), '/after': '<Response><Hangup/></Response>' }, media);
      h.stand.call();
      await h.finished();
      const ops = media.ops.filter((x) => /speak|^ep0 stop$/.test(x));
      await h.close();
      await agent.close();
      h = agent = undefined;
      return ops;
    };
    expect(await run('preemptible="true"')).toEqual(['ep0 speak "Let me check that for you."  en-US', 'ep0 stop', 'ep0 speak "It ships today."  en-US']);
    expect(await run('')).toEqual(['ep0 speak "Let me check that for you."  en-US', 'ep0 speak "It ships today."  en-US']);
  });

  it('tokens that end no sentence and never say last are spoken once the app has paused', async () => {
    agent = await relayAgent((m, ws) => {
      if (m['type'] !== 'setup') return;
      ws.send(JSON.stringify({ type: 'text', token: 'one moment ' }));
      ws.send(JSON.stringify({ type: 'text', token: 'please' }));
      setTimeout(() => ws.send(JSON.stringify({ type: 'end' })), 1500);
    });
    const media = new FakeMedia();
    h = await withMedia({ '/voice': relayDoc(agent.url), '/after': '<Response><Hangup/></Response>' }, media);
    h.stand.call();
    await h.finished();
    expect(media.ops.filter((x) => x.includes('speak'))).toEqual(['ep0 speak "one moment please"  en-US']);
  });

  it('an app that closes the websocket without end: SessionStatus failed, Twilio\'s 64105; one that cannot be reached: 64102', async () => {
    agent = await relayAgent((m, ws) => void (m['type'] === 'setup' && setTimeout(() => ws.close(), 20)));
    let media = new FakeMedia();
    h = await withMedia({ '/voice': relayDoc(agent.url), '/after': '<Response><Hangup/></Response>' }, media);
    h.stand.call();
    await h.finished();
    expect(h.to('/after')[0]!.params).toMatchObject({ SessionStatus: 'failed', ErrorCode: '64105', ErrorMessage: expect.stringMatching(/without an end message/) });
    expect(media.ops).toContain('ep0 recognize-stop');
    const url = agent.url;
    await h.close();
    await agent.close();
    h = agent = undefined;

    media = new FakeMedia();
    h = await withMedia({ '/voice': relayDoc(url), '/after': '<Response><Hangup/></Response>' }, media);
    h.stand.call();
    await h.finished();
    expect(h.to('/after')[0]!.params).toMatchObject({ SessionStatus: 'failed', ErrorCode: '64102', SessionDuration: '0' });
    expect(h.logs.some((l) => l.level === 'warn' && /websocket could not be opened/.test(String(l.msg)))).toBe(true);
  });

  it('the <Connect action> on a real HTTP server hears the session\'s parameters with the call\'s own', async () => {
    agent = await relayAgent((m) => (m['type'] === 'prompt' ? [{ type: 'text', token: 'Transferring you.', last: true }, { type: 'end', handoffData: '{"queue":"billing"}' }] : undefined));
    const media = new FakeMedia();
    media.onOp = (ep, op) => op.startsWith('recognize en-US') && media.ops.filter((x) => x.includes('recognize en-US')).length === 1 && says(ep, 'billing', 20);
    let app: TestApp | undefined;
    try {
      app = await startApp({ '/voice': relayDoc(agent.url), '/after': '<Response><Hangup/></Response>' });
      h = await startHarness({ routes: {}, http: app.url('/voice'), config, media: () => Promise.resolve(media) });
      for (let i = 0; i < 100 && !h.logs.some((l) => l.msg === 'media server connected'); i++) await new Promise((r) => setTimeout(r, 5));
      h.stand.call();
      await h.finished();
      const setup = agent.messages[0] as unknown as Msg;
      const after = app.to('/after');
      expect(after).toHaveLength(1);
      expect(after[0]!.method).toBe('POST');
      expect(after[0]!.params).toMatchObject({
        SessionId: setup['sessionId'],
        SessionStatus: 'completed',
        SessionDuration: expect.stringMatching(/^\d+$/),
        HandoffData: '{"queue":"billing"}',
        CallSid: setup['callSid'],
        CallStatus: 'in-progress',
      });
      expect(media.ops).toContain('ep0 speak "Transferring you."  en-US');
    } finally {
      // The runtime's connections to the app go first: the app checks none is left open.
      await h?.close();
      h = undefined;
      await app?.close();
    }
  });

  it('refuses without a recogniser, saying what to configure', async () => {
    const media = new FakeMedia();
    h = await withMedia({ '/voice': relayDoc('ws://127.0.0.1:9/none') }, media, { asr: undefined });
    h.stand.call();
    const done = await h.finished();
    expect(done.summary.errors.map((e) => e.code)).toEqual(['DIDML_TELEPHONY']);
    expect(done.summary.reason).toMatch(/<Connect><ConversationRelay> needs a speech recogniser on the media server: set drachtio.asr/);
  });
});
