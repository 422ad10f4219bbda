// What the runtime refuses and what it keeps to itself: signed webhooks on every request of a call
// (callbacks and fallbacks included), the control server's credentials (http.authToken), the
// hosts a document may make the runtime request (webhook.allowHosts/denyHosts, built-in link-local
// and metadata rules, checked again after DNS), and no secret in a log line or a transcript.
// Every server is on 127.0.0.1; names resolve through an injected lookup, never the network.
import { createHash } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../src/clock.js';
import { isDidmlError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createMockAdapter } from '../../src/telephony/mock/index.js';
import { hostPolicy, type HostPolicyOptions } from '../../src/webhook/hosts.js';
import { parseForm } from '../../src/webhook/params.js';
import { signRequest, validateSignature } from '../../src/webhook/signature.js';
import { heard, ofType, runApp, startApp, xml, type TestApp } from '../runtime/support.js';
import { startServer, type TestServer } from '../webhook/support.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const keep = <T extends { close(): Promise<unknown> }>(x: T): T => (cleanups.push(() => x.close()), x);

/** Resolves the names in `table` (and nothing else) without asking anyone; counts the questions. */
function fakeDns(table: Record<string, string>): LookupFunction & { asked: string[] } {
  const asked: string[] = [];
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    asked.push(hostname);
    const address = table[hostname];
    process.nextTick(() => {
      if (!address) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      const family = address.includes(':') ? 6 : 4;
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    });
  }) as unknown as LookupFunction & { asked: string[] };
  lookup.asked = asked;
  return lookup;
}

async function runtime(config: Record<string, unknown>, adapter?: ReturnType<typeof createMockAdapter>): Promise<{ rt: Runtime; logs: string[] }> {
  const logs: string[] = [];
  const rt = await startRuntime(checkConfig({ http: { port: 0 }, ...config }), {
    ...(adapter ? { adapter } : {}),
    log: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
  });
  keep(rt);
  return { rt, logs };
}

describe('webhook signing on every request', () => {
  it('signs each document, redirect hop, fallback, status, recording and Postcall callback of a call, as the app validates them', async () => {
    const token = 'signing-token-0123456789';
    let server!: TestServer;
    const route = (path: string, method: string): { status?: number; type?: string; body?: string; location?: string } => {
      switch (path) {
        case '/voice':
          return { body: xml('<Gather numDigits="1" action="/menu?step=1&amp;lang=en"><Say>Press 1</Say></Gather>') };
        case '/menu':
          return { body: xml('<Record action="/after" method="GET" recordingStatusCallback="/recording" maxLength="5"/>') };
        case '/after':
          return method === 'GET' ? { status: 302, location: '/moved' } : { status: 405 };
        case '/moved':
          return { status: 500, type: 'text/plain', body: 'broken' };
        case '/fallback':
          return { body: xml('<Say>Fallback</Say><Redirect>/end</Redirect>') };
        case '/end':
          return { body: xml('<Hangup/>') };
        case '/didml':
          return { body: '<Response><Postcall>/postcall</Postcall><say>Thanks for calling</say></Response>' };
        default:
          return { body: '' }; // /status, /recording
      }
    };
    server = keep(
      await startServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        const r = route(path, req.method ?? '');
        res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'text/xml', ...(r.location ? { location: r.location } : {}) });
        res.end(r.body ?? '');
      }),
    );
    const url = (p: string) => server.origin + p;
    const { summary, events } = await runApp({
      app: { url: url('/voice'), fallbackUrl: url('/fallback'), statusCallback: url('/status'), statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'] },
      client: { authToken: token },
      script: { caller: [{ digits: '1' }, { record: 3, digits: '#' }] },
    });
    expect(heard(events)).toEqual(['Press 1', 'Fallback']);
    expect(summary.errors.map((e) => e.code)).toEqual(['DIDML_WEBHOOK_STATUS']);
    // And DIDML's <Postcall>, told once the call has ended.
    await runApp({ app: url('/didml'), client: { authToken: token } });

    const seen = server.received.map((r) => {
      const signature = r.headers['x-twilio-signature'];
      const params = r.method === 'POST' ? parseForm(r.body) : {};
      return { request: `${r.method} ${r.url.split('?')[0]}`, valid: typeof signature === 'string' && validateSignature(token, signature, server.origin + r.url, params) };
    });
    expect(seen.map((s) => s.request).sort()).toEqual(
      [
        'POST /status', // initiated
        'POST /status', // ringing
        'POST /voice',
        'POST /status', // answered
        'POST /menu',
        'POST /recording',
        'GET /after',
        'GET /moved',
        'POST /fallback',
        'POST /end',
        'POST /status', // completed
        'POST /didml',
        'POST /postcall',
      ].sort(),
    );
    expect(seen.filter((s) => !s.valid)).toEqual([]);
    // A wrong token is told apart: the check can fail.
    const first = server.received[0]!;
    expect(validateSignature('another-token', String(first.headers['x-twilio-signature']), server.origin + first.url, parseForm(first.body))).toBe(false);
  });
});

describe('control server credentials (http.authToken)', () => {
  const token = 'control-token-abcdef';
  async function controlled() {
    const app = keep(await startApp({ '/voice': xml('<Say>Hi</Say>') }));
    return runtime({ app: { url: app.url('/voice') }, http: { port: 0, authToken: token } });
  }
  const script = JSON.stringify({ from: '+14155550100' });
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  it('refuses POST /calls without credentials: 401, a JSON error that says what to send, no call run', async () => {
    const { rt, logs } = await controlled();
    const res = await fetch(`${rt.url}/calls`, { method: 'POST', body: script });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="didml"');
    expect(((await res.json()) as { message: string }).message).toMatch(/needs credentials: send Authorization: Bearer <http\.authToken>, or X-Twilio-Signature/);
    expect(rt.stats().callsStarted).toBe(0);
    expect(logs.some((l) => l.includes('"msg":"control request refused"') && l.includes('"status":401'))).toBe(true);
  });

  it('refuses a wrong bearer token or a malformed Authorization with 403', async () => {
    const { rt } = await controlled();
    for (const authorization of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, token]) {
      const res = await fetch(`${rt.url}/calls`, { method: 'POST', body: script, headers: { authorization } });
      expect(res.status, authorization).toBe(403);
      expect(((await res.json()) as { message: string }).message).toBeTruthy();
    }
    expect(rt.stats().callsStarted).toBe(0);
  });

  it('runs the call with the right bearer token', async () => {
    const { rt } = await controlled();
    const res = await fetch(`${rt.url}/calls`, { method: 'POST', body: script, headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('completed');
  });

  it('accepts X-Twilio-Signature over the URL with bodySHA256, and refuses a changed body or URL', async () => {
    const { rt } = await controlled();
    const target = `${rt.url}/calls?bodySHA256=${sha(script)}`;
    const signature = signRequest(token, target);
    const ok = await fetch(target, { method: 'POST', body: script, headers: { 'x-twilio-signature': signature } });
    expect(ok.status).toBe(200);
    const tampered = await fetch(target, { method: 'POST', body: script.replace('0100', '0666'), headers: { 'x-twilio-signature': signature } });
    expect(tampered.status).toBe(403);
    expect(((await tampered.json()) as { message: string }).message).toBe('bodySHA256 does not match the body');
    const other = `${rt.url}/calls?bodySHA256=${sha(script)}&x=1`;
    const moved = await fetch(other, { method: 'POST', body: script, headers: { 'x-twilio-signature': signature } });
    expect(moved.status).toBe(403);
    const noHash = await fetch(`${rt.url}/calls`, { method: 'POST', body: script, headers: { 'x-twilio-signature': signRequest(token, `${rt.url}/calls`) } });
    expect(noHash.status).toBe(403);
    expect(rt.stats().callsStarted).toBe(1);
  });

  it('leaves GET /health open, and POST /calls open when no token is set', async () => {
    const { rt } = await controlled();
    expect((await fetch(`${rt.url}/health`)).status).toBe(200);
    const app = keep(await startApp({ '/voice': xml('<Say>Hi</Say>') }));
    const { rt: open } = await runtime({ app: { url: app.url('/voice') } });
    expect((await fetch(`${open.url}/calls`, { method: 'POST', body: script })).status).toBe(200);
  });
});

describe('host policy: the rules', () => {
  const refusal = (o: HostPolicyOptions, url: string, resolvesTo?: string): string | undefined => {
    const p = hostPolicy(o);
    const byUrl = p.checkUrl(url);
    if (byUrl || resolvesTo === undefined) return byUrl?.message;
    return p.checkAddress(new URL(url).hostname, resolvesTo)?.message;
  };

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'built-in rule 169.254.0.0/16'],
    ['http://2852039166/', 'built-in rule 169.254.0.0/16'], // 169.254.169.254 as one number
    ['http://0xa9.0xfe.0xa9.0xfe/', 'built-in rule 169.254.0.0/16'],
    ['http://[::ffff:169.254.169.254]/', 'built-in rule 169.254.0.0/16'],
    ['http://[fe80::1]/', 'built-in rule fe80::/10'],
    ['http://[fd00:ec2::254]/', 'built-in rule fd00:ec2::254'],
    ['http://100.100.100.200/', 'built-in rule 100.100.100.200'],
  ])('refuses %s by default (%s)', (url, rule) => {
    expect(refusal({}, url)).toContain(rule);
    expect(refusal({}, url)).toMatch(/never requests unless webhook\.allowHosts lists the address/);
  });

  it('lets private ranges, loopback and names through by default', () => {
    for (const url of ['http://10.1.2.3/voice', 'http://192.168.0.10/', 'http://127.0.0.1:8080/', 'http://[::1]/', 'https://app.example.com/']) expect(refusal({}, url), url).toBeUndefined();
    expect(refusal({}, 'http://app.example.com/', '10.0.0.7')).toBeUndefined();
  });

  it('refuses a name that resolves to a metadata address, naming the name, the address and the rule', () => {
    expect(refusal({}, 'http://metadata.google.internal/', '169.254.169.254')).toBe(
      'metadata.google.internal resolves to 169.254.169.254, which is a link-local or cloud metadata address (built-in rule 169.254.0.0/16), which the runtime never requests unless webhook.allowHosts lists the address or its range',
    );
  });

  it('lifts a built-in rule only for an address or range listed in allowHosts, never for a name or *', () => {
    expect(refusal({ allow: ['169.254.169.254'] }, 'http://169.254.169.254/')).toBeUndefined();
    expect(refusal({ allow: ['169.254.0.0/16'] }, 'http://x.test/', '169.254.1.1')).toBeUndefined();
    expect(refusal({ allow: ['*'] }, 'http://169.254.169.254/')).toContain('built-in rule');
    expect(refusal({ allow: ['metadata.test'] }, 'http://metadata.test/', '169.254.169.254')).toContain('built-in rule');
  });

  it('allowHosts: names with wildcards, addresses, ranges; anything else is refused with the list', () => {
    const allow = ['*.example.com', 'api.partner.net', '10.0.0.0/8'];
    expect(refusal({ allow }, 'https://ivr.example.com/')).toBeUndefined();
    expect(refusal({ allow }, 'https://a.b.example.com/')).toBeUndefined();
    expect(refusal({ allow }, 'https://API.Partner.NET./x')).toBeUndefined();
    expect(refusal({ allow }, 'http://10.200.0.1/')).toBeUndefined();
    expect(refusal({ allow }, 'http://intranet.corp/', '10.3.3.3')).toBeUndefined();
    expect(refusal({ allow }, 'https://example.com/', '93.184.216.34')).toBe('example.com (93.184.216.34) is not in webhook.allowHosts (*.example.com, api.partner.net, 10.0.0.0/8)');
    expect(refusal({ allow }, 'http://192.168.1.1/')).toBe('192.168.1.1 is not in webhook.allowHosts (*.example.com, api.partner.net, 10.0.0.0/8)');
    // Without an address entry, a name that matches nothing is refused before it is resolved.
    expect(refusal({ allow: ['*.example.com'] }, 'https://evil.net/')).toBe('evil.net is not in webhook.allowHosts (*.example.com)');
    expect(refusal({ allow: ['*.example.com'], trusted: ['hooks.other.org'] }, 'https://hooks.other.org/')).toBeUndefined();
  });

  it('denyHosts: by name before resolution, by address after; it wins over allowHosts and trusted hosts', () => {
    const deny = ['*.internal', '127.0.0.2', '10.9.0.0/16'];
    expect(refusal({ deny }, 'http://db.internal/')).toBe('db.internal matches webhook.denyHosts entry "*.internal"');
    expect(refusal({ deny }, 'http://127.0.0.2:8080/')).toBe('127.0.0.2 matches webhook.denyHosts entry "127.0.0.2"');
    expect(refusal({ deny }, 'http://app.test/', '10.9.1.1')).toBe('app.test resolves to 10.9.1.1, which matches webhook.denyHosts entry "10.9.0.0/16"');
    expect(refusal({ deny, allow: ['10.0.0.0/8'], trusted: ['app.test'] }, 'http://app.test/', '10.9.1.1')).toContain('webhook.denyHosts');
    expect(refusal({ deny }, 'http://127.0.0.1/')).toBeUndefined();
  });

  it('names a bad entry', () => {
    for (const [entry, why] of [
      ['10.0.0.0/33', 'invalid prefix length'],
      ['10.0.0.0/x', 'invalid prefix length'],
      ['http://x.com/', 'is not a host name'],
      ['a.*.com', 'is not a host name'],
    ] as const) {
      let err: unknown;
      try {
        checkConfig({ app: { url: 'http://127.0.0.1/' }, webhook: { denyHosts: [entry] } }, 'didml.json');
      } catch (e) {
        err = e;
      }
      expect(isDidmlError(err) && err.code, entry).toBe('DIDML_CONFIG');
      expect((err as Error).message).toContain(`didml.json: webhook.denyHosts: "${entry}"`);
      expect((err as Error).message).toContain(why);
    }
  });
});

describe('host policy: what a document may make the runtime request', () => {
  it('a <Redirect> to the metadata address is refused before any connection; the fallback hears why', async () => {
    const app = keep(await startApp({ '/voice': xml('<Redirect>http://169.254.169.254/latest/meta-data/</Redirect>'), '/fallback': xml('<Say>Refused</Say>') }));
    const { summary, events } = await runApp({ app: { url: app.url('/voice'), fallbackUrl: app.url('/fallback') } });
    expect(summary.errors).toEqual([
      {
        code: 'DIDML_URL_FORBIDDEN',
        message: expect.stringMatching(/^POST http:\/\/169\.254\.169\.254\/latest\/meta-data\/: 169\.254\.169\.254 is a link-local or cloud metadata address \(built-in rule 169\.254\.0\.0\/16\)/),
        url: 'http://169.254.169.254/latest/meta-data/',
      },
    ]);
    expect(app.to('/fallback')[0]!.params).toMatchObject({ ErrorUrl: 'http://169.254.169.254/latest/meta-data/' });
    expect(heard(events)).toEqual(['Refused']);
  });

  it('a name that resolves to the metadata address is refused after DNS, before connecting', async () => {
    const dns = fakeDns({ 'metadata.test': '169.254.169.254' });
    const app = keep(await startApp({ '/voice': xml('<Redirect>http://metadata.test/computeMetadata/v1/</Redirect>') }));
    const { summary } = await runApp({ app: app.url('/voice'), client: { lookup: dns } });
    expect(dns.asked).toEqual(['metadata.test']); // asked once: a refusal is not retried
    expect(summary.errors).toEqual([
      expect.objectContaining({ code: 'DIDML_URL_FORBIDDEN', message: expect.stringContaining('metadata.test resolves to 169.254.169.254, which is a link-local or cloud metadata address') }),
    ]);
  });

  it('an HTTP redirect from the app to a denied host is refused too', async () => {
    const app = keep(await startApp({ '/voice': { status: 302, headers: { location: 'http://127.0.0.2:9/steal' } } }));
    const { summary } = await runApp({ app: app.url('/voice'), client: { hosts: hostPolicy({ deny: ['127.0.0.2'] }) } });
    expect(summary.errors).toEqual([
      expect.objectContaining({ code: 'DIDML_URL_FORBIDDEN', url: 'http://127.0.0.2:9/steal', message: expect.stringContaining('127.0.0.2 matches webhook.denyHosts entry "127.0.0.2"') }),
    ]);
  });

  it('allowHosts by name: other hosts are refused for documents, status and recording callbacks alike', async () => {
    const dns = fakeDns({ 'app.test': '127.0.0.1', 'other.test': '127.0.0.1' });
    const app = keep(
      await startApp({
        '/voice': xml('<Record action="http://other.test/after" recordingStatusCallback="http://other.test/recording" maxLength="2"/>'),
        '/status': '',
      }),
    );
    const port = new URL(app.origin).port;
    const local = (p: string) => `http://app.test:${port}${p}`;
    const hosts = hostPolicy({ allow: ['app.test'] });
    const { summary, events } = await runApp({
      app: { url: local('/voice'), statusCallback: 'http://other.test/status' },
      client: { hosts, lookup: dns },
      script: { caller: [{ record: 1 }] },
    });
    expect(app.requests.map((r) => r.path)).toEqual(['/voice']);
    expect(summary.errors.map((e) => [e.code, e.url])).toEqual([['DIDML_URL_FORBIDDEN', 'http://other.test/after']]);
    const callbackErrors = ofType(events, 'error').filter((e) => /callback to/.test(String(e['message'])));
    expect(callbackErrors.map((e) => e['code'])).toEqual(['DIDML_URL_FORBIDDEN', 'DIDML_URL_FORBIDDEN']);
    expect(callbackErrors.map((e) => String(e['message']))).toEqual([
      expect.stringContaining('other.test is not in webhook.allowHosts (app.test)'),
      expect.stringContaining('other.test is not in webhook.allowHosts (app.test)'),
    ]);
    expect(dns.asked.every((h) => h === 'app.test')).toBe(true);
  });

  it('allowHosts by range: a name is let through once it resolves inside it', async () => {
    const dns = fakeDns({ 'app.test': '127.0.0.1', 'other.test': '127.0.0.1', 'far.test': '192.0.2.1' });
    const app = keep(await startApp({ '/voice': xml('<Redirect>/next</Redirect>'), '/next': xml('<Say>Next</Say><Redirect>http://far.test/x</Redirect>') }));
    const port = new URL(app.origin).port;
    const { summary, events } = await runApp({
      app: `http://other.test:${port}/voice`,
      client: { hosts: hostPolicy({ allow: ['127.0.0.0/8'] }), lookup: dns },
    });
    expect(app.requests.map((r) => r.path)).toEqual(['/voice', '/next']);
    expect(heard(events)[0]).toBe('Next');
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_URL_FORBIDDEN', message: expect.stringContaining('far.test (192.0.2.1) is not in webhook.allowHosts (127.0.0.0/8)') })]);
  });

  it('comes from the config of didml serve; the configured hosts are allowed by name', async () => {
    const app = keep(await startApp({ '/voice': xml('<Say>Hi</Say><Redirect>http://127.0.0.2:9/x</Redirect>'), '/status': '' }));
    const { rt } = await runtime({
      app: { url: app.url('/voice'), statusCallback: app.url('/status') },
      webhook: { allowHosts: ['10.0.0.0/8'], denyHosts: ['*.internal'] },
    });
    const res = await fetch(`${rt.url}/calls`, { method: 'POST', body: '{}' });
    const call = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(call.errors).toEqual([expect.objectContaining({ code: 'DIDML_URL_FORBIDDEN', message: expect.stringContaining('127.0.0.2 is not in webhook.allowHosts (10.0.0.0/8)') })]);
    // The status callback comes after the answer; wait for it (bounded).
    for (let i = 0; i < 100 && app.to('/status').length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(app.requests.map((r) => r.path)).toEqual(['/voice', '/status']);
  });
});

describe('no secrets in logs or transcripts', () => {
  const SECRETS = { authToken: 'tok-SECRET-4f1c', sipPassword: 'pw-SECRET-9a2b', urlPassword: 'url-SECRET-77', uriPassword: 'uri-SECRET-31', control: 'ctl-SECRET-5d' };
  const leaks = (text: string) => Object.entries(SECRETS).filter(([, s]) => text.includes(s)).map(([k]) => k);

  it('a call with <Sip username password>, URL credentials and an auth token leaves none of them in the log or the transcript', async () => {
    let origin = '';
    const app = keep(
      await startApp({
        '/voice': xml(
          `<Dial action="/after"><Sip username="alice" password="${SECRETS.sipPassword}">sip:agent@pbx.example.com</Sip></Dial>` +
            `<Say>unreached</Say>`,
        ),
        '/after': () =>
          xml(`<Dial><Sip>sip:bob:${SECRETS.uriPassword}@pbx2.example.com</Sip></Dial><Redirect>${origin.replace('//', `//carol:${SECRETS.urlPassword}@`)}/end</Redirect>`),
        '/end': xml('<Hangup/>'),
      }),
    );
    origin = app.origin;
    const appUrl = app.url('/voice').replace('http://', `http://user:${SECRETS.urlPassword}@`);
    const config = { app: { url: appUrl }, authToken: SECRETS.authToken, http: { port: 0, authToken: SECRETS.control } };
    const adapter = createMockAdapter({ clock: realClock });
    const { rt, logs } = await runtime(config, adapter);

    // A call from the backend: every event goes to the log (debug).
    const script = {
      callees: { 'sip:agent@pbx.example.com': { ring: 0, talk: 0.05, requireAuth: { username: 'alice', password: SECRETS.sipPassword } }, '*': { response: 'busy' } },
    };
    const call = adapter.placeCall(script);
    await call.leg.ended;
    await new Promise((r) => setTimeout(r, 50));
    // The same call through POST /calls: the transcript comes back.
    const res = await fetch(`${rt.url}/calls`, { method: 'POST', body: JSON.stringify(script), headers: { authorization: `Bearer ${SECRETS.control}` } });
    const transcript = await res.text();
    // A refused control request is logged without the token it carried.
    await fetch(`${rt.url}/calls`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${SECRETS.control}-wrong` } });

    expect(res.status).toBe(200);
    const log = logs.join('\n');
    // The calls did what they should (the digest challenge was answered, the app was reached with its credentials).
    expect(transcript).toContain('"dial-end"');
    expect(app.to('/after')).toHaveLength(2);
    expect(app.to('/voice')[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`user:${SECRETS.urlPassword}`).toString('base64')}`);
    expect(log).toContain('"msg":"call ended"');
    expect(transcript).toContain('a password in the URI is not sent on the INVITE');
    expect(transcript).toContain('"url":"http://carol:***@127.0.0.1:');
    expect(leaks(log)).toEqual([]);
    expect(leaks(transcript)).toEqual([]);
  });
});

describe('regressions', () => {
  it("a URL's password reached the transcript (webhook, redirect and error events, the summary) and the log", async () => {
    const app = keep(await startApp({ '/voice': xml('<Redirect>/gone</Redirect>') }));
    const voice = app.url('/voice').replace('//', '//ann:url-pw-1@');
    const { summary, events } = await runApp({ app: voice });
    const text = JSON.stringify({ summary, events });
    expect(text).not.toContain('url-pw-1');
    expect(ofType(events, 'webhook')[0]!['url']).toBe(voice.replace('url-pw-1', '***'));
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).info('x', { app: voice, nested: { list: [`GET ${voice} failed`] } });
    expect(lines[0]).not.toContain('url-pw-1');
    expect(lines[0]).toContain('ann:***@');
  });

  it('a password in a <Sip> URI went onto the INVITE and into the transcript; now it answers the digest challenge', async () => {
    const app = keep(await startApp({ '/voice': xml('<Dial><Sip>sip:bob:sip-pw-2@pbx.example.com</Sip></Dial>') }));
    const { events } = await runApp({
      app: app.url('/voice'),
      script: { callees: { 'sip:bob@pbx.example.com': { ring: 0, talk: 1, requireAuth: { username: 'bob', password: 'sip-pw-2' } } } },
    });
    expect(JSON.stringify(events)).not.toContain('sip-pw-2');
    const attempts = ofType(events, 'dial-attempt');
    expect(attempts.map((a) => (a['target'] as { uri: string }).uri)).toEqual(['sip:bob@pbx.example.com', 'sip:bob@pbx.example.com']);
    expect(attempts[1]).toMatchObject({ username: 'bob' });
    expect(ofType(events, 'dial-end')[0]).toMatchObject({ status: 'completed', sipResponseCode: 200 });
  });
});
