// `didml serve`: configuration checked against its schema, the control server (health and
// simulated calls), calls from a backend run to their end, and a clean shutdown.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createMockAdapter } from '../../src/telephony/mock/index.js';
import { realClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { isDidmlError } from '../../src/errors.js';

const root = join(import.meta.dirname, '../..');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An app on loopback answering `documents` by path, after `delayMs` (real time: a slow app keeps a simulated call busy). */
async function app(documents: Record<string, string>, delayMs = 0): Promise<string> {
  const server: Server = createServer((req, res) => {
    const body = documents[new URL(req.url!, 'http://x').pathname];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/xml' }).end(body), delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function runtime(config: Record<string, unknown>, adapter?: ReturnType<typeof createMockAdapter>): Promise<{ rt: Runtime; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const rt = await startRuntime(checkConfig({ http: { port: 0 }, ...config }), {
    ...(adapter ? { adapter } : {}),
    log: createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) }),
  });
  cleanups.push(() => rt.close());
  return { rt, logs };
}

describe('configuration', () => {
  it('fills in defaults from the schema', () => {
    const c = checkConfig({ app: { url: 'http://127.0.0.1/voice' } });
    expect(c.adapter).toBe('mock');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(c.webhook).toEqual({ connectTimeoutMs: 5000, readTimeoutMs: 15000, maxBytes: 65536 });
    expect(c.limits.maxCallSeconds).toBe(14400);
    expect(c.app.method).toBe('POST');
  });

  it('names every mistake and where it is', () => {
    let err: unknown;
    try {
      checkConfig({ app: { url: 'x', method: 'PUT' }, adapter: 'asterisk', http: { port: 70000 }, colour: true }, 'didml.json');
    } catch (e) {
      err = e;
    }
    expect(isDidmlError(err) && err.code).toBe('DIDML_CONFIG');
    const message = (err as Error).message;
    expect(message).toMatch(/^didml\.json: /);
    expect(message).toContain('"colour" is not a known key');
    expect(message).toContain('app.method must be equal to one of the allowed values: GET, POST');
    expect(message).toContain('adapter must be equal to one of the allowed values: mock, drachtio');
    expect(message).toContain('http.port must be <= 65535');
  });

  it('needs an app', () => {
    expect(() => checkConfig({})).toThrow(/give the app: `app` \(the default app\) or `apps`/);
  });
});

describe('control server', () => {
  it('answers health and runs a simulated call from a JSON script', async () => {
    const url = await app({ '/voice': '<Response><Say>Hello</Say><Dial action="/after"><Number>+14155550111</Number></Dial></Response>', '/after': '<Response><Hangup/></Response>' });
    const { rt, logs } = await runtime({ app: { url: `${url}/voice` } });
    const health = (await (await fetch(`${rt.url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', adapter: 'mock', activeCalls: 0, callsStarted: 0 });

    const res = await fetch(`${rt.url}/calls`, { method: 'POST', body: JSON.stringify({ callees: { '*': { response: 'busy' } } }) });
    expect(res.status).toBe(200);
    const call = (await res.json()) as { status: string; events: { type: string; params?: Record<string, string> }[] };
    expect(call.status).toBe('completed');
    const after = call.events.find((e) => e.type === 'webhook' && e.params?.['DialCallStatus']);
    expect(after?.params?.['DialCallStatus']).toBe('busy');
    expect(rt.stats()).toEqual({ activeCalls: 0, callsStarted: 1, callsEnded: 1, callsRefused: 0 });
    expect(logs.some((l) => l['msg'] === 'simulated call ended' && l['status'] === 'completed')).toBe(true);
  });

  it('refuses a bad script with 400 and says why, in Twilio\'s error JSON, before any call runs', async () => {
    const { rt } = await runtime({ app: { url: 'http://127.0.0.1:9/voice' } });
    const post = (body: string) => fetch(`${rt.url}/calls`, { method: 'POST', body });
    const res = await post('{"caller": [{"press": "1"}]}');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 21200, status: 400, more_info: 'https://www.twilio.com/docs/errors/21200', message: expect.stringMatching(/^caller\[0\]: unknown key "press"; it must be one of \{"digits"/) });
    // Each wrong field is named (this ran a call, and answered a TypeError's text, before fastify).
    const wrong = (await (await post('{"hangupAfter": "abc", "headers": [1, 2], "callees": 7}')).json()) as { message: string };
    expect(wrong.message.split('; ')).toEqual(['hangupAfter: must be a number', 'headers: must be an object', 'callees: must be an object']);
    expect(((await (await post('{"caller": "x"}')).json()) as { message: string }).message).toBe('caller: must be an array');
    const notJson = await post('{nope');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { message: string }).message).toMatch(/^the body is not JSON/);
    // A body beyond the limit is refused at once, whole, as JSON: not a dropped connection.
    const huge = await post(JSON.stringify({ from: 'x'.repeat(3 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ status: 413, code: 20413, message: 'the request body is larger than 262144 bytes' });
    const nowhere = await fetch(`${rt.url}/nowhere`);
    expect(nowhere.status).toBe(404);
    expect(await nowhere.json()).toMatchObject({ status: 404, code: 20404 });
    expect(rt.stats().callsStarted).toBe(0);
  });
});

describe('calls from a backend', () => {
  it('runs a session per call and logs its start and end with the call sid', async () => {
    const url = await app({ '/voice': '<Response><Say>Hi</Say></Response>' });
    const adapter = createMockAdapter({ clock: realClock });
    const { rt, logs } = await runtime({ app: { url: `${url}/voice` } }, adapter);
    const call = adapter.placeCall({ from: '+14155550100' });
    await call.leg.ended;
    await new Promise((r) => setTimeout(r, 20));
    const started = logs.find((l) => l['msg'] === 'call started');
    const ended = logs.find((l) => l['msg'] === 'call ended');
    expect(started).toMatchObject({ from: '+14155550100', callId: call.callId });
    expect(ended).toMatchObject({ status: 'completed', reason: 'the document ran out of verbs', callSid: started?.['callSid'] });
    expect(rt.stats()).toEqual({ activeCalls: 0, callsStarted: 1, callsEnded: 1, callsRefused: 0 });
  });

  it('ends calls in progress when it shuts down', async () => {
    const url = await app({ '/voice': '<Response><Pause length="3600"/></Response>' });
    const adapter = createMockAdapter({ clock: realClock });
    const { rt, logs } = await runtime({ app: { url: `${url}/voice` } }, adapter);
    const calls = [adapter.placeCall({}), adapter.placeCall({})];
    await new Promise((r) => setTimeout(r, 50));
    expect(rt.stats().activeCalls).toBe(2);
    await rt.close();
    cleanups.pop();
    for (const c of calls) expect(c.leg.isEnded).toBe(true);
    expect(rt.stats()).toEqual({ activeCalls: 0, callsStarted: 2, callsEnded: 2, callsRefused: 0 });
    expect(logs.filter((l) => l['msg'] === 'call ended')).toHaveLength(2);
    expect(logs.at(-1)?.['msg']).toBe('didml runtime stopped');
  });
});

describe('limits.maxConcurrentCalls', () => {
  it('refuses a call from the backend beyond it with 503 (and counts it), and takes calls again once one ends', async () => {
    const url = await app({ '/voice': '<Response><Pause length="3600"/></Response>' });
    const adapter = createMockAdapter({ clock: realClock });
    const { rt, logs } = await runtime({ app: { url: `${url}/voice` }, limits: { maxConcurrentCalls: 2 } }, adapter);
    const calls = [adapter.placeCall({}), adapter.placeCall({})];
    const third = adapter.placeCall({});
    await third.leg.ended;
    expect(third.leg.transcript.find((e) => e.type === 'reject')).toMatchObject({ reason: 'unavailable', sipResponseCode: 503 });
    expect(logs.find((l) => l['msg'] === 'call refused: the runtime is running limits.maxConcurrentCalls calls')).toMatchObject({ activeCalls: 2 });
    expect(rt.stats()).toMatchObject({ activeCalls: 2, callsRefused: 1 });
    calls[0]!.leg.callerHangup();
    for (let i = 0; i < 100 && rt.stats().activeCalls > 1; i++) await new Promise((r) => setTimeout(r, 5));
    const fourth = adapter.placeCall({});
    await new Promise((r) => setTimeout(r, 30));
    expect(fourth.leg.isEnded).toBe(false);
    expect(rt.stats()).toMatchObject({ activeCalls: 2, callsStarted: 3, callsRefused: 1 });
  });

  it('answers POST /calls beyond it with 503 and Retry-After', async () => {
    const url = await app({ '/voice': '<Response><Hangup/></Response>' }, 300);
    const { rt } = await runtime({ app: { url: `${url}/voice` }, limits: { maxConcurrentCalls: 1 } });
    const first = fetch(`${rt.url}/calls`, { method: 'POST', body: '{}' });
    for (let i = 0; i < 100 && rt.stats().activeCalls < 1; i++) await new Promise((r) => setTimeout(r, 5));
    const second = await fetch(`${rt.url}/calls`, { method: 'POST', body: '{}' });
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(((await second.json()) as { message: string }).message).toMatch(/limits.maxConcurrentCalls/);
    expect((await first).status).toBe(200);
  });
});

describe('didml serve (the command)', () => {
  it('starts, answers /health, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/didml.js'), 'serve', '--app', join(root, 'examples/ivr'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /runtime on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    expect(((await (await fetch(`${url}/health`)).json()) as { status: string }).status).toBe('ok');
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['msg'])).toEqual(['didml runtime started', 'didml runtime stopped']);
  });

  it('refuses a config that does not match its schema, exit 2', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/didml.js'), 'serve', '--app', join(root, 'examples/ivr'), '--adapter', 'drachtio'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/\(top level\) must have required property 'drachtio'/);
  });
});
