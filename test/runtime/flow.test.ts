// How a call moves from document to document and how it ends: Redirect and action URLs resolved
// against the document's URL, Hangup, Reject, a document that runs out of verbs, the verbs that
// only start or stop something (streams, Sms), unsupported verbs, and the limits that stop a bad
// app. https://www.twilio.com/docs/voice/twiml (reference §1.1, §1.2, §2.1)
import { afterEach, describe, expect, it } from 'vitest';
import { APPLICATION_ERROR } from '../../src/runtime/session.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport, type HandlerRequest } from '../../src/webhook/handler.js';
import { flow, heard, one, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('<Redirect>', () => {
  it('resolves relative URLs against the document\'s URL and uses the method given (POST by default)', async () => {
    app = await startApp({
      '/ivr/main': xml('<Redirect>next</Redirect><Say>Not reached</Say>'),
      '/ivr/next': xml('<Redirect method="GET">../menu?lang=en</Redirect>'),
      '/menu': (r) => xml(`<Redirect>${app!.url('/final')}</Redirect><!-- ${r.query['lang']} -->`),
      '/final': xml('<Say>Final</Say>'),
    });
    const { events } = await runApp({ app: app.url('/ivr/main') });
    expect(app.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /ivr/main', 'POST /ivr/next', 'GET /menu', 'POST /final']);
    expect(app.to('/menu')[0]!.query).toMatchObject({ lang: 'en', CallSid: expect.stringMatching(/^CA/) });
    expect(ofType(events, 'redirect').map((e) => e['url'])).toEqual([app.url('/ivr/next'), app.url('/menu?lang=en'), app.url('/final')]);
    expect(heard(events)).toEqual(['Final']);
  });

  it('an empty <Redirect/> requests the same document again (Twilio\'s queue example)', async () => {
    let turn = 0;
    app = await startApp({ '/hold': () => (++turn < 3 ? xml('<Say>Still holding</Say><Redirect/>') : xml('<Say>Done</Say>')) });
    const { events, summary } = await runApp({ app: app.url('/hold') });
    expect(app.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /hold', 'POST /hold', 'POST /hold']);
    expect(heard(events)).toEqual(['Still holding', 'Still holding', 'Done']);
    expect(summary.errors).toEqual([]);
  });

  it('does not answer the call: every request is made while it rings', async () => {
    app = await startApp({ '/a': xml('<Redirect>/b</Redirect>'), '/b': xml('<Say>Hi</Say>') });
    const { events } = await runApp({ app: app.url('/a') });
    expect(app.requests.map((r) => r.params['CallStatus'])).toEqual(['ringing', 'ringing']);
    expect(flow(events)).toEqual(['redirect', 'answer', 'say', 'hangup', 'end']);
  });

  it('resolves against the URL the document finally came from, after an HTTP redirect', async () => {
    app = await startApp({
      '/old': { status: 302, headers: { location: '/v2/voice' }, body: '' },
      '/v2/voice': xml('<Redirect>next</Redirect>'),
      '/v2/next': xml('<Say>Moved</Say>'),
    });
    const { events } = await runApp({ app: app.url('/old') });
    expect(app.requests.map((r) => r.path)).toEqual(['/old', '/v2/voice', '/v2/next']);
    expect(heard(events)).toEqual(['Moved']);
  });
});

describe('action URLs', () => {
  it('resolve against the document\'s URL like Redirects, keeping their query', async () => {
    app = await startApp({
      '/ivr/main': xml('<Gather numDigits="1" action="step2?from=main"/>'),
      '/ivr/step2': xml('<Record action="../saved" maxLength="5"/>'),
      '/saved': xml('<Hangup/>'),
    });
    await runApp({ app: app.url('/ivr/main'), script: { caller: [{ digits: '1' }, { record: 5 }] } });
    expect(app.requests.map((r) => r.path)).toEqual(['/ivr/main', '/ivr/step2', '/saved']);
    expect(app.to('/ivr/step2')[0]!.query).toEqual({ from: 'main' });
    expect(app.to('/ivr/step2')[0]!.params).toMatchObject({ Digits: '1' });
  });
});

describe('the end of a call', () => {
  it('<Hangup> ends the call; verbs after it do not run', async () => {
    app = await startApp({ '/voice': xml('<Say>Goodbye</Say><Hangup/><Say>Not reached</Say>') });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(heard(events)).toEqual(['Goodbye']);
    expect(one(events, 'hangup')).toMatchObject({ by: 'app', reason: '<Hangup>' });
    expect(summary).toMatchObject({ status: 'completed', reason: '<Hangup>', documents: 1, errors: [] });
  });

  it('a document that runs out of verbs ends the call', async () => {
    app = await startApp({ '/voice': xml('<Say>That is all</Say>') });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(flow(events)).toEqual(['answer', 'say', 'hangup', 'end']);
    expect(summary).toMatchObject({ status: 'completed', reason: 'the document ran out of verbs', duration: 1 });
  });

  it('an empty <Response/> ends the call at once', async () => {
    app = await startApp({ '/voice': xml('') });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(ofType(events, 'say')).toEqual([]);
    expect(summary).toMatchObject({ reason: 'the document ran out of verbs', duration: 0, errors: [] });
  });

  it('<Reject reason="busy"> refuses the unanswered call with 486; the call ends busy', async () => {
    app = await startApp({ '/voice': xml('<Reject reason="busy"/><Say>Not reached</Say>'), '/status': '' });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), statusCallback: app.url('/status') } });
    expect(one(events, 'reject')).toMatchObject({ reason: 'busy', sipResponseCode: 486 });
    expect(ofType(events, 'answer')).toEqual([]);
    expect(summary.status).toBe('busy');
    expect(app.to('/status').map((r) => r.params['CallStatus'])).toEqual(['busy']);
  });

  it('<Reject/> (rejected) refuses with 404; the call ends no-answer', async () => {
    app = await startApp({ '/voice': xml('<Reject/>') });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(one(events, 'reject')).toMatchObject({ reason: 'rejected', sipResponseCode: 404 });
    expect(summary.status).toBe('no-answer');
  });

  it('<Reject> after a verb answered the call hangs up instead, with a warning', async () => {
    app = await startApp({ '/voice': xml('<Say>Hello</Say><Reject reason="busy"/>') });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(ofType(events, 'reject')).toEqual([]);
    expect(one(events, 'warning')['message']).toMatch(/after the call was answered/);
    expect(one(events, 'hangup')).toMatchObject({ by: 'app' });
    expect(summary.status).toBe('completed');
  });

  it('the caller hanging up ends the call: nothing more is requested', async () => {
    app = await startApp({ '/voice': xml('<Say loop="100">Please hold</Say><Redirect>/next</Redirect>'), '/next': xml('') });
    const { events, summary } = await runApp({ app: app.url('/voice'), script: { hangupAfter: 10 } });
    expect(one(events, 'hangup')).toMatchObject({ t: 10_000, by: 'caller' });
    expect(app.to('/next')).toEqual([]);
    expect(summary).toMatchObject({ status: 'completed', reason: 'caller hung up', duration: 10 });
  });
});

describe('verbs that start or stop something', () => {
  it('<Start><Stream> forks media and goes on; <Stop><Stream> stops it by name', async () => {
    app = await startApp({
      '/voice': xml(
        '<Start><Stream name="tap" url="wss://media.example.com/tap" track="both_tracks"><Parameter name="customer" value="42"/></Stream></Start>' +
          '<Say>Recorded line</Say><Stop><Stream name="tap"/></Stop><Say>Done</Say>',
      ),
    });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(flow(events)).toEqual(['answer', 'stream-start', 'say', 'stream-stop', 'say', 'hangup', 'end']);
    expect(one(events, 'stream-start')).toMatchObject({ t: 0, url: 'wss://media.example.com/tap', name: 'tap', track: 'both_tracks', parameters: { customer: '42' } });
    expect(one(events, 'stream-stop')).toMatchObject({ t: 780, name: 'tap' });
  });

  it('<Connect><Stream> holds the call until the stream ends, then requests the action', async () => {
    app = await startApp({ '/voice': xml('<Connect action="/after"><Stream url="wss://bot.example.com/s"/></Connect><Say>Not reached</Say>'), '/after': xml('<Say>Back</Say>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { streamDuration: 25 } });
    expect(one(events, 'stream')).toMatchObject({ t: 0, url: 'wss://bot.example.com/s', track: 'inbound_track' });
    expect(one(events, 'stream-end')).toMatchObject({ t: 25_000, endedBy: 'far-end' });
    expect(app.to('/after')).toHaveLength(1);
    expect(heard(events)).toEqual(['Back']);
  });

  it('<Connect><Stream statusCallback> hears stream-started and stream-stopped with the StreamSid', async () => {
    app = await startApp({ '/voice': xml('<Connect><Stream name="agent" url="wss://bot.example.com/s" statusCallback="/stream"/></Connect>'), '/stream': '' });
    const { events } = await runApp({ app: app.url('/voice'), script: { streamDuration: 7 } });
    const sent = ofType(events, 'callback').map((e) => [e.t, (e['params'] as Record<string, string>)['StreamEvent']]);
    expect(sent).toEqual([
      [0, 'stream-started'],
      [7000, 'stream-stopped'],
    ]);
    const p = app.to('/stream')[0]!.params;
    expect(p).toMatchObject({ StreamName: 'agent', CallSid: expect.stringMatching(/^CA/), AccountSid: expect.stringMatching(/^AC/) });
    expect(p['StreamSid']).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(app.to('/stream')[1]!.params['StreamSid']).toBe(p['StreamSid']);
  });

  it('<Connect><Stream> without an action goes on with the next verb', async () => {
    app = await startApp({ '/voice': xml('<Connect><Stream url="wss://bot.example.com/s"/></Connect><Say>Next</Say>') });
    const { events } = await runApp({ app: app.url('/voice'), script: { streamDuration: 5 } });
    expect(one(events, 'say').t).toBe(5000);
  });

  it('<Sms> is an event; the call goes on, and its action gets SmsSid and SmsStatus', async () => {
    app = await startApp({
      '/voice': xml('<Sms to="+14155550100" from="+14155550199">Your code is 1234</Sms><Say>Sent</Say><Sms action="/sms-done">Again</Sms>'),
      '/sms-done': xml('<Say>Done</Say>'),
    });
    const { events } = await runApp({ app: app.url('/voice') });
    const [first, second] = ofType(events, 'sms');
    expect(first).toMatchObject({ to: '+14155550100', from: '+14155550199', body: 'Your code is 1234' });
    // By default to the caller, from the number called.
    expect(second).toMatchObject({ to: '+14155550100', from: '+14155550199', body: 'Again' });
    expect(app.to('/sms-done')[0]!.params).toMatchObject({ SmsSid: second!['sid'], SmsStatus: 'sent' });
    expect(heard(events)).toEqual(['Sent', 'Done']);
  });

  it('an unsupported verb (<Pay>) is logged and ends the call, naming the verb', async () => {
    app = await startApp({ '/voice': xml('<Say>Pay now</Say><Pay/><Say>Not reached</Say>') });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(one(events, 'warning')['message']).toMatch(/<Pay> is not supported/);
    expect(heard(events)).toEqual(['Pay now']);
    expect(summary.reason).toMatch(/<Pay> is not supported/);
  });
});

describe('limits end a runaway call cleanly, with the application-error message', () => {
  it('a redirect loop between two URLs', async () => {
    app = await startApp({ '/a': xml('<Redirect>/b</Redirect>'), '/b': xml('<Redirect>/a</Redirect>') });
    const { events, summary } = await runApp({ app: app.url('/a'), limits: { maxRedirects: 5 } });
    expect(app.requests.map((r) => r.path)).toEqual(['/a', '/b', '/a', '/b', '/a', '/b']);
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_LIMIT', message: expect.stringMatching(/did nothing but redirect/) })]);
    expect(summary.reason).toBe('redirect loop');
    // As for any fatal app error: the caller is told, after the error is on record.
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    // The call was never answered by a verb: the message answers it.
    expect(flow(events).slice(-5)).toEqual(['error', 'answer', 'say', 'hangup', 'end']);
    expect(ofType(events, 'hangup')).toHaveLength(1);
  });

  it('stops a redirect loop with the default limit too', async () => {
    app = await startApp({ '/a': xml('<Redirect>/b</Redirect>'), '/b': xml('<Redirect>/a</Redirect>') });
    const { summary } = await runApp({ app: app.url('/a') });
    expect(summary.errors.map((e) => e.code)).toEqual(['DIDML_LIMIT']);
    expect(app.requests.length).toBeLessThanOrEqual(25);
  });

  it('maxDocuments, even when each document does something', async () => {
    app = await startApp({ '/loop': xml('<Say>Again</Say><Redirect>/loop</Redirect>') });
    const { events, summary } = await runApp({ app: app.url('/loop'), limits: { maxDocuments: 4 } });
    expect(app.requests).toHaveLength(4);
    expect(heard(events)).toEqual(['Again', 'Again', 'Again', 'Again', APPLICATION_ERROR]);
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_LIMIT', message: expect.stringMatching(/more than 4 documents/) })]);
    expect(one(events, 'error')).toMatchObject({ code: 'DIDML_LIMIT', message: 'the call fetched more than 4 documents' });
    expect(summary.status).toBe('completed');
  });

  it('maxVerbsPerDocument: the document is not run', async () => {
    app = await startApp({ '/voice': xml('<Say>1</Say><Say>2</Say><Say>3</Say><Say>4</Say>') });
    const { events, summary } = await runApp({ app: app.url('/voice'), limits: { maxVerbsPerDocument: 3 } });
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(summary.reason).toBe('too many verbs');
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_LIMIT', message: expect.stringMatching(/4 verbs, more than 3/) })]);
  });

  it('maxCallSeconds, in virtual time', async () => {
    app = await startApp({ '/voice': xml('<Play loop="0">/music.mp3</Play>'), '/status': '' });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), statusCallback: app.url('/status') }, limits: { maxCallSeconds: 60 } });
    expect(one(events, 'hangup')).toMatchObject({ t: 60_000, by: 'app' });
    // Twilio's time limit hangs up: no application-error message, the app did nothing wrong.
    expect(heard(events)).not.toContain(APPLICATION_ERROR);
    expect(summary).toMatchObject({ status: 'completed', duration: 60 });
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_LIMIT', message: expect.stringMatching(/time limit of 60 s/) })]);
    expect(app.to('/status')[0]!.params).toMatchObject({ CallStatus: 'completed', CallDuration: '60' });
  });
});

describe('an in-process app (handlerTransport)', () => {
  it('runs a flow with the same parameters a web app gets, and signs the requests', async () => {
    const seen: HandlerRequest[] = [];
    const webhooks = createWebhookClient({
      authToken: 'secret',
      transport: handlerTransport((req) => {
        seen.push(req);
        const path = new URL(req.url).pathname;
        if (path === '/voice') return xml('<Gather numDigits="2" action="/menu"><Say>Two digits</Say></Gather>');
        if (path === '/menu') return xml(`<Say>You pressed ${req.params['Digits']}</Say>`);
        return { status: 404, body: 'no such page', contentType: 'text/plain' };
      }),
    });
    const { events, summary } = await runApp({ app: 'http://ivr.test/voice', webhooks, script: { caller: [{ digits: '42' }] } });
    expect(heard(events)).toEqual(['Two digits', 'You pressed 42']);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST http://ivr.test/voice', 'POST http://ivr.test/menu']);
    expect(seen[1]!.params).toMatchObject({ Digits: '42', CallStatus: 'in-progress', Direction: 'inbound' });
    expect(seen.every((r) => r.headers['x-twilio-signature'])).toBe(true);
    expect(summary.errors).toEqual([]);
  });

  it('a handler that throws is a 500 from the app: reported, and the caller hears the application error', async () => {
    const webhooks = createWebhookClient({
      transport: handlerTransport(() => {
        throw new Error('database is down');
      }),
    });
    const { events, summary } = await runApp({ app: 'http://ivr.test/voice', webhooks });
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_WEBHOOK_STATUS', twilioCode: 11200, message: expect.stringMatching(/500.*database is down/) })]);
  });
});
