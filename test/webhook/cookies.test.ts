// A call keeps the cookies its app sets, as Twilio does, so apps that keep their state in a
// session cookie (Flask, express-session) work across the documents of a call.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CookieJar } from '../../src/webhook/cookies.js';
import { VirtualClock } from '../../src/clock.js';
import { runCall } from '../../src/runtime/session.js';
import { createMockAdapter } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';

describe('CookieJar (RFC 6265, as far as an app needs)', () => {
  it('sends a host-only cookie back to its host only, on the paths below its own', () => {
    const jar = new CookieJar();
    jar.store('http://app.example.com/ivr/voice', ['sid=abc']);
    expect(jar.header('http://app.example.com/ivr/menu')).toBe('sid=abc');
    expect(jar.header('http://app.example.com/other')).toBeUndefined(); // default-path is /ivr
    expect(jar.header('http://www.app.example.com/ivr/menu')).toBeUndefined();
  });

  it('honours Domain, Path, Secure, and a Max-Age that deletes', () => {
    const jar = new CookieJar();
    jar.store('https://app.example.com/voice', ['a=1; Domain=example.com; Path=/', 'b=2; Path=/; Secure', 'c=3; Domain=evil.test']);
    expect(jar.header('https://api.example.com/x')).toBe('a=1');
    expect(jar.header('https://app.example.com/x')).toBe('a=1; b=2');
    expect(jar.header('http://app.example.com/x')).toBe('a=1'); // Secure stays off plain http
    jar.store('https://app.example.com/voice', ['a=gone; Domain=example.com; Path=/; Max-Age=0']);
    expect(jar.header('https://app.example.com/x')).toBe('b=2');
    expect(jar.size).toBe(1); // c was for another site: never kept
  });

  it('expires cookies by their Expires date, and replaces a cookie of the same name, domain and path', () => {
    let now = Date.parse('2026-11-24T10:00:00Z');
    const jar = new CookieJar(() => now);
    jar.store('http://h/', ['s=1; Expires=Tue, 24 Nov 2026 10:00:30 GMT; Path=/', 's=2; Path=/; Expires=Tue, 24 Nov 2026 10:01:00 GMT']);
    expect(jar.header('http://h/a')).toBe('s=2');
    now += 90_000;
    expect(jar.header('http://h/a')).toBeUndefined();
  });
});

describe('cookies across a call', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('the app sees its session cookie on every later request of the same call, and not on another call', async () => {
    const seen: { path: string; cookie: string | undefined }[] = [];
    let sessions = 0;
    server = createServer((req: IncomingMessage, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      seen.push({ path, cookie: req.headers.cookie });
      req.resume();
      req.on('end', () => {
        const headers: Record<string, string | string[]> = { 'content-type': 'text/xml' };
        if (path === '/voice') headers['set-cookie'] = [`session=s${++sessions}; Path=/; HttpOnly`, 'lang=en; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/'];
        const body =
          path === '/voice'
            ? '<Response><Gather action="/menu" numDigits="1"><Say>Press</Say></Gather></Response>'
            : path === '/menu'
              ? '<Response><Redirect>/bye</Redirect></Response>'
              : '<Response><Hangup/></Response>';
        res.writeHead(200, headers).end(body);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const webhooks = createWebhookClient();
    for (let i = 0; i < 2; i++) {
      const clock = new VirtualClock();
      const adapter = createMockAdapter({ clock });
      const call = adapter.placeCall({ caller: [{ digits: '1' }] });
      await runCall(call, { app: { url: `${base}/voice`, statusCallback: `${base}/status` }, webhooks, clock });
      await adapter.close();
    }
    await webhooks.close();
    expect(seen.map((s) => `${s.path} ${s.cookie ?? '-'}`)).toEqual([
      '/voice -',
      '/menu session=s1; lang=en',
      '/bye session=s1; lang=en',
      '/status session=s1; lang=en',
      '/voice -',
      '/menu session=s2; lang=en',
      '/bye session=s2; lang=en',
      '/status session=s2; lang=en',
    ]);
  });
});
