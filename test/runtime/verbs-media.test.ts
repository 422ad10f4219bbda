// Say, Play, Pause and Gather as Twilio runs them, against a real app on loopback: what the caller
// hears and when (virtual time), and what the app receives on the Gather's action.
// https://www.twilio.com/docs/voice/twiml/say, /play, /pause, /gather (reference §1.2, §1.3, §2.2)
import { afterEach, describe, expect, it } from 'vitest';
import { flow, heard, one, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('<Say>', () => {
  it('speaks with the voice, language and loop given, answering the call first', async () => {
    app = await startApp({ '/voice': xml('<Say voice="Polly.Joanna" language="en-GB" loop="3">Hello</Say><Say>Bye</Say>') });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(flow(events)).toEqual(['answer', 'say', 'say', 'hangup', 'end']);
    const [hello, bye] = ofType(events, 'say');
    expect(hello).toMatchObject({ t: 0, text: 'Hello', voice: 'Polly.Joanna', language: 'en-GB', loop: 3 });
    // Three loops of five characters at 60 ms a character, then the next verb.
    expect(bye).toMatchObject({ t: 900, text: 'Bye', voice: 'man', language: 'en-US', loop: 1 });
    expect(summary).toMatchObject({ status: 'completed', reason: 'the document ran out of verbs', errors: [] });
  });

  it('asks for the first document while ringing, and is answered only by a verb that needs media', async () => {
    app = await startApp({ '/voice': xml('<Say>Hi</Say>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(app.to('/voice')[0]!.params['CallStatus']).toBe('ringing');
    expect(events.findIndex((e) => e.type === 'webhook')).toBeLessThan(events.findIndex((e) => e.type === 'answer'));
  });

  it('speaks the words of SSML children in document order', async () => {
    app = await startApp({ '/voice': xml('<Say voice="Polly.Joanna">Your code is <say-as interpret-as="digits">1234</say-as><break time="1s"/><emphasis>thank you</emphasis></Say>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(heard(events)).toEqual(['Your code is 1234 thank you']);
  });
});

describe('<Play>', () => {
  it('plays a URL relative to the document, looping, and goes on when it ends', async () => {
    app = await startApp({ '/ivr/voice': xml('<Play loop="3">sounds/hold.mp3</Play><Say>Done</Say>') });
    const hold = app.url('/ivr/sounds/hold.mp3');
    const { events } = await runApp({ app: app.url('/ivr/voice'), script: { media: { [hold]: 4 } } });
    expect(one(events, 'play')).toMatchObject({ t: 0, url: hold, loop: 3 });
    expect(one(events, 'say').t).toBe(12_000);
  });

  it('sends DTMF with digits, w waiting half a second', async () => {
    app = await startApp({ '/voice': xml('<Play digits="ww1234#"></Play><Say>Sent</Say>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(one(events, 'send-digits')).toMatchObject({ t: 0, digits: 'ww1234#' });
    expect(ofType(events, 'play')).toEqual([]);
    // 2 × 500 ms + 5 tones of 200 ms.
    expect(one(events, 'say').t).toBe(2000);
  });
});

describe('<Pause>', () => {
  it('as the first verb waits before picking up the call', async () => {
    app = await startApp({ '/voice': xml('<Pause length="3"/><Say>Hello</Say>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(flow(events)).toEqual(['pause', 'answer', 'say', 'hangup', 'end']);
    expect(one(events, 'answer').t).toBe(3000);
  });

  it('lasts one second by default', async () => {
    app = await startApp({ '/voice': xml('<Say>A</Say><Pause/><Say>B</Say>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(ofType(events, 'say').map((e) => e.t)).toEqual([0, 60 + 1000]);
  });
});

describe('<Gather>', () => {
  it('stops at numDigits and posts Digits to the action, FinishedOnKey empty', async () => {
    app = await startApp({
      '/voice': xml('<Gather numDigits="4" action="/pin"><Say>Enter your PIN</Say></Gather><Say>Not reached</Say>'),
      '/pin': xml('<Say>Thanks</Say>'),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '123456' }] } });
    expect(app.to('/pin')).toHaveLength(1);
    const pin = app.to('/pin')[0]!;
    expect(pin.method).toBe('POST');
    expect(pin.params).toMatchObject({ Digits: '1234', FinishedOnKey: '', CallStatus: 'in-progress' });
    expect(one(events, 'gather-end')).toMatchObject({ digits: '1234', endedBy: 'num-digits' });
    expect(heard(events)).toEqual(['Enter your PIN', 'Thanks']);
  });

  it('ends on finishOnKey, which is not part of Digits', async () => {
    app = await startApp({
      '/voice': xml('<Gather finishOnKey="*" action="/acct"><Say>Account number, then star</Say></Gather>'),
      '/acct': xml('<Hangup/>'),
    });
    await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '4711*99' }] } });
    expect(app.to('/acct')[0]!.params).toMatchObject({ Digits: '4711', FinishedOnKey: '*' });
  });

  it('with # by default: 12# gives Digits=12 FinishedOnKey=#', async () => {
    app = await startApp({ '/voice': xml('<Gather action="/next"/>'), '/next': xml('') });
    await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '12#' }] } });
    expect(app.to('/next')[0]!.params).toMatchObject({ Digits: '12', FinishedOnKey: '#' });
  });

  it('without input falls through to the next verb after the timeout, never requesting the action', async () => {
    app = await startApp({
      '/voice': xml('<Gather timeout="3" action="/menu"><Say>Press 1</Say></Gather><Say>We did not receive any input</Say>'),
      '/menu': xml('<Say>menu</Say>'),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ silence: true }] } });
    expect(app.to('/menu')).toEqual([]);
    // "Press 1" is 7 characters: 420 ms, then 3 s of waiting.
    expect(one(events, 'gather-end')).toMatchObject({ t: 3420, digits: '', endedBy: 'timeout' });
    expect(heard(events)).toEqual(['Press 1', 'We did not receive any input']);
  });

  it('fewer digits than numDigits: the timeout after the last key sends what was pressed', async () => {
    app = await startApp({ '/voice': xml('<Gather numDigits="4" timeout="3" action="/pin"/>'), '/pin': xml('') });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '12', after: 1 }] } });
    expect(one(events, 'gather-end')).toMatchObject({ t: 4000, digits: '12', endedBy: 'timeout' });
    expect(app.to('/pin')[0]!.params).toMatchObject({ Digits: '12', FinishedOnKey: '' });
  });

  it('with # pressed before any digit counts as no input', async () => {
    app = await startApp({ '/voice': xml('<Gather action="/menu"/><Say>Nothing</Say>'), '/menu': xml('') });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '#' }] } });
    expect(app.to('/menu')).toEqual([]);
    expect(heard(events)).toEqual(['Nothing']);
  });

  it('with actionOnEmptyResult requests the action even without input', async () => {
    app = await startApp({
      '/voice': xml('<Gather actionOnEmptyResult="true" timeout="2" action="/menu"/><Say>Not reached</Say>'),
      '/menu': xml('<Say>Menu</Say>'),
    });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(app.to('/menu')).toHaveLength(1);
    expect(app.to('/menu')[0]!.params['Digits'] ?? '').toBe('');
    expect(heard(events)).toEqual(['Menu']);
  });

  it('without action posts to the current document URL, query included, with POST even when the document came by GET', async () => {
    let n = 0;
    app = await startApp({
      '/voice': () => (n++ === 0 ? xml('<Gather numDigits="1"><Say>Press a key</Say></Gather>') : xml('<Say>Got it</Say>')),
    });
    const { events } = await runApp({ app: { url: app.url('/voice?lang=fr'), method: 'GET' }, script: { caller: [{ digits: '7' }] } });
    expect(app.requests.map((r) => `${r.method} ${r.path} ${r.query['lang']}`)).toEqual(['GET /voice fr', 'POST /voice fr']);
    expect(app.requests[1]!.params['Digits']).toBe('7');
    // The GET's parameters are not carried into the action's URL.
    expect(Object.keys(app.requests[1]!.query)).toEqual(['lang']);
    expect(heard(events)).toEqual(['Press a key', 'Got it']);
  });

  it('uses the method given for the action', async () => {
    app = await startApp({ '/voice': xml('<Gather numDigits="1" action="/menu" method="GET"/>'), '/menu': xml('') });
    await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '3' }] } });
    expect(app.to('/menu')[0]).toMatchObject({ method: 'GET', query: expect.objectContaining({ Digits: '3' }) });
  });

  it('recognises speech: SpeechResult and Confidence, no Digits', async () => {
    app = await startApp({
      '/voice': xml('<Gather input="speech" action="/heard"><Say>Which department?</Say></Gather>'),
      '/heard': xml('<Say>Connecting you</Say>'),
    });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ speech: 'sales please', confidence: 0.83 }] } });
    const params = app.to('/heard')[0]!.params;
    expect(params).toMatchObject({ SpeechResult: 'sales please', Confidence: '0.83' });
    expect(params['Digits']).toBeUndefined();
    expect(one(events, 'gather')).toMatchObject({ dtmf: false, speech: true });
  });

  it('ends speech after speechTimeout seconds of silence (default: timeout)', async () => {
    app = await startApp({ '/voice': xml('<Gather input="speech" timeout="5" speechTimeout="2" action="/heard"/>'), '/heard': xml('') });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ speech: 'yes' }] } });
    // Speech starts at once (no prompts) and lasts 3 × 60 ms, then 2 s of silence end it.
    expect(one(events, 'gather-end')).toMatchObject({ t: 180 + 2000, endedBy: 'speech' });
  });

  it('ignores speech when input is dtmf only', async () => {
    app = await startApp({ '/voice': xml('<Gather action="/heard" timeout="1"/><Say>No input</Say>'), '/heard': xml('') });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ speech: 'operator' }] } });
    expect(one(events, 'speech')).toMatchObject({ ignored: true });
    expect(app.to('/heard')).toEqual([]);
  });

  it('takes digits with input="dtmf speech"', async () => {
    app = await startApp({ '/voice': xml('<Gather input="dtmf speech" numDigits="1" action="/next"/>'), '/next': xml('') });
    await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '2' }] } });
    expect(app.to('/next')[0]!.params).toMatchObject({ Digits: '2' });
  });

  it('plays nested Say, Play and Pause in order, and barge-in stops the prompts not yet played', async () => {
    app = await startApp({
      '/voice': xml('<Gather numDigits="1" action="/next"><Say>Welcome to Acme</Say><Play>/menu.mp3</Play><Pause length="2"/><Say>Goodbye</Say></Gather>'),
      '/next': xml(''),
    });
    const menu = app.url('/menu.mp3');
    // The caller presses 1 two seconds in: during the Play (the Say lasts 0.9 s).
    const { events } = await runApp({ app: app.url('/voice'), script: { media: { [menu]: 10 }, caller: [{ digits: '1', after: 2 }] } });
    expect(flow(events)).toEqual(['answer', 'gather', 'say', 'play', 'digits', 'gather-end', 'gathered', 'hangup', 'end']);
    expect(one(events, 'play')).toMatchObject({ t: 900, url: menu });
    expect(one(events, 'gather-end')).toMatchObject({ t: 2000, digits: '1' });
    expect(app.to('/next')[0]!.params['Digits']).toBe('1');
  });

  it('plays every prompt when bargeIn is false, and input counts from their end', async () => {
    app = await startApp({ '/voice': xml('<Gather bargeIn="false" numDigits="1" action="/next"><Say>One</Say><Pause length="2"/><Say>Two</Say></Gather>'), '/next': xml('') });
    const { events } = await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '5', after: 0.1 }] } });
    expect(heard(events)).toEqual(['One', 'Two']);
    expect(one(events, 'pause').t).toBe(180);
    // Prompts end at 180 + 2000 + 180 ms.
    expect(one(events, 'gather-end')).toMatchObject({ t: 2360, digits: '5' });
  });

  it('the caller hanging up during a Gather ends the call; the action is not requested', async () => {
    app = await startApp({ '/voice': xml('<Gather action="/menu"><Say>Press 1</Say></Gather><Say>Not reached</Say>'), '/menu': xml('') });
    const { events, summary } = await runApp({ app: app.url('/voice'), script: { caller: [{ hangup: true, after: 1 }] } });
    expect(app.to('/menu')).toEqual([]);
    expect(one(events, 'hangup')).toMatchObject({ t: 1000, by: 'caller' });
    expect(summary).toMatchObject({ status: 'completed', reason: 'caller hung up during <Gather>' });
  });

  it('loops a nested Say', async () => {
    app = await startApp({ '/voice': xml('<Gather timeout="1"><Say loop="2">Menu</Say></Gather>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(one(events, 'say')).toMatchObject({ loop: 2 });
    expect(one(events, 'gather-end').t).toBe(2 * 240 + 1000);
  });
});
