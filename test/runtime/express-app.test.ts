// An IVR written the way Twilio tells users to write one: Express 5, the `twilio` package's
// VoiceResponse to build documents, and its twilio.webhook() middleware refusing any request
// whose X-Twilio-Signature does not check out. didml runs whole calls through it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulateCall } from '../../src/runtime/simulate.js';
import { APPLICATION_ERROR } from '../../src/runtime/session.js';
import { heard, ofType, runApp } from './support.js';

const TOKEN = '12345678901234567890123456789012';
const { VoiceResponse } = twilio.twiml;

let server: Server;
let origin: string;
/** Every request that reached the app, and those its middleware let through. */
let arrived: string[];
let accepted: { route: string; params: Record<string, string>; signature: string | undefined }[];

function ivr(): express.Express {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use((req, _res, next) => {
    arrived.push(`${req.method} ${req.path}`);
    next();
  });
  // The helper library's own check, with the protocol and host the app is reached on.
  const validate = twilio.webhook(TOKEN, { validate: true, protocol: 'http', host: new URL(origin).host });
  const seen: express.RequestHandler = (req, _res, next) => {
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, string>;
    accepted.push({ route: req.path, params: { ...params }, signature: req.get('x-twilio-signature') });
    next();
  };
  const send = (res: express.Response, twiml: InstanceType<typeof VoiceResponse>) => res.type('text/xml').send(twiml.toString());

  app.post('/voice', validate, seen, (_req, res) => {
    const r = new VoiceResponse();
    const g = r.gather({ numDigits: 1, action: '/menu', timeout: 5 });
    g.say({ voice: 'Polly.Joanna' }, 'Press 1 for sales, 2 to leave a message.');
    r.say("We didn't receive any input. Goodbye!");
    send(res, r);
  });
  app.post('/menu', validate, seen, (req, res) => {
    const r = new VoiceResponse();
    const digits = (req.body as Record<string, string>)['Digits'];
    if (digits === '1') {
      r.say('Connecting you to sales.');
      r.dial({ action: '/dial-status', timeout: 10 }).number('+14155550111');
    } else if (digits === '2') {
      r.say('Leave a message after the beep.');
      r.record({ action: '/voicemail', method: 'GET', maxLength: 30, finishOnKey: '#' });
    } else {
      r.redirect('/voice');
    }
    send(res, r);
  });
  app.post('/dial-status', validate, seen, (req, res) => {
    const r = new VoiceResponse();
    if ((req.body as Record<string, string>)['DialCallStatus'] !== 'completed') r.say('Sorry, nobody is available.');
    r.hangup();
    send(res, r);
  });
  app.get('/voicemail', validate, seen, (_req, res) => {
    const r = new VoiceResponse();
    r.say('Thank you. Goodbye.');
    send(res, r);
  });
  app.post('/status', validate, seen, (_req, res) => res.sendStatus(204));
  // A fallback on a route the middleware does not guard.
  app.post('/fallback', seen, (_req, res) => {
    const r = new VoiceResponse();
    r.say('Sorry, please call again later.');
    send(res, r);
  });
  return app;
}

beforeEach(async () => {
  arrived = [];
  accepted = [];
  // The app needs its own address for the middleware, so it is attached once the port is known.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('request', ivr());
});

afterEach(async () => {
  // The runtime closed its client at the end of the call: no connection may stay open to the app.
  const open = () => new Promise<number>((ok) => server.getConnections((_e, n) => ok(n)));
  for (let i = 0; i < 200 && (await open()) > 0; i++) await new Promise((ok) => setTimeout(ok, 5));
  expect(await open(), 'connections left open to the app').toBe(0);
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const appConfig = (extra: Record<string, unknown> = {}) => ({
  url: `${origin}/voice`,
  statusCallback: `${origin}/status`,
  statusCallbackEvents: ['initiated', 'answered', 'completed'] as ('initiated' | 'answered' | 'completed')[],
  ...extra,
});

describe('an Express + twilio IVR with signature validation', () => {
  it('press 1, sales is busy: every request, callbacks included, is signed and accepted', async () => {
    const { summary, events } = await simulateCall({
      app: appConfig(),
      authToken: TOKEN,
      call: { caller: [{ digits: '1' }], callees: { '+14155550111': { response: 'busy', ring: 4 } } },
    });
    expect(heard(events)).toEqual(['Press 1 for sales, 2 to leave a message.', 'Connecting you to sales.', 'Sorry, nobody is available.']);
    expect(summary).toMatchObject({ status: 'completed', reason: '<Hangup>', errors: [] });
    expect(accepted.map((a) => a.route).filter((r) => r !== '/status')).toEqual(['/voice', '/menu', '/dial-status']);
    expect(accepted.filter((a) => a.route === '/status').map((a) => a.params['StatusCallbackEvent']).sort()).toEqual(['answered', 'completed', 'initiated']);
    expect(accepted).toHaveLength(arrived.length);
    expect(accepted.every((a) => a.signature)).toBe(true);
    expect(accepted.find((a) => a.route === '/dial-status')!.params).toMatchObject({ DialCallStatus: 'busy', DialBridged: 'false' });
  });

  it('press 2, leave a message: the Record action comes by GET, signed over its query', async () => {
    const { events, summary } = await runApp({ app: appConfig(), client: { authToken: TOKEN }, script: { caller: [{ digits: '2' }, { record: 7, digits: '#' }] } });
    expect(heard(events)).toEqual(['Press 1 for sales, 2 to leave a message.', 'Leave a message after the beep.', 'Thank you. Goodbye.']);
    const vm = accepted.find((a) => a.route === '/voicemail')!;
    expect(vm.params).toMatchObject({ RecordingDuration: '7', Digits: '#' });
    expect(summary.errors).toEqual([]);
    expect(accepted).toHaveLength(arrived.length);
  });

  it('no input: the Gather falls through to the document\'s goodbye', async () => {
    const { events } = await runApp({ app: appConfig(), client: { authToken: TOKEN } });
    expect(heard(events)).toEqual(['Press 1 for sales, 2 to leave a message.', "We didn't receive any input. Goodbye!"]);
    expect(ofType(events, 'say')[0]).toMatchObject({ voice: 'Polly.Joanna' });
  });

  it('signed with the wrong token: the middleware refuses (403); the caller hears the application error and the failure is reported', async () => {
    const { events, summary } = await runApp({ app: appConfig(), client: { authToken: 'not-the-token' } });
    expect(arrived.filter((r) => r === 'POST /voice')).toHaveLength(1);
    expect(accepted).toEqual([]);
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(summary.errors).toEqual([
      { code: 'DIDML_WEBHOOK_STATUS', twilioCode: 11200, message: expect.stringMatching(/answered 403.*Twilio Request Validation Failed/), url: `${origin}/voice` },
    ]);
    // The status callbacks are refused too, and each refusal is in the transcript.
    expect(ofType(events, 'error').filter((e) => /callback to .*\/status failed/.test(String(e['message'])))).toHaveLength(3);
  });

  it('signed with the wrong token and a fallback: the fallback runs with ErrorCode 11200', async () => {
    const { events, summary } = await runApp({ app: appConfig({ fallbackUrl: `${origin}/fallback` }), client: { authToken: 'not-the-token' } });
    const fb = accepted.find((a) => a.route === '/fallback')!;
    expect(fb.params).toMatchObject({ ErrorCode: '11200', ErrorUrl: `${origin}/voice` });
    expect(summary.errors.map((e) => e.code)).toEqual(['DIDML_WEBHOOK_STATUS']);
    expect(heard(events)).toEqual(['Sorry, please call again later.']);
  });

  it('no token given: signed all the same, with the development token, which this app refuses with 403 (never the 400 of a missing signature)', async () => {
    const { summary } = await runApp({ app: appConfig() });
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_WEBHOOK_STATUS', message: expect.stringMatching(/answered 403/) })]);
  });
});
