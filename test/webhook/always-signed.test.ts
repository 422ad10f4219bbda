// Every request carries X-Twilio-Signature, as Twilio's do: with the configured token, or with the
// documented development token when none is given; `didml call` and `didml serve` say which.
// Checked with the real twilio library's validateRequest on a loopback app.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startRuntime } from '../../src/server/runtime.js';
import { checkConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/log.js';
import { DEVELOPMENT_AUTH_TOKEN, createWebhookClient } from '../../src/webhook/index.js';

interface Seen {
  url: string;
  signature: string | undefined;
  params: Record<string, string>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A loopback app that records each request and answers a Say. */
async function app(): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      seen.push({ url: origin + req.url, signature: req.headers['x-twilio-signature'] as string | undefined, params: Object.fromEntries(new URLSearchParams(body)) });
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response><Say>Signed.</Say></Response>');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  closers.push(() => new Promise((ok) => server.close(() => ok())));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const valid = (token: string, s: Seen) => twilio.validateRequest(token, s.signature ?? '', s.url, s.params);

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

describe('requests are always signed', () => {
  it('a client without a token signs with the development token', async () => {
    const { origin, seen } = await app();
    const client = createWebhookClient();
    closers.push(() => client.close());
    const out = await client.fetchDocument({ url: `${origin}/voice`, method: 'POST', params: { CallSid: 'CA1', From: '+14155550100' } });
    expect(out.ok).toBe(true);
    expect(seen).toHaveLength(1);
    expect(valid(DEVELOPMENT_AUTH_TOKEN, seen[0]!)).toBe(true);
    expect(valid('some-other-token', seen[0]!)).toBe(false);
  });

  it('didml call without a token: signed with the development token, and it says so on stderr', async () => {
    const { origin, seen } = await app();
    const saved = process.env['DIDML_AUTH_TOKEN'];
    delete process.env['DIDML_AUTH_TOKEN'];
    try {
      const r = await cli(['call', `${origin}/voice`, '--no-input', '--json']);
      expect(r.code).toBe(0);
      expect(r.err).toBe(`didml call: webhooks are signed (X-Twilio-Signature) with the development auth token "${DEVELOPMENT_AUTH_TOKEN}" (give --auth-token or $DIDML_AUTH_TOKEN to sign with your own)\n`);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'completed' });
    } finally {
      if (saved !== undefined) process.env['DIDML_AUTH_TOKEN'] = saved;
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => valid(DEVELOPMENT_AUTH_TOKEN, s))).toBe(true);
  });

  it('didml call --auth-token signs with that token (and not the development one), $DIDML_AUTH_TOKEN likewise', async () => {
    const { origin, seen } = await app();
    const r = await cli(['call', `${origin}/voice`, '--no-input', '--auth-token', 'tok-from-option']);
    expect(r.err).toBe('didml call: webhooks are signed (X-Twilio-Signature) with the auth token given with --auth-token\n');
    expect(seen.every((s) => valid('tok-from-option', s) && !valid(DEVELOPMENT_AUTH_TOKEN, s))).toBe(true);

    const saved = process.env['DIDML_AUTH_TOKEN'];
    process.env['DIDML_AUTH_TOKEN'] = 'tok-from-env';
    seen.length = 0;
    try {
      const e = await cli(['call', `${origin}/voice`, '--no-input']);
      expect(e.err).toBe('didml call: webhooks are signed (X-Twilio-Signature) with the auth token in $DIDML_AUTH_TOKEN\n');
    } finally {
      if (saved === undefined) delete process.env['DIDML_AUTH_TOKEN'];
      else process.env['DIDML_AUTH_TOKEN'] = saved;
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => valid('tok-from-env', s))).toBe(true);
  });

  it('serve logs at start which token signs, and its calls are signed with it', async () => {
    const { origin, seen } = await app();
    for (const [authToken, token, says] of [
      [undefined, DEVELOPMENT_AUTH_TOKEN, /development auth token "didml-development-auth-token"/],
      ['tok-configured', 'tok-configured', /the configured auth token/],
    ] as const) {
      const logs: Record<string, unknown>[] = [];
      const rt = await startRuntime(checkConfig({ http: { port: 0 }, app: { url: `${origin}/voice` }, ...(authToken ? { authToken } : {}) }), {
        log: createLogger({ level: 'info', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) }),
      });
      closers.push(() => rt.close());
      const started = logs.find((l) => l['msg'] === 'didml runtime started');
      expect(started?.['webhookSigning']).toMatch(says);
      seen.length = 0;
      const res = await fetch(`${rt.url}/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(200);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((s) => valid(token, s))).toBe(true);
    }
  });
});
