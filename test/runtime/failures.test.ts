// When the app fails, against real servers on loopback: each kind of failure is reported with its
// code (and Twilio's), the fallback URL gets ErrorCode and ErrorUrl and its document runs, and when
// that fails too the caller hears that an application error occurred and the call ends. Status
// callbacks fire whatever happens. https://www.twilio.com/docs/usage/webhooks (reference §2.3, §2.4)
import { afterEach, describe, expect, it } from 'vitest';
import { APPLICATION_ERROR } from '../../src/runtime/session.js';
import type { WebhookClientOptions } from '../../src/webhook/types.js';
import { CALL_SID, heard, one, ofType, refusedUrl, runApp, startApp, xml, type Reply, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const big = xml(`<Say>${'x'.repeat(3000)}</Say>`);

interface Case {
  name: string;
  reply: Reply;
  client?: WebhookClientOptions;
  maxDocumentBytes?: number;
  code: string;
  twilioCode: number;
  message: RegExp;
}

const CASES: Case[] = [
  { name: 'a 500', reply: { status: 500, body: 'Internal Server Error', contentType: 'text/plain' }, code: 'DIDML_WEBHOOK_STATUS', twilioCode: 11200, message: /answered 500/ },
  { name: 'a 404', reply: { status: 404, body: 'Not Found', contentType: 'text/plain' }, code: 'DIDML_WEBHOOK_STATUS', twilioCode: 11200, message: /answered 404/ },
  { name: 'a wrong Content-Type', reply: { body: '{"say":"hi"}', contentType: 'application/json' }, code: 'DIDML_WEBHOOK_CONTENT_TYPE', twilioCode: 12300, message: /application\/json/ },
  { name: 'a document that is not XML', reply: 'Hello, this is not XML', code: 'DIDML_DOCUMENT_INVALID', twilioCode: 12100, message: /not XML/ },
  { name: 'a document with the wrong root', reply: '<Respons><Say>Hi</Say></Respons>', code: 'DIDML_DOCUMENT_INVALID', twilioCode: 12102, message: /must be <Response>/ },
  { name: 'a document over the client\'s size limit', reply: big, client: { maxBytes: 2048 }, code: 'DIDML_WEBHOOK_TOO_LARGE', twilioCode: 11200, message: /2048-byte limit/ },
  { name: 'a document over the session\'s size limit', reply: big, maxDocumentBytes: 2048, code: 'DIDML_DOCUMENT_INVALID', twilioCode: 12100, message: /2048|large/ },
  { name: 'a response slower than the read timeout', reply: { body: xml('<Say>Late</Say>'), delayMs: 300 }, client: { readTimeoutMs: 50 }, code: 'DIDML_WEBHOOK_TIMEOUT', twilioCode: 11200, message: /50 ms read timeout/ },
];

describe('the voice URL fails and there is no fallback', () => {
  it.each(CASES)('$name: the caller hears the application error, the call ends, the failure is reported', async (c) => {
    app = await startApp({ '/voice': c.reply });
    const { events, summary } = await runApp({
      app: app.url('/voice'),
      ...(c.client ? { client: c.client } : {}),
      ...(c.maxDocumentBytes ? { maxDocumentBytes: c.maxDocumentBytes } : {}),
    });
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(ofType(events, 'answer')).toHaveLength(1);
    expect(one(events, 'hangup')).toMatchObject({ by: 'app' });
    expect(summary.status).toBe('completed');
    expect(summary.errors).toEqual([{ code: c.code, twilioCode: c.twilioCode, message: expect.stringMatching(c.message), url: app.url('/voice') }]);
    expect(one(events, 'error')).toMatchObject({ code: c.code, twilioCode: c.twilioCode });
  });

  it('connection refused: reported with 11205 after the retry Twilio makes on a connect failure', async () => {
    const url = await refusedUrl();
    const { events, summary } = await runApp({ app: url });
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(summary.errors).toEqual([{ code: 'DIDML_WEBHOOK_CONNECT', twilioCode: 11205, message: expect.stringMatching(/connection refused.*2 attempts/), url }]);
  });

  it('a text/plain answer is read out to the caller, then the call hangs up (Twilio does this, it is no failure)', async () => {
    app = await startApp({ '/voice': { body: 'We are closed for the holidays.', contentType: 'text/plain' } });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(heard(events)).toEqual(['We are closed for the holidays.']);
    expect(summary).toMatchObject({ status: 'completed', reason: '<Hangup>', errors: [] });
  });
});

describe('fallbackUrl', () => {
  it('gets ErrorCode and ErrorUrl with the call\'s parameters, and its document runs', async () => {
    app = await startApp({
      '/voice': { status: 500, body: 'boom', contentType: 'text/plain' },
      '/fallback': xml('<Say>Our main system is down</Say>'),
    });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), fallbackUrl: app.url('/fallback') } });
    expect(app.to('/fallback')).toHaveLength(1);
    const fb = app.to('/fallback')[0]!;
    expect(fb.method).toBe('POST');
    expect(fb.params).toMatchObject({ CallSid: CALL_SID, CallStatus: 'ringing', ErrorCode: '11200', ErrorUrl: app.url('/voice') });
    expect(heard(events)).toEqual(['Our main system is down']);
    expect(summary.errors.map((e) => [e.code, e.twilioCode, e.url])).toEqual([['DIDML_WEBHOOK_STATUS', 11200, app.url('/voice')]]);
  });

  it('uses fallbackMethod', async () => {
    app = await startApp({ '/voice': 'not xml', '/fallback': xml('<Hangup/>') });
    await runApp({ app: { url: app.url('/voice'), fallbackUrl: app.url('/fallback'), fallbackMethod: 'GET' } });
    expect(app.to('/fallback')[0]).toMatchObject({ method: 'GET', query: expect.objectContaining({ ErrorCode: '12100' }) });
  });

  it('takes over when an action URL fails mid-flow, with the action\'s parameters', async () => {
    app = await startApp({
      '/voice': xml('<Gather numDigits="1" action="/menu"><Say>Press 1</Say></Gather>'),
      '/menu': { status: 503, body: 'maintenance', contentType: 'text/plain' },
      '/fallback': xml('<Say>Please call back later</Say>'),
    });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), fallbackUrl: app.url('/fallback') }, script: { caller: [{ digits: '1' }] } });
    expect(app.to('/fallback')[0]!.params).toMatchObject({ Digits: '1', ErrorCode: '11200', ErrorUrl: app.url('/menu'), CallStatus: 'in-progress' });
    expect(heard(events)).toEqual(['Press 1', 'Please call back later']);
    expect(summary.errors.map((e) => e.url)).toEqual([app.url('/menu')]);
  });

  it('an action URL failing with no fallback: the application error, after what the caller already heard', async () => {
    app = await startApp({ '/voice': xml('<Gather numDigits="1" action="/menu"><Say>Press 1</Say></Gather>'), '/menu': 'oops' });
    const { events, summary } = await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '1' }] } });
    expect(heard(events)).toEqual(['Press 1', APPLICATION_ERROR]);
    expect(summary.errors.map((e) => e.code)).toEqual(['DIDML_DOCUMENT_INVALID']);
  });

  it('when it fails too: the caller hears the application error, the call hangs up, both failures are listed', async () => {
    const fallback = await refusedUrl('/fallback');
    app = await startApp({ '/voice': { status: 500, body: 'boom', contentType: 'text/plain' } });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), fallbackUrl: fallback } });
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(one(events, 'hangup')).toMatchObject({ by: 'app' });
    expect(summary.errors.map((e) => [e.code, e.twilioCode, e.url])).toEqual([
      ['DIDML_WEBHOOK_STATUS', 11200, app.url('/voice')],
      ['DIDML_WEBHOOK_CONNECT', 11205, fallback],
    ]);
    expect(summary.documents).toBe(2);
  });
});

describe('status callbacks', () => {
  const ALL = ['initiated', 'ringing', 'answered', 'completed'] as const;

  it('fire for each event asked for, with CallStatus, SequenceNumber and, at the end, CallDuration', async () => {
    app = await startApp({ '/voice': xml('<Pause length="2"/><Say>Hello there</Say>'), '/status': '' });
    await runApp({ app: { url: app.url('/voice'), statusCallback: app.url('/status'), statusCallbackEvents: [...ALL] } });
    const got = app.to('/status').map((r) => r.params);
    expect(got.map((p) => [p['StatusCallbackEvent'], p['CallStatus'], p['SequenceNumber']])).toEqual([
      ['initiated', 'initiated', '0'],
      ['ringing', 'ringing', '1'],
      ['answered', 'in-progress', '2'],
      ['completed', 'completed', '3'],
    ]);
    expect(got.map((p) => p['CallDuration'])).toEqual([undefined, undefined, undefined, '3']);
    for (const p of got) {
      expect(p).toMatchObject({ CallSid: CALL_SID, CallbackSource: 'call-progress-events', From: '+14155550100', To: '+14155550199' });
      expect(Date.parse(p['Timestamp']!)).not.toBeNaN();
    }
  });

  it('by default only completed', async () => {
    app = await startApp({ '/voice': xml('<Say>Hi</Say>'), '/status': '' });
    await runApp({ app: { url: app.url('/voice'), statusCallback: app.url('/status'), statusCallbackMethod: 'GET' } });
    expect(app.to('/status').map((r) => `${r.method} ${r.params['StatusCallbackEvent']}`)).toEqual(['GET completed']);
  });

  it('still fire after the app failed', async () => {
    const voice = await refusedUrl();
    app = await startApp({ '/status': '' });
    await runApp({ app: { url: voice, statusCallback: app.url('/status'), statusCallbackEvents: [...ALL] } });
    expect(app.to('/status').map((r) => r.params['StatusCallbackEvent'])).toEqual([...ALL]);
    expect(app.to('/status')[3]!.params['CallStatus']).toBe('completed');
  });

  it('a failing status callback is logged and does not touch the call', async () => {
    app = await startApp({ '/voice': xml('<Say>Hi</Say>') });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), statusCallback: app.url('/nowhere'), statusCallbackEvents: ['answered'] } });
    expect(heard(events)).toEqual(['Hi']);
    expect(summary.errors).toEqual([]);
    expect(one(events, 'error')).toMatchObject({ code: 'DIDML_WEBHOOK_STATUS', message: expect.stringMatching(/callback to .*\/nowhere failed.*404/) });
  });
});
