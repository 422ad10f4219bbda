// GET /metrics on `didml serve` (mock backend): calls run through POST /calls and through
// Twilio's Calls API (the real twilio client) against a real app on loopback, then the
// exposition text is scraped over HTTP, parsed, and each metric checked for what those calls did.
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createLogger } from '../../src/log.js';
import { stateErrors } from '../../src/metrics.js';
import { startApp, xml, type Route, type TestApp } from '../runtime/support.js';
import { realClock } from '../../src/clock.js';
import { createMockAdapter } from '../../src/telephony/mock/index.js';
import { CallService } from '../../src/calls/service.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { silentLogger } from '../../src/log.js';

const ACCOUNT = 'AC' + '5678abcd'.repeat(4);
const TOKEN = 'metrics-test-token';
const BUSY = '+14155550111';
const ANSWERS = '+14155550123';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format (what prom-client writes): `name{a="x",b="y"} value`, comments skipped. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  rt: Runtime;
  app: TestApp;
  client: twilio.Twilio;
  scrape(headers?: Record<string, string>): Promise<Sample[]>;
  script(body: unknown): Promise<Record<string, unknown>>;
  until(sid: string, ok: (status: string) => boolean): Promise<void>;
}

async function setup(routes: Record<string, Route>, config: (app: TestApp) => Record<string, unknown> = () => ({}), adapter?: ReturnType<typeof createMockAdapter>): Promise<Setup> {
  const app = await startApp(routes);
  cleanups.push(() => app.close());
  const rt = await startRuntime(
    checkConfig({
      http: { port: 0 },
      app: { url: app.url('/voice') },
      accountSid: ACCOUNT,
      authToken: TOKEN,
      mock: { callees: { [BUSY]: { response: 'busy' }, '*': { ring: 0.1 } } },
      ...config(app),
    }),
    { log: createLogger({ level: 'error', write: () => undefined }), ...(adapter ? { adapter } : {}) },
  );
  cleanups.push(() => rt.close());
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  return {
    rt,
    app,
    client,
    async scrape(headers = {}) {
      const res = await fetch(`${rt.url}/metrics`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(await res.text());
    },
    async script(body) {
      const res = await fetch(`${rt.url}/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    },
    async until(sid, ok) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const call = await client.calls(sid).fetch();
        if (ok(call.status)) return;
        if (Date.now() > deadline) throw new Error(`call ${sid} is still ${call.status}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

describe('GET /metrics', () => {
  it('counts a scripted call: started and ended by status, a failed action with its codes, the SIP responses of its Dial', async () => {
    const s = await setup({
      '/voice': xml('<Dial action="/after"><Number>+14155550111</Number><Number>+14155550122</Number></Dial>'),
      '/after': { status: 500, body: 'broken' },
    });
    const before = await s.scrape();
    expect(total(before, 'didml_calls_started_total')).toBe(0);
    const r = await s.script({ callees: { '+14155550111': { response: 'busy' }, '+14155550122': { response: 404 } } });
    expect(r['status']).toBe('completed');

    const m = await s.scrape();
    expect(total(m, 'didml_calls_started_total', { direction: 'inbound' })).toBe(1);
    expect(total(m, 'didml_calls_ended_total', { direction: 'inbound', status: 'completed' })).toBe(1);
    expect(total(m, 'didml_calls_active')).toBe(0);
    // Both INVITEs of the Dial got their final response.
    expect(total(m, 'didml_sip_final_responses_total', { code: '486', request: 'dial' })).toBe(1);
    expect(total(m, 'didml_sip_final_responses_total', { code: '404', request: 'dial' })).toBe(1);
    // The document, then the action that answered 500 (Twilio 11200), with no fallback.
    expect(total(m, 'didml_webhook_duration_seconds_count', { kind: 'document' })).toBe(1);
    expect(total(m, 'didml_webhook_duration_seconds_count', { kind: 'action' })).toBe(1);
    expect(total(m, 'didml_webhook_failures_total', { kind: 'action', code: 'DIDML_WEBHOOK_STATUS', twilio_code: '11200' })).toBe(1);
    expect(total(m, 'didml_webhook_failures_total', { kind: 'document' })).toBe(0);
    expect(total(m, 'didml_call_errors_total', { code: 'DIDML_WEBHOOK_STATUS', twilio_code: '11200' })).toBe(1);
    // The histogram is cumulative: +Inf holds every request, and the sum is their seconds.
    expect(total(m, 'didml_webhook_duration_seconds_bucket', { kind: 'document', le: '+Inf' })).toBe(1);
    expect(total(m, 'didml_webhook_duration_seconds_sum', { kind: 'document' })).toBeGreaterThan(0);
  });

  it('labels the fallback request, and counts a document that does not parse (12100) as a call error, not a webhook failure', async () => {
    const s = await setup(
      { '/voice': { status: 200, body: '<Response><Say>unclosed</Response>', contentType: 'text/xml' }, '/fallback': xml('<Hangup/>') },
      (app) => ({ app: { url: app.url('/voice'), fallbackUrl: app.url('/fallback'), dialect: 'twiml' } }),
    );
    await s.script({});
    const m = await s.scrape();
    expect(s.app.to('/fallback')).toHaveLength(1);
    expect(total(m, 'didml_webhook_duration_seconds_count', { kind: 'document' })).toBe(1);
    expect(total(m, 'didml_webhook_duration_seconds_count', { kind: 'fallback' })).toBe(1);
    expect(total(m, 'didml_webhook_failures_total')).toBe(0);
    expect(total(m, 'didml_call_errors_total', { code: 'DIDML_DOCUMENT_INVALID', twilio_code: '12100' })).toBe(1);
  });

  it('counts calls placed through the Calls API by status, the INVITE responses, a Dial of a live call and a failing status callback', async () => {
    const s = await setup({
      '/voice': xml(`<Dial><Number>${BUSY}</Number></Dial>`),
      '/status': { status: 503, body: 'down' },
    });
    const answered = await s.client.calls.create({ to: ANSWERS, from: '+14155550100', url: s.app.url('/voice'), statusCallback: s.app.url('/status') });
    const busy = await s.client.calls.create({ to: BUSY, from: '+14155550100', url: s.app.url('/voice') });
    await s.until(answered.sid, (st) => st === 'completed');
    await s.until(busy.sid, (st) => st === 'busy');
    await s.rt.calls.settled();

    const m = await s.scrape();
    expect(total(m, 'didml_calls_started_total', { direction: 'outbound-api' })).toBe(2);
    expect(total(m, 'didml_calls_ended_total', { direction: 'outbound-api', status: 'completed' })).toBe(1);
    expect(total(m, 'didml_calls_ended_total', { direction: 'outbound-api', status: 'busy' })).toBe(1);
    expect(total(m, 'didml_calls_active', { direction: 'outbound-api' })).toBe(0);
    // The placed calls' INVITEs: one answered, one busy; then the answered call's own <Dial> got a 486.
    expect(total(m, 'didml_sip_final_responses_total', { code: '200', request: 'outbound' })).toBe(1);
    expect(total(m, 'didml_sip_final_responses_total', { code: '486', request: 'outbound' })).toBe(1);
    expect(total(m, 'didml_sip_final_responses_total', { code: '486', request: 'dial' })).toBe(1);
    // The completed callback (the default event) answered 503.
    await expect.poll(async () => total(await s.scrape(), 'didml_webhook_failures_total', { kind: 'callback', code: 'DIDML_WEBHOOK_STATUS', twilio_code: '11200' })).toBe(1);
    expect(total(await s.scrape(), 'didml_webhook_duration_seconds_count', { kind: 'callback' })).toBe(1);
  });
  it('gauges the callers waiting in each queue, with a series of its own for the first metrics.queueLabels queues only', async () => {
    const s = await setup({ '/voice': xml('<Say>hi</Say>') }, () => ({ metrics: { queueLabels: 1 } }));
    const queued = (name: string) => s.client.calls.create({ to: ANSWERS, from: '+14155550100', twiml: `<Response><Enqueue>${name}</Enqueue></Response>` });
    const first = await queued('support');
    const second = await queued('sales');
    const third = await queued('sales');
    const sizes = async () => {
      const m = await s.scrape();
      return { support: total(m, 'didml_queue_size', { queue: 'support' }), other: total(m, 'didml_queue_size', { queue: '_other' }), sales: total(m, 'didml_queue_size', { queue: 'sales' }) };
    };
    await expect.poll(sizes).toEqual({ support: 1, other: 2, sales: 0 });
    await s.client.calls(second.sid).update({ status: 'completed' });
    await expect.poll(sizes).toEqual({ support: 1, other: 1, sales: 0 });
    for (const c of [first, third]) await s.client.calls(c.sid).update({ status: 'completed' });
    await expect.poll(sizes).toEqual({ support: 0, other: 0, sales: 0 });
    expect(total(await s.scrape(), 'didml_calls_active')).toBe(0);
  });

  it('serves the state store errors and Node\'s process metrics, with the didml_ prefix', async () => {
    const s = await setup({ '/voice': xml('<Hangup/>') });
    const before = total(await s.scrape(), 'didml_state_errors_total', { operation: 'write' });
    stateErrors.inc({ operation: 'write' });
    const m = await s.scrape();
    expect(total(m, 'didml_state_errors_total', { operation: 'write' })).toBe(before + 1);
    expect(m.some((x) => x.name === 'didml_process_cpu_user_seconds_total')).toBe(true);
    expect(m.some((x) => x.name === 'didml_nodejs_heap_size_used_bytes')).toBe(true);
    expect(m.every((x) => x.name.startsWith('didml_'))).toBe(true);
  });

  it('with metrics.authToken a scrape needs the bearer token: 401 without, 403 with another', async () => {
    const s = await setup({ '/voice': xml('<Hangup/>') }, () => ({ metrics: { authToken: 'scrape-secret' } }));
    const none = await fetch(`${s.rt.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { message: string }).message).toMatch(/metrics\.authToken/);
    const wrong = await fetch(`${s.rt.url}/metrics`, { headers: { authorization: 'Bearer guess' } });
    expect(wrong.status).toBe(403);
    const m = await s.scrape({ authorization: 'Bearer scrape-secret' });
    expect(m.some((x) => x.name === 'didml_calls_refused_total')).toBe(true);
    // /health stays open, as before.
    expect((await fetch(`${s.rt.url}/health`)).status).toBe(200);
  });

  it('metrics.enabled false: no /metrics (404), and calls run as before', async () => {
    const s = await setup({ '/voice': xml('<Say>hi</Say>') }, () => ({ metrics: { enabled: false } }));
    expect((await fetch(`${s.rt.url}/metrics`)).status).toBe(404);
    expect((await s.script({}))['status']).toBe('completed');
  });

  it('a bad metrics config names the key', () => {
    expect(() => checkConfig({ app: { url: 'http://127.0.0.1/' }, metrics: { queueLabels: -1 } })).toThrow(/metrics\.queueLabels/);
    expect(() => checkConfig({ app: { url: 'http://127.0.0.1/' }, metrics: { token: 'x' } })).toThrow(/metrics "token" is not a known key/);
  });
  it('counts a call that arrives on the backend: its <Dial> callee and <Refer> answered as the far ends said, on a live call', async () => {
    const adapter = createMockAdapter({ clock: realClock });
    const s = await setup({ '/voice': xml('<Dial timeout="5"><Sip>sip:agent@pbx.example.com</Sip></Dial><Refer><Sip>sip:queue@pbx.example.com</Sip></Refer>') }, () => ({}), adapter);
    const call = adapter.placeCall({ callees: { 'sip:agent@pbx.example.com': { response: 480 } }, refer: { response: 403 } });
    await call.leg.ended;
    await s.rt.calls.settled();
    const m = await s.scrape();
    expect(total(m, 'didml_calls_started_total', { direction: 'inbound' })).toBe(1);
    expect(total(m, 'didml_calls_ended_total', { direction: 'inbound', status: 'completed' })).toBe(1);
    expect(total(m, 'didml_sip_final_responses_total', { code: '480', request: 'dial' })).toBe(1);
    expect(total(m, 'didml_sip_final_responses_total', { code: '403', request: 'refer' })).toBe(1);
    expect(total(m, 'didml_sip_final_responses_total')).toBe(2);
  });

  it('counts an app that cannot be reached (DIDML_WEBHOOK_CONNECT, 11205) and calls refused at limits.maxConcurrentCalls', async () => {
    const s = await setup({ '/voice': xml('<Pause length="20"/>') }, () => ({ limits: { maxConcurrentCalls: 1 }, apps: { '+14155550199': { url: 'http://127.0.0.1:1/voice' } } }));
    await s.script({ to: '+14155550199' });
    let m = await s.scrape();
    expect(total(m, 'didml_webhook_failures_total', { kind: 'document', code: 'DIDML_WEBHOOK_CONNECT', twilio_code: '11205' })).toBe(1);
    expect(total(m, 'didml_calls_refused_total')).toBe(0);
    const live = await s.client.calls.create({ to: ANSWERS, from: '+14155550100', url: s.app.url('/voice') });
    await expect(s.client.calls.create({ to: ANSWERS, from: '+14155550100', url: s.app.url('/voice') })).rejects.toMatchObject({ status: 429 });
    m = await s.scrape();
    expect(total(m, 'didml_calls_refused_total')).toBe(1);
    expect(total(m, 'didml_calls_active', { direction: 'outbound-api' })).toBe(1);
    await s.client.calls(live.sid).update({ status: 'completed' });
  });
  it('a script POST /calls refuses (400) is no call: nothing is counted', async () => {
    const s = await setup({ '/voice': xml('<Say>hi</Say>') });
    const res = await fetch(`${s.rt.url}/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outbound: { to: ANSWERS }, from: '+14155550100' }) });
    expect(res.status).toBe(400);
    const m = await s.scrape();
    expect(total(m, 'didml_calls_started_total')).toBe(0);
    expect(total(m, 'didml_calls_ended_total')).toBe(0);
    expect(total(m, 'didml_calls_active')).toBe(0);
  });
  it('two runtimes in one process count their own calls apart, and both serve the process metrics once each', async () => {
    const a = await setup({ '/voice': xml('<Hangup/>') });
    const b = await setup({ '/voice': xml('<Hangup/>') });
    await a.script({});
    await a.script({});
    const [ma, mb] = [await a.scrape(), await b.scrape()];
    expect(total(ma, 'didml_calls_ended_total', { direction: 'inbound' })).toBe(2);
    expect(total(mb, 'didml_calls_ended_total', { direction: 'inbound' })).toBe(0);
    for (const m of [ma, mb]) expect(m.filter((x) => x.name === 'didml_process_start_time_seconds')).toHaveLength(1);
  });
  it('a hook that throws never reaches a call: the call runs to its end as without hooks', async () => {
    const app = await startApp({ '/voice': xml(`<Dial action="/after"><Number>${BUSY}</Number></Dial>`), '/after': xml('<Say>bye</Say>') });
    cleanups.push(() => app.close());
    const adapter = createMockAdapter({ clock: realClock, outbound: { callees: { [BUSY]: { response: 'busy' } } } });
    const webhooks = createWebhookClient({});
    const broken = () => {
      throw new Error('a listener bug');
    };
    const told: string[] = [];
    const calls = new CallService({
      apps: { '*': { url: app.url('/voice') } },
      adapter,
      webhooks,
      clock: realClock,
      log: silentLogger,
      accountSid: ACCOUNT,
      limits: {},
      maxDocumentBytes: 65536,
      keepEnded: 10,
      keepEndedSeconds: 60,
      hooks: { started: () => (told.push('started'), broken()), ended: () => (told.push('ended'), broken()), event: broken, sipFinal: () => (told.push('sip'), broken()) },
    });
    await calls.start();
    await adapter.listen((c) => calls.inbound(c));
    cleanups.push(async () => {
      await adapter.close();
      await calls.store.close();
      await webhooks.close();
    });
    const call = adapter.placeCall({ callees: { [BUSY]: { response: 'busy' } } });
    await call.leg.ended;
    await calls.settled();
    // The Dial's action ran after the hook threw on its 486, and the call ended as usual.
    expect(app.to('/after')).toHaveLength(1);
    expect(app.to('/after')[0]!.params['DialCallStatus']).toBe('busy');
    expect(told).toEqual(['started', 'sip', 'ended']);
    expect(calls.stats()).toMatchObject({ activeCalls: 0, callsEnded: 1 });
  });
});
