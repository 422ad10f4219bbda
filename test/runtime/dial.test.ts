// <Dial> as Twilio runs it: parallel ringing with the first answer winning, the outcomes the app
// gets on the action (DialCallStatus & co.), and the attributes that shape the bridged call.
// https://www.twilio.com/docs/voice/twiml/dial (reference §1.4, §1.6, §2.2)
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SID, flow, heard, one, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app whose /voice dials and whose /after receives the outcome. */
async function dialApp(dial: string, after = xml('<Say>After the dial</Say>')): Promise<TestApp> {
  app = await startApp({ '/voice': xml(dial), '/after': after });
  return app;
}

const afterParams = (): Record<string, string> => {
  expect(app!.to('/after')).toHaveLength(1);
  return app!.to('/after')[0]!.params;
};

describe('<Dial> rings in parallel and bridges the first to answer', () => {
  it('dials Number, Sip and Client at once; the first to answer wins and the others are cancelled', async () => {
    await dialApp(
      '<Dial action="/after"><Number>+14155550111</Number><Sip>sip:agent@pbx.example.com?X-Queue=sales</Sip><Client>alice</Client></Dial>',
    );
    const { events } = await runApp({
      app: app!.url('/voice'),
      script: {
        callees: {
          '+14155550111': { ring: 8 },
          'sip:agent@pbx.example.com': { ring: 3, talk: 42, headers: { 'X-Agent': '7' } },
          alice: { ring: 5 },
        },
      },
    });
    const dial = one(events, 'dial');
    expect(dial['targets']).toEqual([
      { kind: 'number', number: '+14155550111' },
      { kind: 'sip', uri: 'sip:agent@pbx.example.com', headers: { 'X-Queue': 'sales' } },
      { kind: 'client', identity: 'alice' },
    ]);
    expect(ofType(events, 'dial-attempt').map((e) => e.t)).toEqual([0, 0, 0]);
    const responses = ofType(events, 'dial-response').map((e) => [e.t, e.sipResponseCode, e.status]);
    expect(responses).toEqual([
      [3000, 200, 'answered'],
      [3000, 487, 'canceled'],
      [3000, 487, 'canceled'],
    ]);
    const sip = ofType(events, 'dial-attempt')[1]!;
    expect(one(events, 'bridge')).toMatchObject({ t: 3000, callId: sip['callId'] });
    expect(one(events, 'dial-end')).toMatchObject({ t: 45_000, status: 'completed', duration: 42, endedBy: 'callee' });
    expect(afterParams()).toMatchObject({
      CallSid: CALL_SID,
      DialCallStatus: 'completed',
      DialCallSid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      DialCallDuration: '42',
      DialBridged: 'true',
      DialSipResponseCode: '200',
      DialSipCallId: sip['callId'],
      'DialSipHeader_X-Agent': '7',
    });
    expect(afterParams()['DialCallSid']).not.toBe(CALL_SID);
  });

  it('dials a bare number written as the Dial text', async () => {
    await dialApp('<Dial>+14155550111</Dial>');
    const { events } = await runApp({ app: app!.url('/voice') });
    expect(one(events, 'dial')['targets']).toEqual([{ kind: 'number', number: '+14155550111' }]);
  });

  it('sends a Number\'s sendDigits once it answers', async () => {
    await dialApp('<Dial><Number sendDigits="ww42">+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice') });
    expect(one(events, 'send-digits')).toMatchObject({ t: 5000, digits: 'ww42' });
  });
});

describe('<Dial> outcomes on the action', () => {
  it('busy: DialCallStatus=busy, not bridged', async () => {
    await dialApp('<Dial action="/after"><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { response: 'busy', ring: 2 } } } });
    expect(one(events, 'dial-end')).toMatchObject({ t: 2000, status: 'busy' });
    const p = afterParams();
    expect(p).toMatchObject({ DialCallStatus: 'busy', DialBridged: 'false', DialCallDuration: '0', DialCallSid: expect.stringMatching(/^CA/) });
    // A <Number> leg is not a SIP leg for the app: no DialSipResponseCode (Twilio sends it for <Sip>).
    expect(p['DialSipResponseCode']).toBeUndefined();
  });

  it('busy <Sip>: DialSipResponseCode=486', async () => {
    await dialApp('<Dial action="/after"><Sip>sip:bob@example.com</Sip></Dial>');
    await runApp({ app: app!.url('/voice'), script: { callees: { 'sip:bob@example.com': { response: 'busy' } } } });
    expect(afterParams()).toMatchObject({ DialCallStatus: 'busy', DialSipResponseCode: '486', DialBridged: 'false' });
  });

  it('no-answer: rings for timeout seconds, then no-answer (487 to the INVITE)', async () => {
    await dialApp('<Dial action="/after" timeout="10"><Sip>sip:bob@example.com</Sip></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { response: 'no-answer' } } } });
    expect(one(events, 'dial')).toMatchObject({ timeout: 10 });
    expect(one(events, 'dial-end')).toMatchObject({ t: 10_000, status: 'no-answer' });
    expect(afterParams()).toMatchObject({ DialCallStatus: 'no-answer', DialSipResponseCode: '487', DialBridged: 'false' });
  });

  it('rings for 30 s by default', async () => {
    await dialApp('<Dial action="/after"><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { response: 'no-answer' } } } });
    expect(one(events, 'dial-end')).toMatchObject({ t: 30_000, status: 'no-answer' });
  });

  it('failed: a SIP failure code becomes DialCallStatus=failed with that code', async () => {
    await dialApp('<Dial action="/after"><Sip>sip:bob@example.com</Sip></Dial>');
    await runApp({ app: app!.url('/voice'), script: { callees: { '*': { response: 503 } } } });
    expect(afterParams()).toMatchObject({ DialCallStatus: 'failed', DialSipResponseCode: '503' });
  });

  it('takes the status of the last attempt to end when nobody answers', async () => {
    await dialApp('<Dial action="/after" timeout="20"><Number>+14155550111</Number><Number>+14155550122</Number></Dial>');
    await runApp({
      app: app!.url('/voice'),
      script: { callees: { '+14155550111': { response: 'busy', ring: 1 }, '+14155550122': { response: 'no-answer' } } },
    });
    expect(afterParams()['DialCallStatus']).toBe('no-answer');
  });
});

describe('<Dial> attributes', () => {
  it('timeLimit ends the bridged call', async () => {
    await dialApp('<Dial action="/after" timeLimit="20"><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 1, talk: 600 } } } });
    expect(one(events, 'dial-end')).toMatchObject({ t: 21_000, endedBy: 'time-limit', duration: 20 });
    expect(afterParams()).toMatchObject({ DialCallStatus: 'completed', DialCallDuration: '20' });
  });

  it('callerId goes on every INVITE; by default it is the caller\'s number', async () => {
    await dialApp('<Dial callerId="+18005550000"><Number>+14155550111</Number></Dial><Dial><Number>+14155550122</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { from: '+14155550100', callees: { '*': { talk: 1 } } } });
    expect(ofType(events, 'dial-attempt').map((e) => e['callerId'])).toEqual(['+18005550000', '+14155550100']);
  });

  it('hangupOnStar: * ends the bridged call and the caller goes on with the next verb', async () => {
    await dialApp('<Dial hangupOnStar="true"><Number>+14155550111</Number></Dial><Say>Back with us</Say>');
    const { events, summary } = await runApp({
      app: app!.url('/voice'),
      script: { caller: [{ digits: '*', after: 12 }], callees: { '*': { ring: 2, talk: 600 } } },
    });
    expect(one(events, 'dial-end')).toMatchObject({ t: 12_000, endedBy: 'hangup-on-star', duration: 10 });
    expect(one(events, 'say').t).toBe(12_000);
    expect(summary.status).toBe('completed');
  });

  it('without hangupOnStar, * does nothing', async () => {
    await dialApp('<Dial><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ digits: '*', after: 12 }], callees: { '*': { talk: 20 } } } });
    expect(one(events, 'dial-end')).toMatchObject({ endedBy: 'callee' });
  });

  it('record="record-from-answer" gives RecordingUrl and RecordingDuration on the action', async () => {
    await dialApp('<Dial action="/after" record="record-from-answer"><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { talk: 25 } } } });
    expect(one(events, 'dial')).toMatchObject({ record: true });
    const p = afterParams();
    expect(p['RecordingUrl']).toMatch(/\.wav$/);
    expect(p['RecordingDuration']).toBe('25');
  });

  it('recordingStatusCallback hears of the Dial\'s recording (RecordingSource DialVerb, two channels for -dual)', async () => {
    app = await startApp({
      '/voice': xml('<Dial record="record-from-answer-dual" recordingStatusCallback="/rec" action="/after"><Number>+14155550111</Number></Dial>'),
      '/after': xml(''),
      '/rec': '',
    });
    await runApp({ app: app.url('/voice'), script: { callees: { '*': { talk: 12 } } } });
    expect(app.to('/rec')).toHaveLength(1);
    expect(app.to('/rec')[0]!.params).toMatchObject({
      RecordingSid: expect.stringMatching(/^RE/),
      RecordingUrl: afterParams()['RecordingUrl'],
      RecordingStatus: 'completed',
      RecordingDuration: '12',
      RecordingChannels: '2',
      RecordingSource: 'DialVerb',
    });
  });

  it('does not record by default', async () => {
    await dialApp('<Dial action="/after"><Number>+14155550111</Number></Dial>');
    await runApp({ app: app!.url('/voice') });
    expect(afterParams()['RecordingUrl']).toBeUndefined();
  });

  it('answerOnBridge: the caller is not answered until the callee answers', async () => {
    await dialApp('<Dial answerOnBridge="true"><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { ring: 7, talk: 3 } } } });
    expect(flow(events).slice(0, 4)).toEqual(['dial', 'dial-attempt', 'dial-response', 'answer']);
    expect(one(events, 'answer').t).toBe(7000);
  });

  it('answerOnBridge: the answered callback fires when the callee answers, and the action sees the call in progress', async () => {
    app = await startApp({ '/voice': xml('<Dial answerOnBridge="true" action="/after"><Number>+14155550111</Number></Dial>'), '/after': xml(''), '/status': '' });
    const { events } = await runApp({
      app: { url: app.url('/voice'), statusCallback: app.url('/status'), statusCallbackEvents: ['answered'] },
      script: { callees: { '*': { ring: 7, talk: 3 } } },
    });
    expect(ofType(events, 'callback').map((e) => [e.t, (e['params'] as Record<string, string>)['CallStatus']])).toEqual([[7000, 'in-progress']]);
    expect(afterParams()).toMatchObject({ CallStatus: 'in-progress', DialCallStatus: 'completed' });
  });

  it('answerOnBridge with nobody answering: the call is never answered', async () => {
    await dialApp('<Dial answerOnBridge="true" timeout="5"><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { response: 'no-answer' } } } });
    expect(ofType(events, 'answer')).toEqual([]);
  });

  it('without answerOnBridge the caller is answered before the ringing starts', async () => {
    await dialApp('<Dial><Number>+14155550111</Number></Dial>');
    const { events } = await runApp({ app: app!.url('/voice') });
    expect(flow(events).slice(0, 2)).toEqual(['answer', 'dial']);
  });
});

describe('<Dial> and what comes after it', () => {
  it('with an action: the action\'s document runs and the verbs after the Dial do not', async () => {
    await dialApp('<Dial action="/after"><Number>+14155550111</Number></Dial><Say>Unreachable</Say>');
    const { events } = await runApp({ app: app!.url('/voice') });
    expect(heard(events)).toEqual(['After the dial']);
  });

  it('requests the action with the method given', async () => {
    await dialApp('<Dial action="/after" method="GET"><Number>+14155550111</Number></Dial>');
    await runApp({ app: app!.url('/voice'), script: { callees: { '*': { response: 'busy' } } } });
    expect(app!.to('/after')[0]).toMatchObject({ method: 'GET', query: expect.objectContaining({ DialCallStatus: 'busy' }) });
  });

  it('without an action: the next verb runs once the dialled call ends, and nothing is requested', async () => {
    await dialApp('<Dial><Number>+14155550111</Number></Dial><Say>Next verb</Say>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { callees: { '*': { response: 'busy' } } } });
    expect(heard(events)).toEqual(['Next verb']);
    expect(app!.requests.map((r) => r.path)).toEqual(['/voice']);
  });

  it('the caller hangs up while bridged: the action is still requested, its document is not run', async () => {
    await dialApp('<Dial action="/after"><Number>+14155550111</Number></Dial>', xml('<Say>Never heard</Say>'));
    const { events, summary } = await runApp({ app: app!.url('/voice'), script: { hangupAfter: 20, callees: { '*': { ring: 5, talk: 600 } } } });
    expect(afterParams()).toMatchObject({ DialCallStatus: 'completed', DialCallDuration: '15', DialBridged: 'true', CallStatus: 'completed' });
    expect(heard(events)).toEqual([]);
    expect(summary).toMatchObject({ status: 'completed', reason: 'caller hung up', errors: [] });
  });

  it('the caller hangs up while it rings: the action hears the dial was canceled', async () => {
    await dialApp('<Dial action="/after"><Number>+14155550111</Number></Dial>', xml('<Say>Never heard</Say>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { hangupAfter: 3, callees: { '*': { ring: 10 } } } });
    expect(afterParams()).toMatchObject({ DialCallStatus: 'canceled', DialBridged: 'false' });
    expect(heard(events)).toEqual([]);
  });
});

describe('<Dial><Conference>', () => {
  it('puts the caller in the room; the action gets DialCallStatus=answered and no DialCallSid or DialCallDuration', async () => {
    await dialApp('<Dial action="/after"><Conference muted="true" beep="false" endConferenceOnExit="true">Room 42</Conference></Dial>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { conferenceDuration: 90 } });
    expect(one(events, 'conference')).toMatchObject({ name: 'Room 42', muted: true, beep: 'false', endOnExit: true, startOnEnter: true });
    expect(one(events, 'conference-end')).toMatchObject({ t: 90_000, duration: 90, endedBy: 'conference' });
    const p = afterParams();
    expect(p).toMatchObject({ DialCallStatus: 'answered' });
    expect(p['DialCallSid']).toBeUndefined();
    expect(p['DialCallDuration']).toBeUndefined();
  });
});
