// Calls the runtime places (Twilio's Calls API: Direction outbound-api) and live calls given new
// instructions (the Calls API's update), on the mock backend in virtual time, against a real app
// on loopback. https://www.twilio.com/docs/voice/api/call-resource
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { sequentialIds } from '../../src/ids.js';
import { INLINE_APP_URL, Session, type SessionOptions, type StatusChange } from '../../src/runtime/session.js';
import type { TimedEvent } from '../../src/runtime/events.js';
import { createMockAdapter, type CalleeBehaviour, type MockAdapter } from '../../src/telephony/mock/index.js';
import type { DialTarget, OriginateOptions } from '../../src/telephony/adapter.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { startApp, xml, type Route, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

interface Placed {
  session: Session;
  adapter: MockAdapter;
  clock: VirtualClock;
  events: TimedEvent[];
  statuses: StatusChange[];
  run: Promise<Awaited<ReturnType<Session['run']>>>;
}

function place(o: {
  app: SessionOptions['app'];
  callee?: CalleeBehaviour;
  target?: DialTarget;
  timeout?: number;
  machineDetection?: OriginateOptions['machineDetection'];
  twiml?: string;
  sendDigits?: string;
}): Placed {
  const clock = new VirtualClock();
  const target = o.target ?? { kind: 'number', number: '+14155550123' };
  const adapter = createMockAdapter({ clock, outbound: { callees: { '*': o.callee ?? {} } } });
  const webhooks = createWebhookClient({});
  const events: TimedEvent[] = [];
  const statuses: StatusChange[] = [];
  const session = new Session(undefined, {
    app: o.app,
    webhooks,
    clock,
    ids: sequentialIds(),
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    ...(o.twiml !== undefined ? { twiml: o.twiml } : {}),
    outbound: {
      from: '+14155550100',
      to: '+14155550123',
      ...(o.sendDigits ? { sendDigits: o.sendDigits } : {}),
      originate: (more) =>
        adapter.originate({ target, from: '+14155550100', timeout: o.timeout ?? 60, ...(o.machineDetection ? { machineDetection: o.machineDetection } : {}), ...more }),
    },
  });
  const run = session.run().finally(() => webhooks.close());
  return { session, adapter, clock, events, statuses, run };
}

const legEvents = (p: Placed) => [...p.adapter.calls.values()][0]!.transcript;

async function serve(routes: Record<string, Route>): Promise<TestApp> {
  app = await startApp(routes);
  return app;
}

describe('a placed call', () => {
  it('rings, is answered, and runs the app with Direction outbound-api; status callbacks for each event asked for', async () => {
    const a = await serve({ '/voice': xml('<Say>Your appointment is tomorrow.</Say>'), '/status': '' });
    const p = place({
      app: { url: a.url('/voice'), statusCallback: a.url('/status'), statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'] },
      callee: { ring: 3 },
    });
    const summary = await p.run;
    expect(summary.status).toBe('completed');
    const voice = a.to('/voice')[0]!.params;
    expect(voice).toMatchObject({ Direction: 'outbound-api', From: '+14155550100', To: '+14155550123', CallStatus: 'in-progress', CallSid: summary.callSid });
    // The app is asked once the far end has answered, 3 s in.
    expect(p.events.find((e) => e.type === 'webhook')!.t).toBe(3000);
    expect(a.to('/status').map((r) => [r.params['StatusCallbackEvent'], r.params['CallStatus']])).toEqual([
      ['initiated', 'initiated'],
      ['ringing', 'ringing'],
      ['answered', 'in-progress'],
      ['completed', 'completed'],
    ]);
    expect(p.statuses.map((s) => s.status)).toEqual(['queued', 'queued', 'ringing', 'in-progress', 'completed']);
    expect(p.statuses.find((s) => s.callId)?.callId).toMatch(/^CA/);
    expect(legEvents(p).map((e) => e.type)).toEqual(['outbound', 'ringing', 'answer', 'say', 'hangup']);
  });

  it.each([
    [{ response: 'busy' } as CalleeBehaviour, 'busy', 486],
    [{ response: 'no-answer' } as CalleeBehaviour, 'no-answer', 487],
    [{ response: 503 } as CalleeBehaviour, 'failed', 503],
  ])('that is not answered (%j) ends %s without requesting the app', async (callee, status, code) => {
    const a = await serve({ '/voice': xml('<Say>never</Say>'), '/status': '' });
    const p = place({ app: { url: a.url('/voice'), statusCallback: a.url('/status') }, callee, timeout: 20 });
    const summary = await p.run;
    expect(summary.status).toBe(status);
    expect(a.to('/voice')).toEqual([]);
    expect(a.to('/status').map((r) => [r.params['CallStatus'], r.params['SipResponseCode']])).toEqual([[status, String(code)]]);
    expect(legEvents(p).find((e) => e.type === 'outbound-response')).toMatchObject({ sipResponseCode: code, status });
    if (status === 'no-answer') expect(summary.duration).toBe(20);
  });

  it('is canceled while it rings: CANCEL, status canceled, the app never asked', async () => {
    const a = await serve({ '/voice': xml('<Say>never</Say>') });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 30 } });
    p.clock.timer(2000, () => p.session.end('canceled', 'canceled through the API'));
    const summary = await p.run;
    expect(summary.status).toBe('canceled');
    expect(legEvents(p).find((e) => e.type === 'outbound-response')).toMatchObject({ sipResponseCode: 487, status: 'canceled', t: 2000 });
    expect(a.requests).toEqual([]);
  });

  it('with machine detection, the app gets AnsweredBy once the detector has decided', async () => {
    const a = await serve({ '/voice': xml('<Hangup/>') });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 1, answeredBy: 'machine_end_beep' }, machineDetection: { mode: 'Enable', timeout: 30 } });
    await p.run;
    expect(a.to('/voice')[0]!.params).toMatchObject({ AnsweredBy: 'machine_start' });
    expect(p.statuses.at(-1)).toMatchObject({ status: 'completed', answeredBy: 'machine_start' });
  });

  it('sends SendDigits once answered, before the app is requested; the far end presses keys at a Gather', async () => {
    const a = await serve({ '/voice': xml('<Gather action="/got" numDigits="1"><Say>Press 1 to confirm</Say></Gather>'), '/got': xml('<Say>Confirmed</Say>') });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 0, actions: [{ digits: '1' }] }, sendDigits: '1234#' });
    await p.run;
    expect(legEvents(p).map((e) => e.type).slice(0, 4)).toEqual(['outbound', 'answer', 'send-digits', 'gather']);
    expect(a.to('/got')[0]!.params).toMatchObject({ Digits: '1', Direction: 'outbound-api' });
  });

  it('runs inline TwiML (Twiml) without a request; a relative URL in it has nothing to resolve against', async () => {
    const a = await serve({});
    const p = place({ app: { url: INLINE_APP_URL }, twiml: xml(`<Say>Hi</Say><Redirect>/next</Redirect>`) });
    const summary = await p.run;
    expect(a.requests).toEqual([]);
    expect(legEvents(p).some((e) => e.type === 'say' && e['text'] === 'Hi')).toBe(true);
    expect(summary.errors[0]).toMatchObject({ code: 'DIDML_DOCUMENT_INVALID', message: expect.stringMatching(/"\/next" is a relative URL in TwiML given inline/) });
  });
});

describe('a live call given new instructions', () => {
  it('ends a <Say> mid-sentence and runs the new document; the old document goes no further', async () => {
    const long = 'This is a very long announcement that goes on and on. '.repeat(10);
    const a = await serve({ '/voice': xml(`<Say>${long}</Say><Say>not reached</Say>`), '/agent': xml('<Say>Connecting you to an agent</Say>') });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 0 } });
    p.clock.timer(4000, () => p.session.redirect({ url: a.url('/agent') }));
    await p.run;
    const says = legEvents(p).filter((e) => e.type === 'say').map((e) => [e.t, e['text']]);
    expect(says).toEqual([
      [0, long.trim()],
      [4000, 'Connecting you to an agent'],
    ]);
    expect(p.events.find((e) => e.type === 'update')).toMatchObject({ t: 4000, url: a.url('/agent'), method: 'POST' });
  });

  it('ends a <Gather> without requesting its action, and a <Dial> with its callee', async () => {
    const a = await serve({
      '/voice': xml('<Gather action="/gathered" timeout="30"><Say>Press a key</Say></Gather>'),
      '/gathered': xml('<Say>should not run</Say>'),
      '/dial': xml('<Dial action="/dialed"><Number>+14155550177</Number></Dial>'),
      '/dialed': xml('<Say>should not run</Say>'),
    });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 0 } });
    p.clock.timer(3000, () => p.session.redirect({ url: a.url('/dial') }));
    p.clock.timer(15000, () => p.session.redirect({ twiml: xml('<Say>Goodbye</Say>') }));
    await p.run;
    expect(a.to('/gathered')).toEqual([]);
    expect(a.to('/dialed')).toEqual([]);
    const t = legEvents(p);
    expect(t.find((e) => e.type === 'dial-end')).toMatchObject({ t: 15000, status: 'completed' });
    expect(t.filter((e) => e.type === 'say').map((e) => e['text'])).toEqual(['Press a key', 'Goodbye']);
  });

  it('Status=canceled on a call in progress does nothing, as on Twilio', async () => {
    const a = await serve({ '/voice': xml('<Pause length="5"/><Say>still here</Say>') });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 0 } });
    const took: boolean[] = [];
    p.clock.timer(2000, () => took.push(p.session.end('canceled', 'canceled through the API')));
    const summary = await p.run;
    expect(took).toEqual([false]);
    expect(summary.status).toBe('completed');
    expect(legEvents(p).some((e) => e.type === 'say' && e['text'] === 'still here')).toBe(true);
    expect(p.events.find((e) => e.type === 'update')).toMatchObject({ t: 2000, status: 'canceled' });
  });

  it('hangs up with Status=completed: the call ends completed, the next verb never runs', async () => {
    const a = await serve({ '/voice': xml('<Pause length="40"/><Say>not reached</Say>') });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 0 } });
    p.clock.timer(10_000, () => p.session.end('completed', 'ended through the API'));
    const summary = await p.run;
    expect(summary).toMatchObject({ status: 'completed', duration: 10, reason: 'ended through the API' });
    expect(legEvents(p).some((e) => e.type === 'say')).toBe(false);
  });

  it('takes a caller out of a queue wait: the caller leaves the queue, its Enqueue action is not requested', async () => {
    const a = await serve({
      '/voice': xml('<Enqueue action="/left" waitUrl="/wait">support</Enqueue>'),
      '/wait': xml('<Say>Please hold</Say><Pause length="20"/>'),
      '/left': xml('<Say>never</Say>'),
      '/agent': xml('<Say>An agent took your call</Say>'),
    });
    const p = place({ app: { url: a.url('/voice') }, callee: { ring: 0 } });
    p.clock.timer(8000, () => p.session.redirect({ url: a.url('/agent') }));
    await p.run;
    expect(a.to('/left')).toEqual([]);
    const says = legEvents(p).filter((e) => e.type === 'say').map((e) => [e.t, e['text']]);
    expect(says).toEqual([
      [0, 'Please hold'],
      [8000, 'An agent took your call'],
    ]);
  });
});
