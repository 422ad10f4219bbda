// An attribute the runtime does not honour (grammar x-runtime) is said, not silently dropped:
// a transcript warning naming the element and attribute, once per call for each document, only
// when the document writes it; a warn-level log line under `didml serve`; and a lint note.
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { CallService } from '../../src/calls/service.js';
import { sequentialIds } from '../../src/ids.js';
import { DEFAULT_LIMITS } from '../../src/runtime/limits.js';
import { runCall } from '../../src/runtime/session.js';
import { createMockAdapter } from '../../src/telephony/mock/index.js';
import type { TranscriptEvent } from '../../src/telephony/mock/index.js';
import { lint } from '../../src/validate/lint.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const notRun = (events: readonly TranscriptEvent[]) => ofType(events, 'warning').filter((e) => e['rule'] === 'runtime-support');

describe('attributes the runtime does not honour', () => {
  it('are reported when the document runs: the element, the attribute, why, and that the call goes on', async () => {
    app = await startApp({ '/voice': xml('<Gather input="speech" partialResultCallback="/partial" timeout="2"/><Say>Bye</Say>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(notRun(events)).toEqual([
      expect.objectContaining({
        url: app.url('/voice'),
        element: 'Gather',
        attribute: 'partialResultCallback',
        message: "<Gather partialResultCallback> is not run by didml's runtime (the platform runs it): no partial speech results are sent; the call goes on without it",
      }),
    ]);
    // The rest of the document ran.
    expect(ofType(events, 'say').map((e) => e['text'])).toEqual(['Bye']);
  });

  it('only when written: a default the grammar fills in (profanityFilter, speechModel) is not reported', async () => {
    app = await startApp({ '/voice': xml('<Gather input="speech" timeout="2"/>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(notRun(events)).toEqual([]);
  });

  it('once per call for each document and attribute, however often the document runs', async () => {
    let n = 0;
    app = await startApp({
      '/voice': () => (n++ < 3 ? xml('<Gather input="speech" enhanced="true" timeout="1"/><Redirect>/voice</Redirect>') : xml('<Hangup/>')),
    });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(app.to('/voice')).toHaveLength(4);
    expect(notRun(events).map((e) => `${String(e['element'])}@${String(e['attribute'])}`)).toEqual(['Gather@enhanced']);
  });

  it('in each dialect by its own spelling: DIDML <number record>', async () => {
    app = await startApp({ '/voice': '<response><dial><number record="on">+14155550111</number></dial></response>' });
    const { events } = await runApp({ app: { url: app.url('/voice'), dialect: 'didml' } });
    expect(notRun(events).map((e) => e['message'])).toEqual([expect.stringMatching(/^<Number record> is not run by didml's runtime .*put record on the <dial>/)]);
  });

  it("per backend: <Record transcribe> is honoured on the mock, and reported on drachtio's legs", async () => {
    const doc = xml('<Record transcribe="true" transcribeCallback="/t" timeout="1"/>');
    app = await startApp({ '/voice': doc, '/t': '' });
    const onMock = await runApp({ app: app.url('/voice') });
    expect(notRun(onMock.events)).toEqual([]);

    // The same call on a leg that says it is drachtio's: the session reads the marks for that backend.
    const clock = new VirtualClock();
    const adapter = createMockAdapter({ clock });
    const webhooks = createWebhookClient();
    const call = adapter.placeCall({});
    Object.defineProperty(call.leg, 'backend', { value: 'drachtio' });
    const events: TranscriptEvent[] = [];
    try {
      await runCall(call, { app: { url: app.url('/voice') }, webhooks, clock, ids: sequentialIds(), onEvent: (e) => void events.push(e) });
    } finally {
      await webhooks.close();
      await adapter.close();
    }
    expect(notRun(events).map((e) => e['message'])).toEqual([
      "<Record transcribe> is not run by didml's drachtio backend (the platform runs it): the drachtio backend has no speech-to-text for recordings; the call goes on without it",
      "<Record transcribeCallback> is not run by didml's drachtio backend (the platform runs it): the drachtio backend has no speech-to-text for recordings; the call goes on without it",
    ]);
  });

  it('under didml serve, each is a warn-level log line naming the element and attribute', async () => {
    app = await startApp({ '/voice': xml('<Dial ringTone="uk">+14155550111</Dial>') });
    const clock = new VirtualClock();
    const adapter = createMockAdapter({ clock });
    const webhooks = createWebhookClient();
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const log = (fields: Record<string, unknown> = {}): import('../../src/log.js').Logger => ({
      debug: (msg, f) => void lines.push({ level: 'debug', msg, fields: { ...fields, ...f } }),
      info: (msg, f) => void lines.push({ level: 'info', msg, fields: { ...fields, ...f } }),
      warn: (msg, f) => void lines.push({ level: 'warn', msg, fields: { ...fields, ...f } }),
      error: (msg, f) => void lines.push({ level: 'error', msg, fields: { ...fields, ...f } }),
      child: (more) => log({ ...fields, ...more }),
    });
    const service = new CallService({
      apps: { '*': { url: app.url('/voice') } },
      webhooks,
      clock,
      log: log(),
      accountSid: 'AC' + '0'.repeat(32),
      limits: DEFAULT_LIMITS,
      maxDocumentBytes: 65536,
      keepEnded: 10,
      keepEndedSeconds: 60,
    });
    try {
      service.inbound(adapter.placeCall({ callees: { '*': { ring: 1, talk: 2 } } }));
      await service.settled();
    } finally {
      await webhooks.close();
      await adapter.close();
    }
    expect(lines.filter((l) => l.level === 'warn' && l.fields['rule'] === 'runtime-support')).toEqual([
      expect.objectContaining({ msg: 'warning', fields: expect.objectContaining({ element: 'Dial', attribute: 'ringTone', message: expect.stringContaining("the caller hears the backend's ringing") }) }),
    ]);
  });
});

describe('lint: rule runtime-support', () => {
  it('notes each attribute the runtime does not run yet, at its name, as info', () => {
    const src = xml('<Record transcribe="true" transcribeCallback="/t"/><Gather partialResultCallback="/p"/>');
    const notes = lint(src, { dialect: 'twiml' }).diagnostics.filter((d) => d.rule === 'runtime-support');
    expect(notes.map((d) => [d.severity, src.slice(d.start, d.end), d.message])).toEqual([
      ['info', 'transcribe', "<Record transcribe>: didml's drachtio backend does not run it yet (Twilio TwiML (voice) does): the drachtio backend has no speech-to-text for recordings"],
      ['info', 'transcribeCallback', "<Record transcribeCallback>: didml's drachtio backend does not run it yet (Twilio TwiML (voice) does): the drachtio backend has no speech-to-text for recordings"],
      ['info', 'partialResultCallback', "<Gather partialResultCallback>: didml's runtime does not run it yet (Twilio TwiML (voice) does): no partial speech results are sent"],
    ]);
  });

  it('says nothing of attributes the runtime honours', () => {
    expect(lint(xml('<Gather input="speech" action="/next" timeout="3"><Say>Hi</Say></Gather>'), { dialect: 'twiml' }).diagnostics.filter((d) => d.rule === 'runtime-support')).toEqual([]);
  });
});
