// An app written the way Twilio tells users to write one: Express with the `twilio` package's
// `twilio.webhook()` middleware validating X-Twilio-Signature. It must accept every request didml
// signs, POST or GET, through redirects, whatever the parameters hold.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookClient } from '../../src/webhook/client.js';
import type { WebhookClient } from '../../src/webhook/types.js';
import { expectNoLeaks, resources } from './support.js';

const TOKEN = 'f1d2d2f924e986ac86fdf7b36c94bcdf';
const TWIML = '<Response><Say>Validated</Say></Response>';

// Values and keys that trip up signers: unicode and emoji, form syntax inside values, keys that
// look like repeats or arrays (the app parses forms with extended: false, so `a[]` stays a key).
const PARAMS: Record<string, string> = {
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  From: '+14155550100',
  SpeechResult: 'Ça va? Oui — très bien 👍',
  Digits: '1#*',
  'Digits[]': '2',
  'SipHeader_X-A': 'x=1&y=2',
  'SipHeader_X-A-B': "O'Brien + 100% (ok)",
  Empty: '',
};

let server: Server;
let origin: string;
let seen: Array<{ method: string; url: string; params: Record<string, unknown> }>;
let client: WebhookClient | undefined;
let baseline: ReturnType<typeof resources>;

beforeEach(async () => {
  baseline = resources();
  seen = [];
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  const validate = twilio.webhook(TOKEN, { validate: true });
  const record: express.RequestHandler = (req, _res, next) => {
    seen.push({ method: req.method, url: req.originalUrl, params: req.method === 'POST' ? { ...req.body } : { ...req.query } });
    next();
  };
  app.all('/moved', validate, record, (_req, res) => res.redirect(302, '/voice?step=2'));
  app.all('/voice', validate, record, (_req, res) => res.type('text/xml').send(TWIML));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await expectNoLeaks(baseline);
});

const fetchWith = (token: string | undefined, url: string, method: 'GET' | 'POST', params = PARAMS) => {
  client = createWebhookClient(token === undefined ? {} : { authToken: token });
  return client.fetchDocument({ url, method, params });
};

describe('twilio.webhook() middleware', () => {
  it('accepts a signed POST, and the app reads every parameter back', async () => {
    const out = await fetchWith(TOKEN, `${origin}/voice`, 'POST');
    expect(out.ok && out.document.body).toBe(TWIML);
    expect(seen).toEqual([{ method: 'POST', url: '/voice', params: PARAMS }]);
  });

  it('accepts a signed GET whose parameters join a query already in the URL', async () => {
    const out = await fetchWith(TOKEN, `${origin}/voice?tenant=acme&name=O'Brien`, 'GET');
    expect(out.ok).toBe(true);
    expect(seen[0]!.params).toEqual({ tenant: 'acme', name: "O'Brien", ...PARAMS });
  });

  it('accepts a POST to a URL with a query string and an override fragment', async () => {
    const out = await fetchWith(TOKEN, `${origin}/voice?tenant=ü#rt=2000`, 'POST');
    expect(out.ok).toBe(true);
    expect(seen[0]!.url).toBe('/voice?tenant=%C3%BC');
  });

  it('accepts each hop of a redirect, re-signed for its own URL', async () => {
    const out = await fetchWith(TOKEN, `${origin}/moved`, 'POST');
    expect(out.ok && out.document.url).toBe(`${origin}/voice?step=2`);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /moved', 'GET /voice?step=2']);
  });

  it('refuses a request signed with another token: 403, reported as DIDML_WEBHOOK_STATUS', async () => {
    const out = await fetchWith('not-the-token', `${origin}/voice`, 'POST');
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure.error.code).toBe('DIDML_WEBHOOK_STATUS');
    expect(out.failure.status).toBe(403);
    expect(out.failure.error.message).toContain('"Twilio Request Validation Failed."');
    expect(seen).toEqual([]);
  });

  it('without a token the request is still signed (as Twilio always signs), with the development token: this app refuses it with 403, not 400', async () => {
    const out = await fetchWith(undefined, `${origin}/voice`, 'GET');
    expect(!out.ok && out.failure.status).toBe(403);
  });
});
