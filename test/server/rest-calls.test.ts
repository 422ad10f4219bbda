// Twilio's Calls API on `didml serve` (mock backend, wall clock), driven by the real twilio
// helper library with `client.api.baseUrl` pointed at didml, and by plain HTTP where a client
// would never send such a request. Every answer is checked against Twilio's own schema of the
// resource (grammar/rest/calls.json, extracted from Twilio's OpenAPI description).
// https://www.twilio.com/docs/voice/api/call-resource
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createLogger } from '../../src/log.js';
import { startApp, xml, type Route, type TestApp } from '../runtime/support.js';

const ACCOUNT = 'AC' + '1234abcd'.repeat(4);
const TOKEN = 'rest-test-token';
const root = join(import.meta.dirname, '../..');

const ajv = new Ajv({ allErrors: true, strict: false }).addSchema(JSON.parse(readFileSync(join(root, 'grammar/rest/calls.json'), 'utf8')) as object);
const callSchema = ajv.getSchema('https://didml.dev/schema/rest/calls.json#/definitions/api.v2010.account.call')!;
const listSchema = ajv.getSchema('https://didml.dev/schema/rest/calls.json#/definitions/listCallResponse')!;

/** Asserts that `body` is a Call resource as Twilio's schema describes it, and returns it. */
function asCall(body: unknown): Record<string, unknown> {
  expect(callSchema(body), JSON.stringify(callSchema.errors)).toBe(true);
  return body as Record<string, unknown>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  rt: Runtime;
  app: TestApp;
  client: twilio.Twilio;
  logs: Record<string, unknown>[];
  /** Plain HTTP against the API, with the right credentials unless told otherwise. */
  raw(path: string, init?: { method?: string; form?: Record<string, string | string[]>; body?: string; headers?: Record<string, string>; auth?: string | null }): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Resolves once the call has the status (polls; bounded). */
  until(sid: string, status: string | ((s: string) => boolean)): Promise<Record<string, unknown>>;
}

async function setup(routes: Record<string, Route>, config: Record<string, unknown> = {}): Promise<Setup> {
  const app = await startApp(routes);
  cleanups.push(() => app.close());
  const logs: Record<string, unknown>[] = [];
  const rt = await startRuntime(
    checkConfig({ http: { port: 0 }, app: { url: app.url('/voice') }, accountSid: ACCOUNT, authToken: TOKEN, mock: { callees: { '*': { ring: 0.2 } } }, ...config }),
    { log: createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) }) },
  );
  cleanups.push(() => rt.close());
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  const base = `/2010-04-01/Accounts/${ACCOUNT}`;
  const raw: Setup['raw'] = async (path, init = {}) => {
    const auth = init.auth === undefined ? `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}` : init.auth;
    const form = init.form && new URLSearchParams(Object.entries(init.form).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])));
    const res = await fetch(`${rt.url}${path.startsWith('/') ? path : `${base}/${path}`}`, {
      method: init.method ?? (form || init.body ? 'POST' : 'GET'),
      headers: { ...(auth ? { authorization: auth } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers },
      ...(form ? { body: form.toString() } : init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const until: Setup['until'] = async (sid, status) => {
    const ok = typeof status === 'string' ? (s: string) => s === status : status;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await raw(`Calls/${sid}.json`);
      if (ok(String(r.body['status']))) return r.body;
      if (Date.now() > deadline) throw new Error(`call ${sid} is still ${String(r.body['status'])}`);
      await new Promise((ok) => setTimeout(ok, 20));
    }
  };
  return { rt, app, client, logs, raw, until };
}

describe('creating a call (twilio client)', () => {
  it('answers 201 queued with the call, rings the callee, requests the Url with outbound-api, and reports the events asked for', async () => {
    const s = await setup({ '/reminder': xml('<Say>Your appointment is tomorrow at nine.</Say>'), '/status': '' });
    const call = await s.client.calls.create({
      to: '+14155550123',
      from: '+14155550100',
      url: s.app.url('/reminder'),
      statusCallback: s.app.url('/status'),
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    expect(call).toMatchObject({ status: 'queued', direction: 'outbound-api', to: '+14155550123', from: '+14155550100', accountSid: ACCOUNT, apiVersion: '2010-04-01' });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.uri).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Calls/${call.sid}.json`);
    const done = asCall(await s.until(call.sid, 'completed'));
    expect(done).toMatchObject({ direction: 'outbound-api', to_formatted: '(415) 555-0123', answered_by: null });
    expect(Number(done['duration'])).toBeGreaterThanOrEqual(0);
    expect(done['start_time']).toMatch(/\+0000$/);
    const voice = s.app.to('/reminder')[0]!.params;
    expect(voice).toMatchObject({ CallSid: call.sid, AccountSid: ACCOUNT, Direction: 'outbound-api', From: '+14155550100', To: '+14155550123', CallStatus: 'in-progress' });
    // Status callbacks are fire-and-forget: they reach the app a moment after the call's end.
    await waitFor(() => s.app.to('/status').length === 4);
    expect(s.app.to('/status').map((r) => r.params['CallStatus'])).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    // The helper library's own fetch reads it the same way.
    expect((await s.client.calls(call.sid).fetch()).status).toBe('completed');
  });

  it('runs inline Twiml, and a callee that is busy ends the call busy with no request to the app', async () => {
    const s = await setup({ '/voice': xml('<Say>never</Say>') }, { mock: { callees: { '+14155550111': { response: 'busy' }, '*': { ring: 0 } } } });
    const inline = await s.client.calls.create({ to: '+14155550123', from: '+14155550100', twiml: '<Response><Say>Hello from inline TwiML</Say></Response>' });
    const busy = await s.client.calls.create({ to: '+14155550111', from: '+14155550100', url: s.app.url('/voice') });
    expect((await s.until(inline.sid, 'completed'))['status']).toBe('completed');
    expect((await s.until(busy.sid, 'busy'))['duration']).toBe('0');
    expect(s.app.requests).toEqual([]);
    const callId = (await s.rt.calls.get(inline.sid))!.callId;
    const said = s.logs.find((l) => l['msg'] === 'say' && l['callId'] === callId);
    expect(said?.['text']).toBe('Hello from inline TwiML');
  });

  it('answering machine detection on the mock: AnsweredBy to the app and answered_by on the call', async () => {
    const s = await setup({ '/voice': xml('<Hangup/>') }, { mock: { callees: { '*': { ring: 0, answeredBy: 'machine_start' } } } });
    const call = await s.client.calls.create({ to: '+14155550123', from: '+14155550100', url: s.app.url('/voice'), machineDetection: 'Enable', machineDetectionTimeout: 5 });
    const done = await s.until(call.sid, 'completed');
    expect(done['answered_by']).toBe('machine_start');
    expect(s.app.to('/voice')[0]!.params['AnsweredBy']).toBe('machine_start');
  });

  it('a sip: To with X- headers and digest credentials, and client: targets', async () => {
    const s = await setup({ '/voice': xml('<Hangup/>') }, { mock: { callees: { 'sip:agent@pbx.example.com': { ring: 0, requireAuth: { username: 'u', password: 'p' } }, '*': { ring: 0 } } } });
    const sip = await s.client.calls.create({ to: 'sip:agent@pbx.example.com?X-Campaign=spring', from: '+14155550100', url: s.app.url('/voice'), sipAuthUsername: 'u', sipAuthPassword: 'p' });
    const client = await s.client.calls.create({ to: 'client:alice', from: '+14155550100', url: s.app.url('/voice') });
    expect((await s.until(sip.sid, 'completed'))['to']).toBe('sip:agent@pbx.example.com?X-Campaign=spring');
    await s.until(client.sid, 'completed');
    const outbound = s.logs.filter((l) => l['msg'] === 'outbound');
    expect(outbound.map((l) => l['target'])).toEqual(
      expect.arrayContaining([
        { kind: 'sip', uri: 'sip:agent@pbx.example.com', headers: { 'X-Campaign': 'spring' }, username: 'u' },
        { kind: 'client', identity: 'alice' },
      ]),
    );
  });
});

describe('what a placed call does with the rest of its parameters', () => {
  it('Record reports the recording (RecordingSource OutboundAPI); SendDigits goes before the app; FallbackUrl takes over a failing Url; TimeLimit ends it', async () => {
    const s = await setup(
      { '/fails': { status: 500, body: 'oops' }, '/fallback': xml('<Pause length="30"/>'), '/rec': '' },
      { mock: { callees: { '*': { ring: 0 } } } },
    );
    const call = await s.client.calls.create({
      to: '+14155550123',
      from: '+14155550100',
      url: s.app.url('/fails'),
      fallbackUrl: s.app.url('/fallback'),
      record: true,
      recordingChannels: 'dual',
      recordingStatusCallback: s.app.url('/rec'),
      sendDigits: '1234#',
      timeLimit: 3,
    });
    const done = await s.until(call.sid, 'completed');
    // TimeLimit counts from the answer: 3 s of a 30 s <Pause>.
    expect(Number(done['duration'])).toBeGreaterThanOrEqual(3);
    expect(Number(done['duration'])).toBeLessThan(10);
    await waitFor(() => s.app.to('/rec').length === 1);
    expect(s.app.to('/fallback')[0]!.params).toMatchObject({ ErrorCode: '11200', ErrorUrl: s.app.url('/fails'), Direction: 'outbound-api' });
    expect(s.app.to('/rec')[0]!.params).toMatchObject({ CallSid: call.sid, RecordingSource: 'OutboundAPI', RecordingStatus: 'completed', RecordingChannels: '2' });
    const callId = (await s.rt.calls.get(call.sid))!.callId;
    const mine = s.logs.filter((l) => l['callId'] === callId).map((l) => l['msg']);
    expect(mine.indexOf('send-digits')).toBeLessThan(mine.indexOf('call-recording-stop'));
    expect(s.logs.find((l) => l['msg'] === 'send-digits' && l['callId'] === callId)?.['digits']).toBe('1234#');
  });
});

describe('fetching and listing', () => {
  it('lists the newest first with Status, To and StartTime filters, and pages that the client follows', async () => {
    const s = await setup({ '/voice': xml('<Hangup/>') }, { mock: { callees: { '*': { ring: 0 }, '+14155550111': { response: 'busy' } } } });
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push((await s.client.calls.create({ to: i === 4 ? '+14155550111' : '+14155550123', from: '+14155550100', url: s.app.url('/voice') })).sid);
    await s.until(sids[4]!, 'busy');
    for (const sid of sids.slice(0, 4)) await s.until(sid, 'completed');

    const page = await s.raw('Calls.json?PageSize=2');
    expect(listSchema(page.body), JSON.stringify(listSchema.errors)).toBe(true);
    for (const c of page.body['calls'] as unknown[]) asCall(c);
    expect(page.body).toMatchObject({ page: 0, page_size: 2, start: 0, end: 1, previous_page_uri: null });
    expect(String(page.body['next_page_uri'])).toMatch(new RegExp(`^/2010-04-01/Accounts/${ACCOUNT}/Calls\\.json\\?PageSize=2&Page=1&PageToken=PACA`));
    // twilio-node follows next_page_uri to the end.
    const all = await s.client.calls.list({ pageSize: 2 });
    expect(all.map((c) => c.sid)).toEqual([...sids].reverse());
    expect((await s.client.calls.list({ status: 'busy' })).map((c) => c.sid)).toEqual([sids[4]]);
    expect((await s.client.calls.list({ to: '+14155550123', limit: 2 })).map((c) => c.sid)).toEqual([sids[3], sids[2]]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await s.client.calls.list({ startTimeAfter: new Date(Date.now() - 60_000) })).toHaveLength(5);
    expect(await s.client.calls.list({ startTimeBefore: new Date(Date.now() - 3_600_000) })).toHaveLength(0);
    expect((await s.raw(`Calls.json?StartTime=${today}`)).body['calls']).toHaveLength(5);
    expect((await s.raw('Calls.json?PageToken=PAnope')).body).toMatchObject({ status: 400, code: 21481 });
  });

  it('404 with 20404 for a call it does not know, and a deleted record is gone; a live one cannot be deleted', async () => {
    const s = await setup({ '/voice': xml('<Pause length="30"/>') }, { mock: { callees: { '*': { ring: 0 } } } });
    const missing = await s.raw(`Calls/CA${'0'.repeat(32)}.json`);
    expect(missing).toEqual({ status: 404, body: { code: 20404, message: `The requested resource /2010-04-01/Accounts/${ACCOUNT}/Calls/CA${'0'.repeat(32)}.json was not found`, more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 } });
    const call = await s.client.calls.create({ to: '+14155550123', from: '+14155550100', url: s.app.url('/voice') });
    await s.until(call.sid, 'in-progress');
    await expect(s.client.calls(call.sid).remove()).rejects.toMatchObject({ status: 400, code: 20009 });
    await s.client.calls(call.sid).update({ status: 'completed' });
    await s.until(call.sid, 'completed');
    expect(await s.client.calls(call.sid).remove()).toBe(true);
    expect((await s.raw(`Calls/${call.sid}.json`)).status).toBe(404);
  });

  it('keeps ended calls for calls.keepEnded at most', async () => {
    const s = await setup({ '/voice': xml('<Hangup/>') }, { calls: { keepEnded: 2 }, mock: { callees: { '*': { ring: 0 } } } });
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) {
      sids.push((await s.client.calls.create({ to: '+14155550123', from: '+14155550100', url: s.app.url('/voice') })).sid);
      await s.until(sids[i]!, 'completed');
    }
    expect((await s.client.calls.list()).map((c) => c.sid)).toEqual([sids[2], sids[1]]);
    expect((await s.raw(`Calls/${sids[0]}.json`)).status).toBe(404);
  });
});

describe('steering a live call', () => {
  it('Twiml on a call in a 40 s <Pause> runs at once; Url mid-<Gather> runs without the gather\'s action; Status=completed hangs up', async () => {
    const s = await setup({
      '/voice': xml('<Pause length="40"/><Say>not reached</Say>'),
      '/menu': xml('<Gather action="/gathered" timeout="30"><Say>Press a key</Say></Gather>'),
      '/gathered': xml('<Say>never</Say>'),
      '/agent': xml('<Pause length="40"/>'),
    }, { mock: { callees: { '*': { ring: 0 } } } });
    const call = await s.client.calls.create({ to: '+14155550123', from: '+14155550100', url: s.app.url('/voice') });
    await s.until(call.sid, 'in-progress');
    const started = Date.now();
    const updated = await s.client.calls(call.sid).update({ twiml: `<Response><Redirect>${s.app.url('/menu')}</Redirect></Response>` });
    expect(updated.status).toBe('in-progress');
    await waitFor(() => s.app.to('/menu').length === 1);
    await s.client.calls(call.sid).update({ url: s.app.url('/agent'), method: 'GET' });
    await waitFor(() => s.app.to('/agent').length === 1);
    expect(s.app.to('/agent')[0]!.method).toBe('GET');
    const done = asCall(await s.client.calls(call.sid).update({ status: 'completed' }).then(() => s.until(call.sid, 'completed')));
    // The 40 s pause did not run out: the call ended when it was told to (wall clock).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(s.app.to('/gathered')).toEqual([]);
    expect(s.logs.some((l) => l['msg'] === 'say' && l['text'] === 'not reached')).toBe(false);
    expect(done['status']).toBe('completed');
  });

  it('an update may move the StatusCallback and FallbackUrl with its Url, as Twilio allows, and not without one', async () => {
    const s = await setup({ '/voice': xml('<Pause length="30"/>'), '/broken': { status: 500 }, '/rescue': xml('<Hangup/>'), '/old': '', '/new': '' }, { mock: { callees: { '*': { ring: 0 } } } });
    const call = await s.client.calls.create({ to: '+14155550123', from: '+14155550100', url: s.app.url('/voice'), statusCallback: s.app.url('/old') });
    await s.until(call.sid, 'in-progress');
    await expect(s.client.calls(call.sid).update({ statusCallback: s.app.url('/new') })).rejects.toMatchObject({ status: 400, code: 21200, message: expect.stringMatching(/give Url or Twiml in the same request/) });
    await s.client.calls(call.sid).update({ url: s.app.url('/broken'), fallbackUrl: s.app.url('/rescue'), statusCallback: s.app.url('/new') });
    await s.until(call.sid, 'completed');
    await waitFor(() => s.app.to('/new').length === 1);
    expect(s.app.to('/rescue')[0]!.params).toMatchObject({ ErrorCode: '11200', ErrorUrl: s.app.url('/broken') });
    expect([s.app.to('/old').length, s.app.to('/new').map((r) => r.params['CallStatus'])]).toEqual([0, ['completed']]);
  });

  it('Status=canceled cancels a call that is still ringing; on a call in progress it has no effect, as on Twilio', async () => {
    const s = await setup({ '/voice': xml('<Pause length="30"/>'), '/status': '' }, { mock: { callees: { '+14155550123': { ring: 30 }, '*': { ring: 0 } } } });
    const ringing = await s.client.calls.create({ to: '+14155550123', from: '+14155550100', url: s.app.url('/voice'), statusCallback: s.app.url('/status') });
    await s.until(ringing.sid, 'ringing');
    await s.client.calls(ringing.sid).update({ status: 'canceled' });
    expect((await s.until(ringing.sid, 'canceled'))['status']).toBe('canceled');
    const talking = await s.client.calls.create({ to: '+14155550199', from: '+14155550100', url: s.app.url('/voice') });
    await s.until(talking.sid, 'in-progress');
    expect((await s.client.calls(talking.sid).update({ status: 'canceled' })).status).toBe('in-progress');
    expect(s.logs.some((l) => l['msg'] === 'Status=canceled has no effect on a call in progress (as on Twilio); Status=completed hangs it up')).toBe(true);
    await s.client.calls(talking.sid).update({ status: 'completed' });
    await s.until(talking.sid, 'completed');
    // An ended call cannot be steered: 21220.
    await expect(s.client.calls(talking.sid).update({ twiml: '<Response/>' })).rejects.toMatchObject({ status: 400, code: 21220 });
    await waitFor(() => s.app.to('/status').length === 1);
    expect(s.app.to('/status').map((r) => r.params['CallStatus'])).toEqual(['canceled']);
  });

  it('an inbound call can be steered too: the agent hands the caller over', async () => {
    // A call arriving from the backend (a mock on the wall clock here) is in the registry, and steered as a placed one is.
    const { createMockAdapter } = await import('../../src/telephony/mock/index.js');
    const { realClock } = await import('../../src/clock.js');
    const adapter = createMockAdapter({ clock: realClock });
    const app2 = await startApp({ '/voice': xml('<Say>Hello</Say><Pause length="60"/>'), '/human': xml('<Dial><Number>+14155550177</Number></Dial>') });
    cleanups.push(() => app2.close());
    const rt = await startRuntime(checkConfig({ http: { port: 0 }, app: { url: app2.url('/voice') }, accountSid: ACCOUNT, authToken: TOKEN }), { adapter, log: createLogger({ level: 'error' }) });
    cleanups.push(() => rt.close());
    const client = twilio(ACCOUNT, TOKEN);
    client.api.baseUrl = rt.url;
    const inbound = adapter.placeCall({ from: '+14155550100', to: '+14155550199', callees: { '*': { ring: 0, talk: 1 } } });
    await waitFor(() => app2.to('/voice').length === 1);
    const [listed] = await client.calls.list({ status: 'in-progress' });
    expect(listed).toMatchObject({ direction: 'inbound', from: '+14155550100', to: '+14155550199' });
    await client.calls(listed!.sid).update({ url: app2.url('/human') });
    await inbound.leg.ended;
    const dial = inbound.leg.transcript.find((e) => e.type === 'dial');
    expect(dial).toMatchObject({ targets: [{ kind: 'number', number: '+14155550177' }] });
    await rt.calls.settled();
    expect((await client.calls(listed!.sid).fetch()).status).toBe('completed');
  });
});

describe('refusals, as Twilio words them', () => {
  const cases: [string, Record<string, string | string[]>, number, RegExp][] = [
    ['no To', { From: '+14155550100', Url: 'https://app.example/voice' }, 21201, /^No 'To' number is specified/],
    ['no From', { To: '+14155550123', Url: 'https://app.example/voice' }, 21213, /From/],
    ['a To that is no number', { To: '555-0123', From: '+14155550100', Url: 'https://app.example/voice' }, 21211, /E\.164/],
    ['a From that is no caller ID', { To: '+14155550123', From: 'me', Url: 'https://app.example/voice' }, 21212, /caller ID/],
    ['no instructions', { To: '+14155550123', From: '+14155550100' }, 21205, /Url .* or Twiml/],
    ['both Url and Twiml', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', Twiml: '<Response/>' }, 21200, /not both/],
    ['a Url that is no URL', { To: '+14155550123', From: '+14155550100', Url: 'voice.xml' }, 21205, /not a valid URL/],
    ['Method PUT', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', Method: 'PUT' }, 21209, /Method: must be one of "GET", "POST"/],
    ['Timeout abc', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', Timeout: 'abc' }, 21208, /Timeout: must be an integer/],
    ['Timeout 601', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', Timeout: '601' }, 21208, /from 1 to 600/],
    ['a misspelt parameter', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', StatusCallbak: 'https://app.example/s' }, 20001, /unknown parameter "StatusCallbak" \(did you mean "StatusCallback"\?\)/],
    ['a StatusCallbackEvent Twilio does not have', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', StatusCallback: 'https://app.example/s', StatusCallbackEvent: ['answered', 'hungup'] }, 21626, /hungup/],
    ['SendDigits with letters', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', SendDigits: '12x' }, 21206, /SendDigits/],
    ['ApplicationSid', { To: '+14155550123', From: '+14155550100', ApplicationSid: 'AP' + '0'.repeat(32) }, 21218, /no TwiML Applications/],
    ['AsyncAmd', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', MachineDetection: 'Enable', AsyncAmd: 'true' }, 21234, /AsyncAmd is not supported/],
    ['Twiml beyond 4000 characters', { To: '+14155550123', From: '+14155550100', Twiml: `<Response><Say>${'a'.repeat(4000)}</Say></Response>` }, 32018, /4000/],
    ['Twiml that cannot run', { To: '+14155550123', From: '+14155550100', Twiml: '<Reply><Say>hi</Say></Reply>' }, 12100, /Twiml is not a TwiML document that can run/],
    ['a sip: To with a header that cannot go on the INVITE', { To: 'sip:a@b.example?Contact=x', From: '+14155550100', Url: 'https://app.example/voice' }, 21211, /Contact cannot be set on the INVITE/],
    ['Record options without Record', { To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', RecordingChannels: 'dual' }, 21200, /only with Record=true/],
  ];
  it.each(cases)('%s', async (_name, form, code, message) => {
    const s = await setup({});
    const r = await s.raw('Calls.json', { form });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code, status: 400, more_info: `https://www.twilio.com/docs/errors/${code}`, message: expect.stringMatching(message) });
    expect(s.rt.stats().callsStarted).toBe(0);
  });

  it('authentication: none, wrong, and another account; every answer Twilio\'s JSON, the client raises RestException', async () => {
    const s = await setup({});
    const none = await s.raw('Calls.json', { auth: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 20003, status: 401 });
    expect((await s.raw('Calls.json', { auth: `Basic ${Buffer.from(`${ACCOUNT}:wrong`).toString('base64')}` })).body).toMatchObject({ code: 20003 });
    const wrong = twilio(ACCOUNT, 'not-the-token');
    wrong.api.baseUrl = s.rt.url;
    await expect(wrong.calls.list()).rejects.toMatchObject({ status: 401, code: 20003, moreInfo: 'https://www.twilio.com/docs/errors/20003' });
    const other = 'AC' + 'f'.repeat(32);
    expect((await s.raw(`/2010-04-01/Accounts/${other}/Calls.json`, { auth: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}` })).body).toMatchObject({ code: 20404, status: 404 });
  });

  it('a runtime without an authToken refuses the API and says how to enable it', async () => {
    const s = await setup({}, { authToken: undefined });
    const r = await s.raw('Calls.json');
    expect(r.body).toMatchObject({ status: 401, code: 20003, message: expect.stringMatching(/set authToken/) });
  });

  it('a JSON body is not what Twilio takes (415); a body beyond the limit is a 413 in the same JSON', async () => {
    const s = await setup({});
    const json = await s.raw('Calls.json', { body: JSON.stringify({ To: '+14155550123' }), headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(415);
    expect(json.body).toMatchObject({ status: 415, code: 21200 });
    const huge = await s.raw('Calls.json', { form: { To: '+14155550123', From: '+14155550100', Twiml: 'x'.repeat(300_000) } });
    expect(huge).toMatchObject({ status: 413, body: { code: 20413, status: 413 } });
  });

  it('MachineDetection on a backend without a detector is refused by name (capabilities)', async () => {
    const { placeCallRequest } = await import('../../src/server/rest/call-params.js');
    expect(() =>
      placeCallRequest({ To: '+14155550123', From: '+14155550100', Url: 'https://app.example/voice', MachineDetection: 'Enable' }, { capabilities: { machineDetection: false }, backend: 'drachtio', apps: {} }),
    ).toThrow(/MachineDetection is not available on the drachtio backend/);
  });
});

async function waitFor(ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
