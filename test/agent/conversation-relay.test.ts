// <Connect><ConversationRelay> on the mock against a real agent speaking Twilio's text protocol:
// setup, the caller's speech as prompts, keys as dtmf with dtmfDetection; the agent's tokens as
// what the caller hears, play, sendDigits, a language switch, and end with handoffData for the action.
import { afterEach, describe, expect, it } from 'vitest';
import { readAppMessage } from '../../src/media/conversation-relay.js';
import { wsAgent, type WsAgent } from '../drachtio/ws-agent.js';
import { one, ofType, runApp, startApp, xml, type TestApp } from '../runtime/support.js';

let app: TestApp | undefined;
let agent: WsAgent | undefined;
afterEach(async () => {
  await app?.close();
  await agent?.close();
  app = agent = undefined;
});

type Msg = Record<string, unknown>;
const relayDoc = (attrs = '', inner = '') =>
  xml(`<Connect action="/after"><ConversationRelay url="wss://relay.example.com/" ${attrs}><Parameter name="customer" value="7"/>${inner}</ConversationRelay></Connect>`);

describe('<Connect><ConversationRelay> to a real agent', () => {
  it('setup, prompts and tokens: the welcome greeting, then a conversation, then end with handoffData for the action', async () => {
    agent = await wsAgent((raw, ws) => {
      const m = raw as unknown as Msg;
      const send = (x: object) => ws.send(JSON.stringify(x));
      if (m['type'] === 'prompt' && m['voicePrompt'] === 'I need a plumber') {
        send({ type: 'text', token: 'Sure, ', last: false });
        send({ type: 'text', token: 'what is your postcode?', last: true });
      } else if (m['type'] === 'dtmf') {
        send({ type: 'language', ttsLanguage: 'es-ES', transcriptionLanguage: 'es-ES' });
        send({ type: 'text', token: 'Hola', last: true });
        send({ type: 'play', source: 'https://cdn.example.com/hold.mp3' });
        send({ type: 'sendDigits', digits: '12' });
        send({ type: 'end', handoffData: JSON.stringify({ reason: 'plumber' }) });
      }
    });
    app = await startApp({
      '/voice': relayDoc('welcomeGreeting="Hi, how can I help?" voice="en-US-Neural2-F" dtmfDetection="true"', '<Language code="es-ES" voice="es-ES-Neural2-A"/>'),
      '/after': xml('<Say>Connecting you to a person</Say>'),
    });
    const { events } = await runApp({
      app: app.url('/voice'),
      script: { agent: { url: agent.url, quiet: 0.2, caller: [{ speech: 'I need a plumber' }, { digits: '9' }] } },
    });
    const setup = agent.messages[0] as unknown as Msg;
    expect(setup).toMatchObject({ type: 'setup', callSid: expect.stringMatching(/^CA/), from: '+14155550100', to: '+14155550199', direction: 'inbound', customParameters: { customer: '7' } });
    expect(String(setup['sessionId'])).toMatch(/^VX/);
    expect(agent.messages.slice(1)).toEqual([
      { type: 'prompt', voicePrompt: 'I need a plumber', lang: 'en-US', last: true },
      { type: 'dtmf', digit: '9' },
    ]);
    const said = ofType(events, 'say').map((e) => [e.t, e['text'], e['voice'], e['language']]);
    // The greeting is the platform's (19 chars at 60 ms); the caller's 16 chars; each answer plays for its length.
    expect(said).toEqual([
      [0, 'Hi, how can I help?', 'en-US-Neural2-F', 'en-US'],
      [2100, 'Sure, what is your postcode?', 'en-US-Neural2-F', 'en-US'],
      [3980, 'Hola', 'es-ES-Neural2-A', 'es-ES'],
      // Hola (0.24 s), the play (5 s), two keys (0.4 s); then the action's document.
      [9620, 'Connecting you to a person', 'man', 'en-US'],
    ]);
    expect(one(events, 'speech')).toMatchObject({ t: 1140, text: 'I need a plumber' });
    expect(one(events, 'play')).toMatchObject({ url: 'https://cdn.example.com/hold.mp3', agent: true });
    expect(one(events, 'send-digits')).toMatchObject({ digits: '12' });
    expect(one(events, 'relay-language')).toMatchObject({ ttsLanguage: 'es-ES', transcriptionLanguage: 'es-ES' });
    expect(ofType(events, 'agent').map(({ t: _t, type: _type, ...turn }) => turn)).toEqual([
      { said: 'Sure, what is your postcode?' },
      { said: 'Hola', played: ['https://cdn.example.com/hold.mp3'], digits: '12', end: true, handoffData: '{"reason":"plumber"}' },
    ]);
    expect(one(events, 'stream')).toMatchObject({ protocol: 'conversation-relay', sessionId: expect.stringMatching(/^VX/), parameters: { customer: '7' } });
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'far-end' });
    expect(app.to('/after')[0]!.params['HandoffData']).toBe('{"reason":"plumber"}');
    // The mock runs welcomeGreeting, voice, dtmfDetection and <Language voice>: none is reported as not run.
    expect(ofType(events, 'warning').map((e) => String(e['message']))).toEqual([]);
  });

  it('keys reach the agent only with dtmfDetection; without it they are recorded as ignored', async () => {
    agent = await wsAgent((raw, ws) => {
      if ((raw as unknown as Msg)['type'] === 'prompt') ws.send(JSON.stringify({ type: 'end' }));
    });
    app = await startApp({ '/voice': relayDoc('welcomeGreeting="Hello"'), '/after': xml('<Hangup/>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, caller: [{ digits: '1' }, { speech: 'bye' }] } } });
    expect(agent.messages.map((m) => (m as unknown as Msg)['type'])).toEqual(['setup', 'prompt']);
    expect(one(events, 'digits')).toMatchObject({ digits: '1', ignored: true });
    expect(app.to('/after')[0]!.params['HandoffData']).toBe('');
  });

  it('a message Twilio would refuse is answered with an error (64107) and the session goes on', async () => {
    agent = await wsAgent((raw, ws) => {
      const m = raw as unknown as Msg;
      if (m['type'] === 'setup') {
        ws.send(JSON.stringify({ type: 'txt', token: 'oops' }));
        ws.send(JSON.stringify({ type: 'text', token: 'Welcome', last: true }));
      }
      if (m['type'] === 'error') setTimeout(() => ws.close(), 300);
    });
    app = await startApp({ '/voice': relayDoc(), '/after': xml('<Hangup/>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.1 } } });
    const error = agent.messages.find((m) => (m as unknown as Msg)['type'] === 'error') as unknown as Msg;
    expect(error['description']).toMatch(/Invalid message received: unknown message type "txt"/);
    expect(one(events, 'relay-error')).toMatchObject({ code: 64107 });
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['Welcome']);
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'far-end' });
  });

  it('barge-in: speech with interrupt cuts the greeting and the agent short where interruptible lets it, and the agent hears how far it got', async () => {
    agent = await wsAgent((raw, ws) => {
      const m = raw as unknown as Msg;
      if (m['type'] === 'prompt' && m['voicePrompt'] === 'plumber') ws.send(JSON.stringify({ type: 'text', token: 'Sure, what is your postcode?', last: true }));
      if (m['type'] === 'prompt' && m['voicePrompt'] === '94110') {
        ws.send(JSON.stringify({ type: 'text', token: 'Please hold, do not hang up.', last: true, interruptible: false }));
      }
      if (m['type'] === 'prompt' && m['voicePrompt'] === 'ok') ws.send(JSON.stringify({ type: 'end' }));
    });
    app = await startApp({ '/voice': relayDoc('welcomeGreeting="Hello, how can I help?"'), '/after': xml('<Hangup/>') });
    const caller = [
      { speech: 'plumber', interrupt: 0.6 }, // 10 characters into the greeting
      { speech: '94110', interrupt: 0.3 }, // 5 into the answer
      { speech: 'ok', interrupt: 0.3 }, // the agent said this one must not be interrupted
    ];
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, caller } } });
    const interrupts = agent.messages.filter((m) => (m as unknown as Msg)['type'] === 'interrupt');
    expect(interrupts).toEqual([
      { type: 'interrupt', utteranceUntilInterrupt: 'Hello, how', durationUntilInterruptMs: 600 },
      { type: 'interrupt', utteranceUntilInterrupt: 'Sure,', durationUntilInterruptMs: 300 },
    ]);
    const speech = ofType(events, 'speech').map((e) => e.t);
    const says = ofType(events, 'say').map((e) => e.t);
    expect(speech[0]).toBe(600);
    // Interrupted 0.3 s into the answer; the third turn waits for all 28 characters of the last (1.68 s).
    expect(speech[1]! - says[1]!).toBe(300);
    expect(speech[2]! - says[2]!).toBe(28 * 60);
    expect(ofType(events, 'agent-interrupted')).toHaveLength(2);
  });

  it('interruptible="none": the caller waits for the agent to finish, and the agent is never told of an interruption', async () => {
    agent = await wsAgent((raw, ws) => {
      if ((raw as unknown as Msg)['type'] === 'prompt') ws.send(JSON.stringify({ type: 'end' }));
    });
    app = await startApp({ '/voice': relayDoc('welcomeGreeting="Hello there" welcomeGreetingInterruptible="false"'), '/after': xml('<Hangup/>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, caller: [{ speech: 'hi', interrupt: 0.2 }] } } });
    expect(agent.messages.map((m) => (m as unknown as Msg)['type'])).toEqual(['setup', 'prompt']);
    expect(one(events, 'speech').t).toBe(11 * 60);
    expect(ofType(events, 'warning').map((e) => String(e['message'])).filter((m) => /Interruptible/.test(m))).toEqual([]);
  });

  it('an agent that floods: messages past 10,000 in one turn are dropped and said', async () => {
    agent = await wsAgent((raw, ws) => {
      if ((raw as unknown as Msg)['type'] !== 'setup') return;
      for (let i = 0; i < 10_005; i++) ws.send(JSON.stringify({ type: 'text', token: 'a' }));
      setTimeout(() => ws.close(), 300);
    });
    app = await startApp({ '/voice': relayDoc(), '/after': xml('<Hangup/>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, timeout: 3 } } });
    expect(String(one(events, 'agent')['said'])).toHaveLength(10_000);
    expect(ofType(events, 'script').map((e) => e['warning'])).toEqual([expect.stringMatching(/more than 10000 messages in one turn: the 5 past that were dropped/)]);
  });

  it('a stalled agent ends the session with stream-error and the action runs', async () => {
    agent = await wsAgent();
    app = await startApp({ '/voice': relayDoc(), '/after': xml('<Say>Sorry</Say>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, timeout: 0.5, caller: [{ speech: 'hello?' }] } } });
    expect(one(events, 'stream-end')).toMatchObject({ endedBy: 'error' });
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['Sorry']);
  });
});

describe('the <Connect action> after a session, and the attributes of a simulated caller', () => {
  it('the action hears SessionId, SessionStatus completed, SessionDuration (call time) and HandoffData after the app ends it', async () => {
    agent = await wsAgent((raw, ws) => {
      if ((raw as unknown as Msg)['type'] === 'prompt') ws.send(JSON.stringify({ type: 'end', handoffData: '{"to":"sales"}' }));
    });
    app = await startApp({ '/voice': relayDoc('welcomeGreeting="Hello, how can I help you today?"'), '/after': xml('<Hangup/>') });
    // The greeting (32 characters, 1.92 s) and the caller's words (15, 0.9 s): 2.82 s, two whole seconds and more.
    await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, first: 'caller', caller: [{ speech: 'talk to a human' }] } } });
    const setup = agent.messages[0] as unknown as Msg;
    const p = app.to('/after')[0]!.params;
    expect(p).toMatchObject({ SessionId: setup['sessionId'], SessionStatus: 'completed', SessionDuration: '3', HandoffData: '{"to":"sales"}', CallSid: setup['callSid'] });
    expect(p['ErrorCode']).toBeUndefined();
  });

  it('an app that closes the websocket without end: SessionStatus failed with Twilio\'s 64105', async () => {
    agent = await wsAgent((raw, ws) => (raw as unknown as Msg)['type'] === 'prompt' && ws.close());
    app = await startApp({ '/voice': relayDoc(), '/after': xml('<Hangup/>') });
    await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, first: 'caller', caller: [{ speech: 'hello' }] } } });
    const p = app.to('/after')[0]!.params;
    expect(p).toMatchObject({ SessionStatus: 'failed', ErrorCode: '64105', ErrorMessage: expect.stringMatching(/without an end message/) });
    expect(p['HandoffData']).toBeUndefined();
  });

  it('a websocket that cannot be opened: SessionStatus failed with Twilio\'s 64102, and the action runs', async () => {
    const closed = await wsAgent();
    const url = closed.url;
    await closed.close();
    app = await startApp({ '/voice': relayDoc(), '/after': xml('<Hangup/>') });
    await runApp({ app: app.url('/voice'), script: { agent: { url, timeout: 1 } } });
    expect(app.to('/after')[0]!.params).toMatchObject({ SessionStatus: 'failed', ErrorCode: '64102', SessionDuration: '0', SessionId: expect.stringMatching(/^VX/) });
  });

  it('preemptible: a talk cycle the app follows with its next one in the same turn is cut before it is heard; without it both are said', async () => {
    const twoAnswers = (raw: unknown, ws: import('ws').WebSocket) => {
      if ((raw as Msg)['type'] !== 'prompt') return;
      ws.send(JSON.stringify({ type: 'text', token: 'Let me check that for you.', last: true }));
      ws.send(JSON.stringify({ type: 'text', token: 'Your order ships today.', last: true }));
      ws.send(JSON.stringify({ type: 'end' }));
    };
    const said = async (attrs: string) => {
      agent = await wsAgent(twoAnswers);
      app = await startApp({ '/voice': relayDoc(attrs), '/after': xml('<Hangup/>') });
      const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, first: 'caller', caller: [{ speech: 'where is my order' }] } } });
      await app.close();
      await agent.close();
      app = agent = undefined;
      return { said: ofType(events, 'say').map((e) => e['text']), preempted: ofType(events, 'agent-preempted').map((e) => e['said']) };
    };
    expect(await said('preemptible="true"')).toEqual({ said: ['Your order ships today.'], preempted: ['Let me check that for you.'] });
    expect(await said('')).toEqual({ said: ['Let me check that for you.', 'Your order ships today.'], preempted: [] });
  });

  it('a token\'s own preemptible wins over the attribute', async () => {
    agent = await wsAgent((raw, ws) => {
      if ((raw as unknown as Msg)['type'] !== 'prompt') return;
      ws.send(JSON.stringify({ type: 'text', token: 'One moment.', last: true, preemptible: true }));
      ws.send(JSON.stringify({ type: 'text', token: 'Done.', last: true }));
      ws.send(JSON.stringify({ type: 'end' }));
    });
    app = await startApp({ '/voice': relayDoc(), '/after': xml('<Hangup/>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, first: 'caller', caller: [{ speech: 'status' }] } } });
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['Done.']);
  });

  it('partialPrompts: the caller\'s words reach the app as they grow (last: false), then whole', async () => {
    agent = await wsAgent((raw, ws) => (raw as unknown as Msg)['last'] === true && ws.send(JSON.stringify({ type: 'end' })));
    app = await startApp({ '/voice': relayDoc('partialPrompts="true" transcriptionLanguage="en-GB"'), '/after': xml('<Hangup/>') });
    await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, first: 'caller', caller: [{ speech: 'book a table' }] } } });
    expect(agent.messages.slice(1)).toEqual([
      { type: 'prompt', voicePrompt: 'book', lang: 'en-GB', last: false },
      { type: 'prompt', voicePrompt: 'book a', lang: 'en-GB', last: false },
      { type: 'prompt', voicePrompt: 'book a table', lang: 'en-GB', last: true },
    ]);
  });

  it('reportInputDuringAgentSpeech: words over speech that may not be interrupted reach the app as they are said; the agent is not cut', async () => {
    const run = async (attrs: string) => {
      agent = await wsAgent((raw, ws) => {
        const m = raw as unknown as Msg;
        if (m['voicePrompt'] === 'hi') ws.send(JSON.stringify({ type: 'text', token: 'Please listen to the whole of this.', last: true }));
        if (m['voicePrompt'] === 'ok') ws.send(JSON.stringify({ type: 'end' }));
      });
      app = await startApp({ '/voice': relayDoc(`interruptible="none" ${attrs}`), '/after': xml('<Hangup/>') });
      const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2, first: 'caller', caller: [{ speech: 'hi' }, { speech: 'ok', interrupt: 0.5 }] } } });
      const interrupted = agent.messages.some((x) => (x as unknown as Msg)['type'] === 'interrupt');
      await app.close();
      await agent.close();
      app = agent = undefined;
      const agentSaid = ofType(events, 'say')[0]!.t;
      return { okAt: ofType(events, 'speech')[1]!.t - agentSaid, interrupted };
    };
    // Reported: 0.5 s into the answer. Not reported: the caller waits for its 35 characters (2.1 s).
    expect(await run('reportInputDuringAgentSpeech="true"')).toEqual({ okAt: 500, interrupted: false });
    expect(await run('')).toEqual({ okAt: 35 * 60, interrupted: false });
  });

  it('the attributes a simulated caller has no use for are reported as not run, naming why', async () => {
    agent = await wsAgent((raw, ws) => (raw as unknown as Msg)['type'] === 'setup' && ws.send(JSON.stringify({ type: 'end' })));
    app = await startApp({ '/voice': relayDoc('ttsProvider="ElevenLabs" interruptSensitivity="low" profanityFilter="false" preemptible="true" partialPrompts="true"'), '/after': xml('<Hangup/>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { agent: { url: agent.url, quiet: 0.2 } } });
    const warnings = ofType(events, 'warning').map((e) => String(e['message']));
    for (const a of ['ttsProvider', 'interruptSensitivity', 'profanityFilter']) expect(warnings.some((w) => w.includes(`<ConversationRelay ${a}>`))).toBe(true);
    for (const a of ['preemptible', 'partialPrompts']) expect(warnings.some((w) => w.includes(`<ConversationRelay ${a}>`))).toBe(false);
  });
});

describe('checking what the agent sends', () => {
  it.each([
    ['{"type":"text","token":"Hi","last":true,"lang":"fr-FR"}', { type: 'text', token: 'Hi', last: true, lang: 'fr-FR' }],
    ['{"type":"text","token":"Hi"}', { type: 'text', token: 'Hi', last: false }],
    ['{"type":"play","source":"https://x.example/a.mp3","loop":2}', { type: 'play', source: 'https://x.example/a.mp3', loop: 2 }],
    ['{"type":"sendDigits","digits":"1w2#"}', { type: 'sendDigits', digits: '1w2#' }],
    ['{"type":"language","ttsLanguage":"de-DE"}', { type: 'language', ttsLanguage: 'de-DE' }],
    ['{"type":"end","handoffData":"{}"}', { type: 'end', handoffData: '{}' }],
  ])('%s is read', (raw, want) => {
    expect(readAppMessage(raw)).toEqual(want);
  });

  it.each([
    ['not json', /not JSON/],
    ['{"type":"text"}', /string token/],
    ['{"type":"text","token":"a","last":"yes"}', /booleans/],
    ['{"type":"play","source":"hold.mp3"}', /source URL/],
    ['{"type":"sendDigits","digits":"12a"}', /0-9, \*, #, w and W/],
    ['{"type":"language"}', /ttsLanguage, transcriptionLanguage or both/],
    ['{"type":"end","handoffData":{"a":1}}', /handoffData is a string/],
  ])('%s is refused', (raw, why) => {
    const r = readAppMessage(raw);
    expect('invalid' in r && r.invalid).toMatch(why);
  });
});
