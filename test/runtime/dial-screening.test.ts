// <Number url> (and <Sip url>, <Client url>): the app's screening document runs on the callee
// after it answers and before the bridge; the caller hears ringing meanwhile; a <Hangup> in it (or
// the callee hanging up) turns the callee down and the Dial goes on with the others.
// https://www.twilio.com/docs/voice/twiml/number#url
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SID, flow, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const WHISPER = xml('<Gather numDigits="1" timeout="3" action="/screened"><Say>Call for you. Press 1 to take it.</Say></Gather><Say>Turning it down.</Say><Hangup/>');

async function screenApp(dial: string, whisper = WHISPER): Promise<TestApp> {
  app = await startApp({ '/voice': xml(dial), '/whisper': whisper, '/screened': xml('<Say>Connecting.</Say>'), '/after': xml('') });
  return app;
}

describe('<Number url>: a screening document on the callee', () => {
  it('runs on the callee after it answers; a key accepts; the action runs there too, then the bridge', async () => {
    await screenApp('<Dial action="/after" callerId="+14155550100"><Number url="/whisper">+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 2, talk: 10, actions: [{ digits: '1' }] } } } });
    const whisper = app!.to('/whisper')[0]!.params;
    expect(whisper).toMatchObject({ ParentCallSid: CALL_SID, Direction: 'outbound-dial', From: '+14155550100', To: '+14155550111', CallStatus: 'in-progress' });
    expect(whisper['CallSid']).toMatch(/^CA[0-9a-f]{32}$/);
    expect(whisper['CallSid']).not.toBe(CALL_SID);
    expect(app!.to('/screened')[0]!.params).toMatchObject({ CallSid: whisper['CallSid'], Digits: '1' });
    const after = app!.to('/after')[0]!.params;
    expect(after).toMatchObject({ DialCallStatus: 'completed', DialCallSid: whisper['CallSid'] });
    // What the callee heard is marked with its leg; the bridge comes after it.
    const calleeLeg = one(events, 'dial-attempt')['callId'];
    expect(ofType(events, 'say').map((e) => [e['text'], e['leg']])).toEqual([
      ['Call for you. Press 1 to take it.', calleeLeg],
      ['Connecting.', calleeLeg],
    ]);
    expect(flow(events).filter((t) => ['say', 'bridge', 'dial-end'].includes(t))).toEqual(['say', 'say', 'bridge', 'dial-end']);
  });

  it('a <Hangup> turns the callee down and the Dial goes on with the next one', async () => {
    await screenApp('<Dial action="/after" sequential="true"><Number url="/whisper">+14155550111</Number><Number url="/whisper">+14155550112</Number></Dial>');
    const { events } = await runApp({
      app: app!.url('/voice'),
      script: { callees: { '+14155550111': { ring: 1 }, '+14155550112': { ring: 1, talk: 5, actions: [{ digits: '1' }] } } },
    });
    expect(app!.to('/whisper').map((r) => r.params['To'])).toEqual(['+14155550111', '+14155550112']);
    expect(ofType(events, 'callee-hangup').map((e) => e['reason'])).toEqual(['screened-out']);
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'completed', DialCallSid: app!.to('/whisper')[1]!.params['CallSid'] });
  });

  it('all turned down: the Dial is no-answer and the caller was never bridged', async () => {
    await screenApp('<Dial action="/after"><Number url="/whisper">+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 1 } } } });
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'no-answer', DialBridged: 'false' });
    expect(ofType(events, 'bridge')).toEqual([]);
  });

  it('turned down by its screening: DialCallSid is that leg, the CallSid its screening requests carried', async () => {
    await screenApp('<Dial action="/after"><Number url="/whisper">+14155550111</Number></Dial>');
    await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 1 } } } });
    const leg = app!.to('/whisper')[0]!.params['CallSid'];
    expect(leg).toMatch(/^CA[0-9a-f]{32}$/);
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'no-answer', DialCallSid: leg, DialCallDuration: '0' });
  });

  it('in parallel, one busy at once and one screened out later: DialCallSid is the screened leg, whose no-answer is the Dial\'s', async () => {
    await screenApp('<Dial action="/after"><Number>+14155550112</Number><Number url="/whisper">+14155550111</Number></Dial>');
    await runApp({ app: app!.url('/voice'), script: { callees: { '+14155550111': { ring: 1 }, '+14155550112': { response: 'busy' } } } });
    const screened = app!.to('/whisper')[0]!.params['CallSid'];
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'no-answer', DialCallSid: screened });
  });

  it('sequential, screened out then busy: DialCallSid is the last leg rung, not the screened one', async () => {
    await screenApp('<Dial action="/after" sequential="true"><Number url="/whisper">+14155550111</Number><Number statusCallback="/legs">+14155550112</Number></Dial>');
    await runApp({ app: app!.url('/voice'), script: { callees: { '+14155550111': { ring: 1 }, '+14155550112': { response: 'busy' } } } });
    const screened = app!.to('/whisper')[0]!.params['CallSid'];
    const busy = app!.to('/legs')[0]!.params['CallSid'];
    expect(busy).not.toBe(screened);
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'busy', DialCallSid: busy });
  });

  it('the callee hanging up during the screening turns it down', async () => {
    await screenApp('<Dial action="/after"><Number url="/whisper">+14155550111</Number></Dial>');
    await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 1, actions: [{ hangup: true, after: 1 }] } } } });
    expect(app!.to('/screened')).toEqual([]);
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'no-answer' });
  });

  it('answerOnBridge: the caller is answered only once the screening accepted the callee', async () => {
    await screenApp('<Dial answerOnBridge="true" action="/after"><Number url="/whisper">+14155550111</Number></Dial>', xml('<Say>Call for you.</Say>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 2, talk: 5 } } } });
    const t = (type: string) => one(events, type).t;
    expect(t('answer')).toBeGreaterThanOrEqual(ofType(events, 'say')[0]!.t);
    expect(t('answer')).toBeLessThanOrEqual(t('bridge'));
  });

  it('the caller hanging up during the screening stops it and cancels the Dial', async () => {
    await screenApp('<Dial action="/after"><Number url="/whisper">+14155550111</Number></Dial>');
    const { summary, events } = await runApp({ app: app!.url('/voice'), script: { hangupAfter: 3, callees: { '*': { ring: 1 } } } });
    expect(summary.reason).toBe('caller hung up');
    expect(ofType(events, 'bridge')).toEqual([]);
    expect(app!.to('/screened')).toEqual([]);
  });

  it('an <Enqueue> (or anything that would hold the callee elsewhere) in a screening document is skipped too', async () => {
    await screenApp('<Dial action="/after"><Number url="/whisper">+14155550111</Number></Dial>', xml('<Enqueue>elsewhere</Enqueue><Say>Hi.</Say>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 1, talk: 3 } } } });
    expect(ofType(events, 'warning').map((e) => e['message'])).toContainEqual(expect.stringMatching(/^<Enqueue> is not allowed in a document run before a bridge/));
    expect(ofType(events, 'enqueue')).toEqual([]);
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'completed' });
  });

  it('a <Dial> in a screening document is skipped with a warning', async () => {
    await screenApp('<Dial action="/after"><Number url="/whisper">+14155550111</Number></Dial>', xml('<Dial>+14155550999</Dial><Say>Hi.</Say>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 1, talk: 3 } } } });
    expect(ofType(events, 'warning').map((e) => e['message'])).toContainEqual(expect.stringMatching(/<Dial> is not allowed in a document run before a bridge \(<Number url>, <Queue url>: Say, Play, Pause, Gather, Hangup, Reject, Redirect\)/));
    expect(ofType(events, 'dial')).toHaveLength(1);
    expect(app!.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'completed' });
  });
});

function one(events: { type: string; t: number; [k: string]: unknown }[], type: string) {
  const found = ofType(events, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
}
