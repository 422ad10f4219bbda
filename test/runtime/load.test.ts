// Load: 1,000 calls at once against one loopback app that fails 5% of its requests, half with a
// 500 and half by never answering. Which requests fail is a seeded function of the request (the
// caller's number and the path), so every run fails the same ones and the test knows what each
// call must have done. A request chosen to hang is asked for with Twilio's `#rt=200` override (the
// app writes it into the URL that leads there), so the client gives up on it after 200 ms, while
// every other request keeps the client's 5 s read timeout: a busy machine cannot turn an answer
// into a timeout and make the count wrong (that case has its own test in hardening.test.ts). Afterwards every call is accounted
// for (a summary, a completed status callback, the fallback or the application error exactly where
// a failure was injected) and nothing is left: no virtual timer, no connection on the server, no
// socket or timer in the process.
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { sequentialIds } from '../../src/ids.js';
import { APPLICATION_ERROR, runCall } from '../../src/runtime/session.js';
import { createMockAdapter, type TranscriptEvent } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { createLogger } from '../../src/log.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime } from '../../src/server/runtime.js';
import { expectNoLeaks, resources } from '../webhook/support.js';
import { heard, xml } from './support.js';
import { startWorkerApp, type WorkerApp } from './worker-app.js';

const CALLS = 1000;
const READ_TIMEOUT_MS = 5000;

// Which requests fail: FNV-1a of the caller's number and the path, mixed with a seed; 5% fail,
// half with a 500, half by never answering. Source text, because the app runs it on its own thread.
const FAULT = `
  const text = from + ' ' + path;
  let h = 0x811c9dc5 ^ 0x5eed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = h >>> 0;
  if (h % 1000 >= 50) return undefined;
  return (h >>> 16) % 2 === 0 ? '500' : 'timeout';
`;
type Fault = '500' | 'timeout' | undefined;
const fault = new Function('from', 'path', FAULT) as (from: string, path: string) => Fault;

/** The URL of `path` for this caller: with `#rt=200` when the request will hang. */
const HANG_FAST = `const to = (p) => (fault(from, p) === 'timeout' ? p + '#rt=200' : p);`;
const to = new Function('fault', 'from', 'p', `${HANG_FAST} return to(p);`).bind(null, (from: string, path: string) => fault(from, path)) as (from: string, p: string) => string;

const DOCUMENTS: Record<string, string> = {
  '/voice': xml('<Gather numDigits="1" action="MENU"><Say>Welcome</Say></Gather>'),
  '/menu': xml('<Say>Menu</Say><Redirect>BYE</Redirect>'),
  '/bye': xml('<Say>Bye</Say><Hangup/>'),
  '/fallback': xml('<Say>Fallback</Say>'),
};
const FLOW = ['/voice', '/menu', '/bye'] as const;

/** What a call must have done, from the same seeded function. */
function expected(from: string): { heard: string[]; errors: string[]; fallback: boolean; appError: boolean; requests: string[] } {
  const said = ['Welcome', 'Menu', 'Bye'];
  const requests: string[] = [];
  for (const [k, path] of FLOW.entries()) {
    requests.push(path);
    const f = fault(from, path);
    if (!f) continue;
    const code = f === '500' ? 'DIDML_WEBHOOK_STATUS' : 'DIDML_WEBHOOK_TIMEOUT';
    requests.push('/fallback');
    const fb = fault(from, '/fallback');
    const before = said.slice(0, k);
    if (!fb) return { heard: [...before, 'Fallback'], errors: [code], fallback: true, appError: false, requests };
    return { heard: [...before, APPLICATION_ERROR], errors: [code, fb === '500' ? 'DIDML_WEBHOOK_STATUS' : 'DIDML_WEBHOOK_TIMEOUT'], fallback: true, appError: true, requests };
  }
  return { heard: said, errors: [], fallback: false, appError: false, requests };
}

const ROUTE = `
  const documents = ${JSON.stringify(DOCUMENTS)};
  const fault = (from, path) => { ${FAULT} };
  const from = params.From || '';
  ${HANG_FAST}
  if (path === '/status') return { status: 204 };
  const f = fault(from, path);
  if (f === '500') return { status: 500, type: 'text/plain', body: 'injected' };
  if (f === 'timeout') return 'hang';
  const body = documents[path];
  return body === undefined ? { status: 404 } : { body: body.replace('MENU', to('/menu')).replace('BYE', to('/bye')) };
`;

let app: WorkerApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('load', () => {
  it(`${CALLS} concurrent calls, 5% of requests failing or timing out: every call accounted for, nothing leaked`, { timeout: 60_000 }, async () => {
    const baseline = resources();
    app = await startWorkerApp(ROUTE);
    const started = performance.now();
    const webhooks = createWebhookClient({ readTimeoutMs: READ_TIMEOUT_MS });
    const ids = sequentialIds();
    const froms = Array.from({ length: CALLS }, (_, i) => `+1415${String(i).padStart(7, '0')}`);
    const clocks: VirtualClock[] = [];
    const adapters: ReturnType<typeof createMockAdapter>[] = [];

    const calls = froms.map(async (from) => {
      const clock = new VirtualClock();
      const adapter = createMockAdapter({ clock });
      clocks.push(clock);
      adapters.push(adapter);
      const call = adapter.placeCall({ from, caller: [{ digits: '1' }] });
      const summary = await runCall(call, {
        app: { url: app!.origin + to(from, '/voice'), fallbackUrl: app!.origin + to(from, '/fallback'), statusCallback: `${app!.origin}/status` },
        webhooks,
        clock,
        ids,
        onEvent: ({ t: _t, ...event }) => void call.leg.log(event),
      });
      await call.leg.ended;
      return { from, summary, events: [...call.leg.transcript] as TranscriptEvent[] };
    });
    const results = await Promise.all(calls);
    const elapsed = Math.round(performance.now() - started);
    // Closing the client waits for the status callbacks still in flight, then drops its sockets.
    await webhooks.close();
    for (const a of adapters) await a.close();

    // Every call is accounted for, and did what the injected failures say it must have.
    expect(results).toHaveLength(CALLS);
    const wrong: string[] = [];
    let fallbacks = 0;
    let appErrors = 0;
    let injected = 0;
    for (const { from, summary, events } of results) {
      const want = expected(from);
      fallbacks += want.fallback ? 1 : 0;
      appErrors += want.appError ? 1 : 0;
      injected += want.errors.length;
      const got = { status: summary.status, heard: heard(events), errors: summary.errors.map((e) => e.code) };
      const ok = got.status === 'completed' && JSON.stringify(got.heard) === JSON.stringify(want.heard) && JSON.stringify(got.errors) === JSON.stringify(want.errors);
      if (!ok) wrong.push(`${from}: ${JSON.stringify(got)} instead of ${JSON.stringify({ heard: want.heard, errors: want.errors })}`);
    }
    expect(wrong.length, wrong.slice(0, 3).join('\n')).toBe(0);
    // The seed injects failures into a share of the calls close to what was asked, on both kinds.
    expect(fallbacks).toBeGreaterThan(CALLS * 0.08);
    expect(fallbacks).toBeLessThan(CALLS * 0.22);
    expect(appErrors).toBeGreaterThan(0);
    const codes = results.flatMap((r) => r.summary.errors.map((e) => e.code));
    expect(codes.filter((c) => c === 'DIDML_WEBHOOK_TIMEOUT').length).toBeGreaterThan(0);
    const timeouts = results.flatMap((r) => r.summary.errors.filter((e) => e.code === 'DIDML_WEBHOOK_TIMEOUT'));
    expect(timeouts.filter((e) => !e.message.includes('no response within the 200 ms read timeout'))).toEqual([]);
    expect(codes.filter((c) => c === 'DIDML_WEBHOOK_STATUS').length).toBeGreaterThan(0);
    expect(codes).toHaveLength(injected);

    // The app saw exactly the requests the flow implies, and one completed callback per call.
    const seen = await app.stats();
    const byPath = (p: string) => seen.requests.filter((r) => r.path === p).length;
    const want = froms.map(expected);
    for (const p of [...FLOW, '/fallback']) expect(byPath(p), p).toBe(want.flatMap((w) => w.requests).filter((r) => r === p).length);
    const status = seen.requests.filter((r) => r.path === '/status');
    expect(status).toHaveLength(CALLS);
    expect(new Set(status.map((r) => r.params['CallSid'])).size).toBe(CALLS);
    expect(status.every((r) => r.params['CallStatus'] === 'completed')).toBe(true);
    expect(seen.requests.filter((r) => r.path === '/fallback').every((r) => r.params['ErrorCode'] === '11200')).toBe(true);

    // Nothing left behind: every call leg ended, no virtual timer, no connection, no socket or timer.
    expect(adapters.flatMap((a) => [...a.calls.values()]).filter((leg) => !leg.isEnded)).toHaveLength(0);
    expect(clocks.filter((c) => c.pendingTimers > 0)).toHaveLength(0);
    let open = (await app.stats()).open;
    for (let i = 0; i < 200 && open > 0; i++) open = await new Promise((r) => setTimeout(r, 5)).then(async () => (await app!.stats()).open);
    expect(open, 'connections still open on the app').toBe(0);
    await app.close();
    app = undefined;
    await expectNoLeaks(baseline, 2000);
    console.log(`load: ${CALLS} calls in ${elapsed} ms, ${seen.requests.length} requests, ${fallbacks} fallbacks, ${appErrors} application errors, ${injected} injected failures`);
  });

  it(`${CALLS} calls from a backend into the runtime of didml serve: every session ends and is logged, nothing leaked`, { timeout: 60_000 }, async () => {
    const baseline = resources();
    // One document per call, and failures that do not race a clock: this is about the runtime's
    // bookkeeping of sessions (the timeouts are the test above).
    app = await startWorkerApp(`
      if (path === '/status') return { status: 204 };
      const f = (function (from, path) { ${FAULT} })(params.From || '', path);
      if (f) return { status: f === '500' ? 500 : 503, type: 'text/plain', body: 'injected' };
      return { body: ${JSON.stringify(xml('<Say>Hello</Say>'))} };
    `);
    const clock = new VirtualClock();
    const adapter = createMockAdapter({ clock });
    const logs: Record<string, unknown>[] = [];
    const config = checkConfig({
      app: { url: `${app.origin}/voice`, fallbackUrl: `${app.origin}/fallback`, statusCallback: `${app.origin}/status` },
      http: { port: 0 },
    });
    const rt = await startRuntime(config, { adapter, log: createLogger({ level: 'info', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) }) });
    const froms = Array.from({ length: CALLS }, (_, i) => `+1650${String(i).padStart(7, '0')}`);
    const legs = froms.map((from) => adapter.placeCall({ from }).leg);
    await Promise.all(legs.map((leg) => leg.ended));
    for (let i = 0; i < 400 && rt.stats().activeCalls > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(rt.stats()).toEqual({ activeCalls: 0, callsStarted: CALLS, callsEnded: CALLS, callsRefused: 0 });

    // One "call ended" line per call, with as many errors as were injected into its requests.
    const ended = logs.filter((l) => l['msg'] === 'call ended');
    expect(ended).toHaveLength(CALLS);
    expect(new Set(ended.map((l) => l['callSid'])).size).toBe(CALLS);
    const errorsWanted = (from: string): number => {
      return fault(from, '/voice') ? 1 + (fault(from, '/fallback') ? 1 : 0) : 0;
    };
    const started = new Map(logs.filter((l) => l['msg'] === 'call started').map((l) => [l['callSid'], String(l['from'])]));
    const mismatched = ended.filter((l) => l['errors'] !== errorsWanted(started.get(l['callSid'])!));
    expect(mismatched.slice(0, 3).map((l) => JSON.stringify(l))).toEqual([]);
    expect(ended.filter((l) => l['errors'] !== 0).length).toBeGreaterThan(0);

    await rt.close();
    expect(clock.pendingTimers).toBe(0);
    let open = (await app.stats()).open;
    for (let i = 0; i < 200 && open > 0; i++) open = await new Promise((r) => setTimeout(r, 5)).then(async () => (await app!.stats()).open);
    expect(open, 'connections still open on the app').toBe(0);
    expect((await app.stats()).requests.filter((r) => r.path === '/status')).toHaveLength(CALLS);
    await app.close();
    app = undefined;
    await expectNoLeaks(baseline, 2000);
  });
});
