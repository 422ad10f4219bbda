// The webhook client against real HTTP servers on 127.0.0.1: what the app receives, and every way
// a request can fail, each with its code, and with no socket or timer left behind.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookClient } from '../../src/webhook/client.js';
import { DEVELOPMENT_AUTH_TOKEN, signRequest, validateSignature } from '../../src/webhook/signature.js';
import type { WebhookClient, WebhookClientOptions, FetchOutcome, WebhookFailure } from '../../src/webhook/types.js';
import { closedPort, expectNoLeaks, resources, startServer, startSilentServer, type TestServer } from './support.js';

const XML = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say></Response>';

let servers: TestServer[] = [];
let clients: WebhookClient[] = [];
let baseline: ReturnType<typeof resources>;

beforeEach(() => {
  baseline = resources();
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  clients = [];
  servers = [];
  await expectNoLeaks(baseline);
});

const client = (o: WebhookClientOptions = {}) => {
  const c = createWebhookClient(o);
  clients.push(c);
  return c;
};
const serve = async (...args: Parameters<typeof startServer>) => {
  const s = await startServer(...args);
  servers.push(s);
  return s;
};
const xml = (body = XML, type = 'text/xml') => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': type });
  res.end(body);
};

function failed(outcome: FetchOutcome): WebhookFailure {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.document.status}`);
  return outcome.failure;
}

describe('what the app receives', () => {
  it('POST: form body, Twilio headers, and the document back', async () => {
    const s = await serve(xml());
    const out = await client().fetchDocument({ url: `${s.origin}/voice`, method: 'POST', params: { CallSid: 'CA1', From: '+1 415', SpeechResult: 'très bien 👍' } });
    expect(out.ok && out.document).toMatchObject({ url: `${s.origin}/voice`, status: 200, contentType: 'text/xml', body: XML });
    expect(out.ok && out.document.elapsedMs).toBeGreaterThan(0);
    const [r] = s.received;
    expect(r).toMatchObject({ method: 'POST', url: '/voice' });
    expect(Object.fromEntries(new URLSearchParams(r!.body))).toEqual({ CallSid: 'CA1', From: '+1 415', SpeechResult: 'très bien 👍' });
    expect(r!.headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      accept: 'text/xml, application/xml, text/html',
      'cache-control': 'max-age=259200',
    });
    expect(r!.headers['user-agent']).toMatch(/^DidmlProxy\/\d/);
    // No token given: signed all the same, as Twilio always signs, with the development token.
    expect(r!.headers['x-twilio-signature']).toBe(signRequest(DEVELOPMENT_AUTH_TOKEN, `${s.origin}/voice`, { CallSid: 'CA1', From: '+1 415', SpeechResult: 'très bien 👍' }));
  });

  it('GET: parameters appended to the query already in the URL, no body', async () => {
    const s = await serve(xml());
    const out = await client().fetchDocument({ url: `${s.origin}/voice?tenant=a%20b`, method: 'GET', params: { Digits: '1#', To: '+1' } });
    expect(out.ok).toBe(true);
    const [r] = s.received;
    expect(r).toMatchObject({ method: 'GET', url: '/voice?tenant=a%20b&Digits=1%23&To=%2B1', body: '' });
    expect(r!.headers['content-type']).toBeUndefined();
    // The document's URL is the app's, without the parameters didml added.
    expect(out.ok && out.document.url).toBe(`${s.origin}/voice?tenant=a%20b`);
  });

  it('strips the #ct=… fragment: the server never sees it', async () => {
    const s = await serve(xml());
    await client().fetchDocument({ url: `${s.origin}/voice?x=1#ct=1000&rt=2000`, method: 'GET', params: {} });
    expect(s.received[0]!.url).toBe('/voice?x=1');
  });

  it('turns credentials in the URL into Basic auth, and leaves them out of the signed URL', async () => {
    const s = await serve(xml());
    await client({ authToken: 'tok' }).fetchDocument({ url: `http://alice:s%3Acret@127.0.0.1:${s.port}/v`, method: 'POST', params: { a: '1' } });
    const h = s.received[0]!.headers;
    expect(h.authorization).toBe(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
    expect(validateSignature('tok', String(h['x-twilio-signature']), `${s.origin}/v`, { a: '1' })).toBe(true);
  });

  it('decodes the body by the charset the Content-Type names', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=iso-8859-1' });
      res.end(Buffer.from('<Response><Say>Café</Say></Response>', 'latin1'));
    });
    const out = await client().fetchDocument({ url: s.origin, method: 'GET', params: {} });
    expect(out.ok && out.document.body).toBe('<Response><Say>Café</Say></Response>');
  });

  it('reuses one keep-alive connection for consecutive requests', async () => {
    const s = await serve(xml());
    const c = client();
    for (let i = 0; i < 4; i++) {
      // undici hands a socket back to the pool one event-loop turn after a response ends (so that a
      // server which closes despite keep-alive is noticed first); a call's next request always
      // comes later than that.
      await new Promise((r) => setImmediate(r));
      const out = await c.fetchDocument({ url: `${s.origin}/step${i}`, method: i % 2 ? 'GET' : 'POST', params: { i: String(i) } });
      expect(out.ok).toBe(true);
    }
    expect(s.received).toHaveLength(4);
    expect(s.connections()).toBe(1);
  });
});

describe('content types', () => {
  it.each(['text/xml', 'application/xml; charset=utf-8', 'text/html', 'application/twiml+xml', 'text/plain'])('accepts %s', async (type) => {
    const s = await serve(xml(XML, type));
    const out = await client().fetchDocument({ url: s.origin, method: 'POST', params: {} });
    expect(out.ok && out.document.contentType).toBe(type);
  });

  it('refuses application/json with DIDML_WEBHOOK_CONTENT_TYPE (Twilio 12300)', async () => {
    const s = await serve(xml('{"say":"hi"}', 'application/json'));
    const f = failed(await client().fetchDocument({ url: `${s.origin}/voice`, method: 'POST', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_CONTENT_TYPE');
    expect(f.error.twilioCode).toBe(12300);
    expect(f.error.message).toBe(
      `POST ${s.origin}/voice: the app answered with Content-Type application/json, which is not a document. Serve the document as text/xml or application/xml (text/html and text/plain are accepted too).`,
    );
    expect(f.status).toBe(200);
  });

  it('refuses an answer with no Content-Type', async () => {
    const s = await serve((_q, res) => {
      res.removeHeader('content-type');
      res.end(XML);
    });
    const f = failed(await client().fetchDocument({ url: s.origin, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_CONTENT_TYPE');
    expect(f.error.message).toContain('the app answered 200 with no Content-Type');
  });
});

describe('status codes', () => {
  it('500: DIDML_WEBHOOK_STATUS with the status and the start of the body', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('TypeError: cannot read properties of undefined\n    at handler (app.js:12)');
    });
    const f = failed(await client().fetchDocument({ url: `${s.origin}/voice`, method: 'POST', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_STATUS');
    expect(f.status).toBe(500);
    expect(f.error.message).toBe(
      `POST ${s.origin}/voice: the app answered 500: "TypeError: cannot read properties of undefined at handler (app.js:12)". Look in the app's own logs for the error.`,
    );
    expect(s.received).toHaveLength(1); // Twilio's default policy retries connect failures only
  });

  it('404: tells to check the path', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(404).end();
    });
    const f = failed(await client().fetchDocument({ url: `${s.origin}/nope`, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_STATUS');
    expect(f.status).toBe(404);
    expect(f.error.message).toBe(`GET ${s.origin}/nope: the app answered 404. Check the path in the URL: the app has no such page.`);
  });

  it('retries a 503 as often as #rc says when #rp allows 5xx', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(503).end();
    });
    const f = failed(await client().fetchDocument({ url: `${s.origin}/v#rc=2&rp=5xx`, method: 'POST', params: { a: '1' } }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_STATUS');
    expect(s.received.map((r) => r.body)).toEqual(['a=1', 'a=1', 'a=1']);
    expect(f.error.message).toContain('(after 3 attempts)');
  });

  it('notify: succeeds on 204, reports a 500 as a value, never reads the body', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/ok') return res.writeHead(204).end();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('x'.repeat(200_000)); // larger than maxBytes: irrelevant for a callback
    });
    const c = client({ maxBytes: 1024 });
    expect(await c.notify({ url: `${s.origin}/ok`, method: 'POST', params: { CallStatus: 'completed' } })).toEqual({ ok: true, status: 204 });
    const bad = await c.notify({ url: `${s.origin}/bad`, method: 'POST', params: {} });
    expect(bad).toMatchObject({ ok: false, status: 500, error: { code: 'DIDML_WEBHOOK_STATUS' } });
    expect(s.received[0]!.body).toBe('CallStatus=completed');
  });
});

describe('connection failures', () => {
  it('refused: DIDML_WEBHOOK_CONNECT, tried twice as Twilio does', async () => {
    const port = await closedPort();
    const f = failed(await client().fetchDocument({ url: `http://127.0.0.1:${port}/voice`, method: 'POST', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_CONNECT');
    expect(f.status).toBeUndefined();
    expect(f.error.message).toBe(
      `POST http://127.0.0.1:${port}/voice: connection refused: nothing is listening on that host and port (after 2 attempts). Check that the app is running and that the host and port in the URL are right.`,
    );
  });

  it('refused on ::1 as well', async () => {
    const port = await closedPort();
    const f = failed(await client().fetchDocument({ url: `http://[::1]:${port}/v#rc=0`, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_CONNECT');
  });

  it('connect timeout: a TLS handshake that never completes, bounded by #ct', async () => {
    const s = await startSilentServer();
    servers.push(s);
    const started = performance.now();
    const f = failed(await client().fetchDocument({ url: `https://127.0.0.1:${s.port}/voice#ct=150&rc=0`, method: 'POST', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
    expect(f.error.message).toContain('no connection within the 150 ms connect timeout');
    expect(f.error.message).toContain('#ct=150&rt=15000&tt=15000');
    expect(performance.now() - started).toBeLessThan(1000);
    await s.released();
  });

  it('a connect timeout is retried under the default policy', async () => {
    const s = await startSilentServer();
    servers.push(s);
    const f = failed(await client().fetchDocument({ url: `https://127.0.0.1:${s.port}/v#ct=100`, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
    expect(s.connections()).toBe(2);
    await s.released();
  });

  it('slow headers: read timeout, socket released', async () => {
    const s = await serve(() => undefined); // reads the request, never answers
    const f = failed(await client().fetchDocument({ url: `${s.origin}/voice#rt=150`, method: 'POST', params: { a: '1' } }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
    expect(f.error.twilioCode).toBe(11200);
    expect(f.error.message).toContain('no response within the 150 ms read timeout');
    expect(s.received).toHaveLength(1); // rt is not in the default retry policy
    await s.released();
  });

  it('slow body: the body stalls longer than the read timeout', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.write('<Response><Say>'); // and then nothing
    });
    const f = failed(await client().fetchDocument({ url: `${s.origin}/v#rt=150`, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
    expect(f.error.message).toContain('the response body stalled for longer than the 150 ms read timeout');
    await s.released();
  });

  it('a body that trickles in forever is cut by the total time (#tt)', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      const t = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(t));
    });
    const started = performance.now();
    const f = failed(await client().fetchDocument({ url: `${s.origin}/v#rt=200&tt=300`, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
    expect(f.error.message).toContain('no complete answer within the 300 ms total time');
    expect(performance.now() - started).toBeLessThan(1000);
    await s.released();
  });

  it('a server that drops the connection mid-answer: DIDML_WEBHOOK_CONNECT, not retried (the app saw the request)', async () => {
    const s = await serve((req) => req.socket.destroy());
    const f = failed(await client().fetchDocument({ url: `${s.origin}/v`, method: 'POST', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_CONNECT');
    expect(f.error.message).toContain('the server closed the connection before a complete response');
    expect(s.received).toHaveLength(1);
  });

  it('#rp=rt retries failures after the request was sent', async () => {
    const s = await serve((req, res) => (s.received.length < 2 ? req.socket.destroy() : xml()(req, res)));
    const out = await client().fetchDocument({ url: `${s.origin}/v#rp=rt&rc=2`, method: 'POST', params: {} });
    expect(out.ok).toBe(true);
    expect(s.received).toHaveLength(2);
  });

  it('the caller cancels: DIDML_WEBHOOK_ABORTED, at once', async () => {
    const s = await serve(() => undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const f = failed(await client().fetchDocument({ url: `${s.origin}/v`, method: 'GET', params: {} }, ac.signal));
    expect(f.error.code).toBe('DIDML_WEBHOOK_ABORTED');
    expect(f.elapsedMs).toBeLessThan(1000);
    await s.released();
  });
});

describe('size limit', () => {
  it('an endless body fails as soon as it passes maxBytes, and the socket is closed', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      const chunk = `<!-- ${'x'.repeat(16 * 1024)} -->`;
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const started = performance.now();
    const f = failed(await client({ maxBytes: 64 * 1024 }).fetchDocument({ url: `${s.origin}/v`, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_TOO_LARGE');
    expect(f.error.message).toBe(
      `GET ${s.origin}/v: the response is larger than the 65536-byte limit: it sent more than that. Make the document smaller, for instance by splitting it with <Redirect>, or raise the limit (maxBytes).`,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    await s.released(); // before the client is closed: the socket was dropped, not pooled
  });

  it('a Content-Length over the limit fails before the body is read', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/xml', 'content-length': 100_000 });
      res.write('<Response>'); // the rest never comes
    });
    const f = failed(await client({ maxBytes: 1000 }).fetchDocument({ url: s.origin, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_TOO_LARGE');
    expect(f.error.message).toContain('it declares Content-Length 100000');
    await s.released();
  });

  it('a document of exactly maxBytes is accepted', async () => {
    const body = `<Response>${' '.repeat(990)}</Response>`;
    expect(Buffer.byteLength(body)).toBe(1011);
    const s = await serve(xml(body));
    const out = await client({ maxBytes: 1011 }).fetchDocument({ url: s.origin, method: 'GET', params: {} });
    expect(out.ok && out.document.body).toBe(body);
  });
});

describe('redirects', () => {
  it('302 turns POST into GET at the new location, signed for that URL', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/old') return res.writeHead(302, { location: '/new?from=old' }).end();
      xml()(req, res);
    });
    const out = await client({ authToken: 'tok' }).fetchDocument({ url: `${s.origin}/old`, method: 'POST', params: { CallSid: 'CA1' } });
    expect(out.ok && out.document.url).toBe(`${s.origin}/new?from=old`);
    expect(s.received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/old', 'CallSid=CA1'],
      ['GET', '/new?from=old', ''],
    ]);
    const hop = s.received[1]!;
    expect(validateSignature('tok', String(hop.headers['x-twilio-signature']), `${s.origin}/new?from=old`, {})).toBe(true);
  });

  it('a failure after a redirect names the hop that failed, with its method', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/old') return res.writeHead(302, { location: '/gone' }).end();
      res.writeHead(404).end();
    });
    const f = failed(await client().fetchDocument({ url: `${s.origin}/old`, method: 'POST', params: {} }));
    expect(f.url).toBe(`${s.origin}/gone`);
    expect(f.error.message).toMatch(new RegExp(`^GET ${s.origin}/gone: the app answered 404\\.`));
  });

  it('307 repeats the POST and its body', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/old') return res.writeHead(307, { location: `${s.origin}/new` }).end();
      xml()(req, res);
    });
    const out = await client().fetchDocument({ url: `${s.origin}/old`, method: 'POST', params: { Digits: '5' } });
    expect(out.ok).toBe(true);
    expect(s.received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/old', 'Digits=5'],
      ['POST', '/new', 'Digits=5'],
    ]);
  });

  it('a redirect loop: DIDML_WEBHOOK_REDIRECTS after maxRedirects hops', async () => {
    const s = await serve((req, res) => {
      res.writeHead(301, { location: req.url === '/a' ? '/b' : '/a' }).end();
    });
    const f = failed(await client({ maxRedirects: 3 }).fetchDocument({ url: `${s.origin}/a`, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_REDIRECTS');
    expect(s.received.map((r) => r.url)).toEqual(['/a', '/b', '/a', '/b']);
    expect(f.error.message).toBe(
      `GET ${s.origin}/b: more than 3 redirects in a row, the last to ${s.origin}/a. Point the webhook at the final URL instead of one that redirects, and look for a redirect loop.`,
    );
  });

  it('308, which Twilio does not follow, is a status failure', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(308, { location: '/x' }).end();
    });
    const f = failed(await client().fetchDocument({ url: s.origin, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_STATUS');
    expect(f.status).toBe(308);
    expect(s.received).toHaveLength(1);
  });

  it('never follows an http redirect to a file: URL', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    });
    const f = failed(await client().fetchDocument({ url: s.origin, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_URL_FORBIDDEN');
  });
});

describe('bad URLs', () => {
  it.each(['/relative/voice', 'ftp://h/voice', 'not a url'])('%s: DIDML_WEBHOOK_URL (Twilio 11100)', async (url) => {
    const f = failed(await client().fetchDocument({ url, method: 'GET', params: {} }));
    expect(f.error.code).toBe('DIDML_WEBHOOK_URL');
    expect(f.error.twilioCode).toBe(11100);
  });

  it('reports clamped overrides through onWarning', async () => {
    const s = await serve(xml());
    const warnings: string[] = [];
    await client({ onWarning: (w) => warnings.push(w) }).fetchDocument({ url: `${s.origin}/v#ct=20000`, method: 'GET', params: {} });
    expect(warnings).toEqual([`${s.origin}/v: ct=20000 is outside 100–10000; 10000 is used`]);
  });
});
