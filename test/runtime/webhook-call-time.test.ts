// A slow webhook costs call time: on Twilio the caller waits in silence while the app answers (or
// until the request times out), so in virtual time the request's real time passes on the call's
// clock too; durations, timeouts and what the caller hears line up. Requests answered within a
// second cost nothing (src/webhook/call-time.ts), so transcripts of quick apps stay reproducible.
import { afterEach, describe, expect, it } from 'vitest';
import { ofType, one, runApp, startApp, xml, type TestApp } from './support.js';
import { callTimeOf, UNCOUNTED_MS } from '../../src/webhook/call-time.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { latencyOf, withLatency } from '../../src/webhook/latency.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('the time a request takes passes on the call', () => {
  it('a request that times out (#rt=1500) costs the caller that long: the error and the message come after it, CallDuration includes it', async () => {
    app = await startApp({
      '/voice': xml('<Say>Please hold.</Say><Redirect>/stuck#rt=1500</Redirect>'),
      // Never answers: the request times out on the read.
      '/stuck': { raw: () => undefined },
      '/status': '',
    });
    const { summary, events } = await runApp({ app: { url: app.url('/voice'), statusCallback: app.url('/status') } });
    const [, stuck] = ofType(events, 'webhook');
    expect(stuck).toMatchObject({ error: 'DIDML_WEBHOOK_TIMEOUT' });
    expect(stuck!['elapsed']).toBeGreaterThanOrEqual(1500);
    // Stamped when the timeout happened, not when the request went out (right after the Say).
    const redirect = one(events, 'redirect');
    expect(stuck!.t - redirect.t).toBe(stuck!['elapsed']);
    const apology = ofType(events, 'say').at(-1)!;
    expect(apology['text']).toMatch(/application error/i);
    expect(apology.t).toBeGreaterThanOrEqual(stuck!.t);
    expect(summary.duration).toBeGreaterThanOrEqual(Math.round((stuck!.t) / 1000));
    expect(summary.duration * 1000).toBeGreaterThanOrEqual(apology.t);
    // The completed status callback's CallDuration is that duration, the wait included.
    expect(app.to('/status').at(-1)!.params).toMatchObject({ CallStatus: 'completed', CallDuration: String(summary.duration) });
  });

  it('a slow answer (1.2 s) delays what the caller hears next by that long', async () => {
    app = await startApp({
      '/voice': xml('<Gather numDigits="1" action="/slow"><Say>Press a key.</Say></Gather>'),
      '/slow': { body: xml('<Say>Thanks for waiting.</Say>'), delayMs: 1200 },
    });
    const { summary, events } = await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '1' }] } });
    const slow = ofType(events, 'webhook').find((w) => String(w['url']).endsWith('/slow'))!;
    expect(slow['elapsed']).toBeGreaterThanOrEqual(1200);
    const thanks = ofType(events, 'say').find((s) => s['text'] === 'Thanks for waiting.')!;
    expect(thanks.t).toBe(slow.t);
    const pressed = one(events, 'digits');
    expect(slow.t - pressed.t).toBeGreaterThanOrEqual(1200);
    expect(summary.duration * 1000).toBeGreaterThanOrEqual(thanks.t);
  });

  it('the caller hanging up while the app is slow ends the call then, not when the app answers', async () => {
    app = await startApp({ '/voice': { body: xml('<Say>Too late.</Say>'), delayMs: 2500 } });
    const { summary, events } = await runApp({ app: app.url('/voice'), script: { hangupAfter: 1 } });
    expect(summary.reason).toBe('caller hung up');
    expect(ofType(events, 'say')).toEqual([]);
    expect(summary.duration).toBe(1);
  });

  it('a request answered within a second costs nothing; longer ones count to the tenth of a second below', () => {
    const ok = (waitedMs: number) => callTimeOf({ ok: true, document: { url: 'u', status: 200, contentType: 'text/xml', body: '', elapsedMs: waitedMs, waitedMs } });
    // A folder or in-process app's request (no waitedMs) costs nothing, however long it took here.
    expect(callTimeOf({ ok: true, document: { url: 'app://ivr/', status: 200, contentType: 'text/xml', body: '', elapsedMs: 5000 } })).toBe(0);
    expect(ok(3)).toBe(0);
    expect(ok(UNCOUNTED_MS - 1)).toBe(0);
    expect(ok(1000)).toBe(1000);
    expect(ok(1599.9)).toBe(1500);
    expect(ok(15004)).toBe(15000);
  });
});

describe('a scripted latency (app.latency)', () => {
  it('is looked up by the path, without the query or #overrides; * for any other', () => {
    expect(latencyOf({ '/menu': 4, '*': 1 }, 'https://a.example.com/menu?x=1#rt=3000')).toBe(4);
    expect(latencyOf({ '/menu': 4, '*': 1 }, 'app://ivr/other')).toBe(1);
    expect(latencyOf({ '/menu': 4 }, 'app://ivr/other')).toBeUndefined();
  });

  it('adds its time to the request, and past the read timeout turns it into a timeout the app still saw', async () => {
    app = await startApp({ '/menu': xml('<Say>Balance.</Say>') });
    const client = withLatency(createWebhookClient(), { '/menu': 4 });
    try {
      const slow = await client.fetchDocument({ url: app.url('/menu'), method: 'POST', params: {} });
      expect(slow.ok && callTimeOf(slow)).toBe(4000);
      const late = await client.fetchDocument({ url: app.url('/menu') + '#rt=2000', method: 'POST', params: {} });
      expect(late.ok).toBe(false);
      expect(!late.ok && late.failure.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
      expect(!late.ok && late.failure.error.message).toMatch(/no response within the 2000 ms read timeout \(app\.latency makes it take 4 s\)/);
      expect(callTimeOf(late)).toBe(2000);
      expect(app.to('/menu')).toHaveLength(2);
    } finally {
      await client.close();
    }
  });
});
