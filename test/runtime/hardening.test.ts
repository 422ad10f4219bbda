// Hostile and broken apps, against real servers on loopback, beyond the plain failures of
// failures.test.ts: a name that does not resolve, an answer that stalls before or inside its body,
// a body that never ends, HTTP and <Redirect> loops, a document streamed past the size limit, an
// action that breaks mid-flow. Whatever happens the call ends in a defined way (the fallback URL,
// or else the application-error message and a hang-up), the status callback fires, and nothing is
// left behind: no virtual timer, no connection on the server, no socket or timer in the process.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../src/clock.js';
import { APPLICATION_ERROR, runCall } from '../../src/runtime/session.js';
import { createMockAdapter } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import type { WebhookClientOptions } from '../../src/webhook/types.js';
import { expectNoLeaks, resources } from '../webhook/support.js';
import { heard, one, ofType, runApp, startApp, xml, type Route, type TestApp } from './support.js';
import { startWorkerApp } from './worker-app.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A resolver that answers as getaddrinfo does for a name that does not exist, without asking anyone. */
const noSuchHost: LookupFunction = (hostname, _options, callback) =>
  process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 0));

// Answers written by hand. Each stops writing once the client has gone.
const stallBeforeHeaders: Route = { raw: () => undefined };
const stallInBody: Route = {
  raw: (res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.write('<?xml version="1.0"?><Response><Say>');
  },
};
/** A chunk every 20 ms, forever: never silent long enough for the read timeout. */
const trickleForever: Route = {
  raw: (res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.write('<Response><Say>');
    const tick = setInterval(() => res.write('la '), 20);
    res.on('close', () => clearInterval(tick));
  },
};
/** As fast as the socket takes it, forever. */
const floodForever: Route = {
  raw: (res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    const chunk = `<Say>${'x'.repeat(16 * 1024)}</Say>`;
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    res.write('<Response>');
    pump();
  },
};
/** A complete document of 80 KiB, chunked (no Content-Length to refuse it by). */
const chunkedTooLarge: Route = {
  raw: (res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.write('<Response>');
    for (let i = 0; i < 5; i++) res.write(`<Say>${'y'.repeat(16 * 1024)}</Say>`);
    res.end('</Response>');
  },
};
/** Headers and half a document, then the connection is cut. */
const resetMidBody: Route = {
  raw: (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': '200' });
    res.write('<Response><Say>Half a');
    setImmediate(() => res.socket?.destroy());
  },
};

interface Case {
  name: string;
  /** Routes of the hostile part of the app. */
  routes: (hostile: string) => Record<string, Route>;
  /** The URL that fails (relative to the app, or absolute). */
  failing: string;
  /** The URL the failure is reported against, when not the one requested (the last hop of a redirect loop). */
  reported?: string;
  client?: WebhookClientOptions;
  code: string;
  message: RegExp;
}

const FAST: WebhookClientOptions = { readTimeoutMs: 100, totalTimeoutMs: 400 };

const CASES: Case[] = [
  {
    name: 'a host name that does not resolve',
    routes: () => ({}),
    failing: 'http://does-not-exist.invalid/voice',
    client: { lookup: noSuchHost },
    code: 'DIDML_WEBHOOK_CONNECT',
    message: /does not resolve \(ENOTFOUND\).*2 attempts/,
  },
  { name: 'no headers before the read timeout', routes: (p) => ({ [p]: stallBeforeHeaders }), failing: '/voice', client: FAST, code: 'DIDML_WEBHOOK_TIMEOUT', message: /no response within the 100 ms read timeout/ },
  { name: 'a body that stalls', routes: (p) => ({ [p]: stallInBody }), failing: '/voice', client: FAST, code: 'DIDML_WEBHOOK_TIMEOUT', message: /body stalled for longer than the 100 ms/ },
  { name: 'a body that trickles forever', routes: (p) => ({ [p]: trickleForever }), failing: '/voice', client: FAST, code: 'DIDML_WEBHOOK_TIMEOUT', message: /within the 400 ms total time/ },
  { name: 'a body that floods forever', routes: (p) => ({ [p]: floodForever }), failing: '/voice', client: FAST, code: 'DIDML_WEBHOOK_TOO_LARGE', message: /65536-byte limit: it sent more/ },
  { name: 'a chunked document over the size limit', routes: (p) => ({ [p]: chunkedTooLarge }), failing: '/voice', code: 'DIDML_WEBHOOK_TOO_LARGE', message: /65536-byte limit: it sent more/ },
  {
    name: 'an HTTP redirect loop between two URLs',
    routes: (p) => ({ [p]: { status: 302, headers: { location: '/elsewhere' } }, '/elsewhere': { status: 302, headers: { location: p } } }),
    failing: '/voice',
    reported: '/elsewhere',
    code: 'DIDML_WEBHOOK_REDIRECTS',
    message: /more than 5 redirects in a row/,
  },
  { name: 'a connection cut in the middle of the body', routes: (p) => ({ [p]: resetMidBody }), failing: '/voice', code: 'DIDML_WEBHOOK_CONNECT', message: /closed the connection before a complete response/ },
];

const FALLBACK = 'We are having trouble, please call back later.';

async function callThrough(c: Case, where: 'voice' | 'action', fallback: Route) {
  const baseline = resources();
  // As the voice URL, or as the action of a Gather that the caller answers.
  const hostilePath = where === 'voice' ? '/voice' : '/menu';
  app = await startApp({
    ...(where === 'action' ? { '/voice': xml('<Gather numDigits="1" action="/menu"><Say>Press 1</Say></Gather>') } : {}),
    ...c.routes(hostilePath),
    '/fallback': fallback,
    '/status': '',
  });
  // An absolute failing URL (another host) is only ever the voice URL.
  const requested = c.failing.startsWith('http') ? c.failing : app.url(hostilePath);
  const failing = c.reported ? app.url(c.reported) : requested;
  const voice = where === 'voice' ? requested : app.url('/voice');
  const result = await runApp({
    app: { url: voice, fallbackUrl: app.url('/fallback'), statusCallback: app.url('/status') },
    ...(c.client ? { client: c.client } : {}),
    ...(where === 'action' ? { script: { caller: [{ digits: '1' }] } } : {}),
  });
  const requests = { fallback: app.to('/fallback'), status: app.to('/status') };
  await app.close(); // fails the test if the runtime left a connection open
  app = undefined;
  await expectNoLeaks(baseline);
  return { ...result, requests, failing };
}

describe.each(CASES)('$name', (c) => {
  const wheres = c.failing.startsWith('http') ? (['voice'] as const) : (['voice', 'action'] as const);

  it.each(wheres)('as the %s URL: the fallback takes over, the status callback fires, nothing is left behind', async (where) => {
    const { summary, events, requests, failing } = await callThrough(c, where, xml(`<Say>${FALLBACK}</Say>`));
    expect(summary.errors).toEqual([{ code: c.code, twilioCode: expect.any(Number), message: expect.stringMatching(c.message), url: failing }]);
    expect(requests.fallback).toHaveLength(1);
    expect(requests.fallback[0]!.params).toMatchObject({ ErrorCode: String(summary.errors[0]!.twilioCode), ErrorUrl: failing });
    expect(heard(events)).toEqual([...(where === 'action' ? ['Press 1'] : []), FALLBACK]);
    expect(summary).toMatchObject({ status: 'completed', reason: 'the document ran out of verbs' });
    expect(requests.status.map((r) => [r.params['StatusCallbackEvent'], r.params['CallStatus']])).toEqual([['completed', 'completed']]);
  });

  it.each(wheres)('as the %s URL, with a failing fallback: the application error, a hang-up, both failures listed', async (where) => {
    const { summary, events, requests, failing } = await callThrough(c, where, { status: 500, body: 'down too', contentType: 'text/plain' });
    expect(summary.errors.map((e) => e.code)).toEqual([c.code, 'DIDML_WEBHOOK_STATUS']);
    expect(summary.errors[0]).toMatchObject({ url: failing, message: expect.stringMatching(c.message) });
    expect(heard(events)).toEqual([...(where === 'action' ? ['Press 1'] : []), APPLICATION_ERROR]);
    expect(one(events, 'hangup')).toMatchObject({ by: 'app' });
    expect(summary.status).toBe('completed');
    expect(requests.status.map((r) => r.params['StatusCallbackEvent'])).toEqual(['completed']);
  });
});

describe('a <Redirect> loop between two documents', () => {
  it('ends at the redirect limit with the application error, without the fallback; the status callback fires', async () => {
    const baseline = resources();
    app = await startApp({ '/a': xml('<Redirect>/b</Redirect>'), '/b': xml('<Redirect method="GET">/a</Redirect>'), '/fallback': xml('<Say>no</Say>'), '/status': '' });
    const { summary, events } = await runApp({ app: { url: app.url('/a'), fallbackUrl: app.url('/fallback'), statusCallback: app.url('/status') }, limits: { maxRedirects: 6 } });
    expect(summary.errors).toEqual([{ code: 'DIDML_LIMIT', message: expect.stringMatching(/^7 documents in a row did nothing but redirect/) }]);
    expect(summary).toMatchObject({ reason: 'redirect loop', documents: 7, status: 'completed' });
    expect(ofType(events, 'webhook')).toHaveLength(7);
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(app.to('/fallback')).toHaveLength(0);
    expect(app.to('/status').map((r) => r.params['CallStatus'])).toEqual(['completed']);
    await app.close();
    app = undefined;
    await expectNoLeaks(baseline);
  });

  it('that takes call time each round ends at the document limit', async () => {
    app = await startApp({ '/a': xml('<Pause length="1"/><Redirect>/b</Redirect>'), '/b': xml('<Say>again</Say><Redirect>/a</Redirect>'), '/status': '' });
    const { summary, events, clock } = await runApp({ app: { url: app.url('/a'), statusCallback: app.url('/status') }, limits: { maxDocuments: 10 } });
    expect(summary.errors).toEqual([{ code: 'DIDML_LIMIT', message: 'the call fetched more than 10 documents' }]);
    expect(summary.documents).toBe(11);
    expect(heard(events)).toEqual([...Array(5).fill('again'), APPLICATION_ERROR]);
    expect(clock.pendingTimers).toBe(0);
    expect(app.to('/status')).toHaveLength(1);
  });
});

/** Name servers from /etc/resolv.conf; a name is safe to look up only when all of them are on this machine. */
function localResolverOnly(): { ok: boolean; why: string } {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return { ok: false, why: 'no /etc/resolv.conf to check' };
  }
  const servers = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!);
  const remote = servers.filter((s) => !(isIP(s) === 4 ? s.startsWith('127.') : s === '::1'));
  return remote.length === 0 && servers.length > 0
    ? { ok: true, why: `name servers on loopback: ${servers.join(', ')}` }
    : { ok: false, why: `skipped: the resolver would ask ${remote.join(', ') || 'nobody'}, off this machine` };
}

describe('the system resolver', () => {
  const local = localResolverOnly();
  it.skipIf(!local.ok)(`a .invalid host (RFC 6761, never resolves) fails as a connect failure (${local.why})`, async () => {
    const { summary, events } = await runApp({ app: 'http://does-not-exist.invalid/voice' });
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_WEBHOOK_CONNECT', message: expect.stringMatching(/does not resolve/) })]);
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
  });
});

describe('a runtime too busy to read', () => {
  it('an answer (or a connection) that arrived while the process was busy past the timeout is taken, not reported as a timeout', async () => {
    // The app answers at once from its own thread; this thread is blocked for 3x the read timeout
    // right after the request went out, so the answer waits on the socket while the timer expires.
    const worker = await startWorkerApp(`return { body: '<Response><Say>On time</Say></Response>' }`);
    const client = createWebhookClient({ readTimeoutMs: 100 });
    const block = () => {
      setImmediate(() => {
        const until = performance.now() + 300;
        while (performance.now() < until);
      });
    };
    try {
      subscribe('undici:client:sendHeaders', block);
      const out = await client.fetchDocument({ url: `${worker.origin}/voice`, method: 'GET', params: {} });
      unsubscribe('undici:client:sendHeaders', block);
      expect(out.ok ? out.document.body : out.failure.error.message).toContain('On time');
      // The same for a connection that completes while the process is busy past the connect timeout.
      // The name resolves in a check phase, the connect starts at once, then the thread is blocked.
      const busyLookup: LookupFunction = (_host, options, callback) =>
        setImmediate(() => {
          if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
          else callback(null, '127.0.0.1', 4);
          const until = performance.now() + 300;
          while (performance.now() < until);
        });
      const fresh = createWebhookClient({ connectTimeoutMs: 100, readTimeoutMs: 1000, lookup: busyLookup });
      const connected = await fresh.fetchDocument({ url: worker.origin.replace('127.0.0.1', 'app.test') + '/voice', method: 'GET', params: {} });
      await fresh.close();
      expect(connected.ok ? connected.document.body : connected.failure.error.message).toContain('On time');
      // And a server that is really silent still times out.
      const silent = await startWorkerApp(`return 'hang'`);
      const late = await client.fetchDocument({ url: `${silent.origin}/voice`, method: 'GET', params: {} });
      expect(!late.ok && late.failure.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
      await client.close();
      let open = (await silent.stats()).open;
      for (let i = 0; i < 100 && open > 0; i++) open = await new Promise((r) => setTimeout(r, 5)).then(async () => (await silent.stats()).open);
      expect(open, 'connections left open on the silent app').toBe(0);
      await silent.close();
    } finally {
      unsubscribe('undici:client:sendHeaders', block);
      await client.close();
      await worker.close();
    }
  });
});

describe('closing the webhook client', () => {
  it('a status callback that never answers held the shutdown for its whole request time; now it is cancelled after the grace and reported', async () => {
    app = await startApp({ '/voice': xml('<Say>Hi</Say>'), '/status': stallBeforeHeaders });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), statusCallback: app.url('/status') }, client: { closeGraceMs: 100 } });
    expect(summary.errors).toEqual([]);
    expect(app.to('/status')).toHaveLength(1);
    const cancelled = ofType(events, 'error');
    expect(cancelled).toEqual([
      expect.objectContaining({ code: 'DIDML_WEBHOOK_ABORTED', message: expect.stringMatching(/^callback to .*\/status failed: .*gave up after waiting 100 ms/) }),
    ]);
  });
});

describe('the caller hangs up while the app is slow', () => {
  it('the request in flight is cancelled, its socket closed, the call ends as canceled and the status callback says so', async () => {
    const baseline = resources();
    app = await startApp({ '/voice': stallBeforeHeaders, '/status': '' });
    const adapter = createMockAdapter({ clock: realClock });
    const webhooks = createWebhookClient({ readTimeoutMs: 10_000 });
    const call = adapter.placeCall({ hangupAfter: 0.2 });
    const summary = await runCall(call, {
      app: { url: app.url('/voice'), statusCallback: app.url('/status') },
      webhooks,
      clock: realClock,
      onEvent: ({ t: _t, ...event }) => void call.leg.log(event),
    });
    await webhooks.close();
    await adapter.close();
    const events = [...call.leg.transcript];
    expect(summary).toMatchObject({ status: 'canceled', reason: 'caller hung up', errors: [] });
    expect(one(events, 'webhook')).toMatchObject({ url: app.url('/voice'), error: 'DIDML_WEBHOOK_ABORTED' });
    expect(one(events, 'hangup')).toMatchObject({ by: 'caller' });
    expect(app.to('/status').map((r) => r.params['CallStatus'])).toEqual(['canceled']);
    await app.close();
    app = undefined;
    await expectNoLeaks(baseline);
  });
});
