// Numbers, SIP users and SIP domains choose their app (config `apps`, `app` as the default): on the
// mock's POST /calls by the script's `to`, on drachtio by the INVITE's Request-URI (against the
// stand-in drachtio-server, with the real drachtio-srf). A call that no app answers is refused,
// never handed to another number's app.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appFor } from '../../src/calls/routing.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createDrachtioAdapter } from '../../src/telephony/drachtio/index.js';
import { createLogger } from '../../src/log.js';
import { StandIn } from '../drachtio/stand-in/server.js';
import { startApp, xml, type TestApp } from '../runtime/support.js';

const root = join(import.meta.dirname, '../..');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const app = (url: string, dialect?: 'didml') => ({ url, ...(dialect ? { dialect } : {}) });

describe('which app answers a call', () => {
  const apps = {
    '+14155550100': app('https://sales.example/voice'),
    vidasales: app('https://vida.example/agent'),
    'agents.example.com': app('https://agents.example/voice'),
    '*': app('https://default.example/voice'),
  };
  it.each([
    [{ to: '+14155550100' }, '+14155550100'],
    [{ to: '+14155550100', toUri: 'sip:+14155550100@agents.example.com' }, '+14155550100'],
    [{ to: 'vidasales', toUri: 'sip:vidasales@pbx.example.net' }, 'vidasales'],
    [{ to: 'someone', toUri: 'sip:someone@Agents.Example.COM;transport=tcp' }, 'agents.example.com'],
    [{ to: '+19995550000' }, '*'],
  ])('%j → apps[%s]', (call, key) => {
    expect(appFor(apps, call)?.key).toBe(key);
  });

  it('finds nothing without a default, rather than another number\'s app', () => {
    const { '*': _default, ...rest } = apps;
    expect(appFor(rest, { to: '+19995550000', toUri: 'sip:+19995550000@elsewhere.example' })).toBeUndefined();
  });

  it('takes `app` as the default, and refuses a config that gives the default twice', () => {
    expect(checkConfig({ app: app('https://a.example/') }).apps).toEqual({ '*': expect.objectContaining({ url: 'https://a.example/' }) });
    expect(() => checkConfig({ app: app('https://a.example/'), apps: { '*': app('https://b.example/') } }, 'didml.json')).toThrow(/didml.json: both app and apps\["\*"\] give the default app/);
    expect(() => checkConfig({ apps: { '+1415': { method: 'GET' } } }, 'didml.json')).toThrow(/apps\.\+1415 must have required property 'url'/);
  });
});

async function runtime(config: Record<string, unknown>, adapter?: Parameters<typeof startRuntime>[1]['adapter']): Promise<Runtime> {
  const rt = await startRuntime(checkConfig({ http: { port: 0 }, log: { level: 'error' }, ...config }), { log: createLogger({ level: 'error', write: () => undefined }), ...(adapter ? { adapter } : {}) });
  cleanups.push(() => rt.close());
  return rt;
}

async function apps(): Promise<TestApp> {
  const a = await startApp({ '/sales': xml('<Say>Sales</Say>'), '/vida': xml('<Say>Vida agent</Say>'), '/fallback': xml('<Say>Default</Say>') });
  cleanups.push(() => a.close());
  return a;
}

describe('on the mock (POST /calls)', () => {
  it('runs the app of the number or SIP user the script calls; with no default, an unknown number is a 404', async () => {
    const a = await apps();
    const rt = await runtime({ apps: { '+14155550100': app(a.url('/sales')), vidasales: app(a.url('/vida')) } });
    const post = (to: string) => fetch(`${rt.url}/calls`, { method: 'POST', body: JSON.stringify({ to }) });
    const said = async (to: string) => {
      const body = (await (await post(to)).json()) as { events?: { type: string; text?: string }[] };
      expect(body.events, JSON.stringify(body)).toBeDefined();
      return body.events!.find((e) => e.type === 'say')?.text;
    };
    expect(await said('+14155550100')).toBe('Sales');
    expect(await said('sip:vidasales@didml.example')).toBe('Vida agent');
    const none = await post('+19995550000');
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ code: 20404, message: expect.stringMatching(/no app answers \+19995550000/) });
    expect(a.requests.map((r) => r.path)).toEqual(['/sales', '/vida']);
  });

  it('a script that has the runtime place the call runs the default app; with no default it is a 404', async () => {
    const a = await apps();
    const rt = await runtime({ apps: { '+14155550100': app(a.url('/sales')), '*': app(a.url('/fallback')) } });
    const placed = (await (await fetch(`${rt.url}/calls`, { method: 'POST', body: JSON.stringify({ outbound: { to: '+14155550100' }, callees: { '*': { ring: 1 } } }) })).json()) as { events: { type: string; text?: string }[] };
    expect(placed.events.find((e) => e.type === 'say')?.text).toBe('Default');
    const rt2 = await runtime({ apps: { '+14155550100': app(a.url('/sales')) } });
    expect((await fetch(`${rt2.url}/calls`, { method: 'POST', body: JSON.stringify({ outbound: { to: '+14155550100' } }) })).status).toBe(404);
  });
});

describe('on drachtio (the Request-URI)', () => {
  it('routes by number, SIP user and domain, and refuses an address no app answers with 404 on the wire', async () => {
    const stand = await StandIn.listen({ secret: 'cymru' });
    cleanups.push(() => stand.close());
    const a = await apps();
    const adapter = createDrachtioAdapter({ config: { inbound: { host: '127.0.0.1', port: stand.port, secret: 'cymru' }, rejectCode: 603 } });
    await runtime(
      {
        adapter: 'drachtio',
        drachtio: { inbound: { host: '127.0.0.1', port: stand.port, secret: 'cymru' } },
        apps: {
          // Each app refuses the call with <Reject reason="busy"> after its request: the wire says which ran.
          '+14155550100': app(a.url('/sales')),
          vidasales: app(a.url('/vida')),
        },
      },
      adapter,
    );
    await stand.authenticated();
    const outcome = async (to: string) => stand.call({ to }).response();
    // A media verb without a media server ends the call (480): the app was asked, which is the point.
    await outcome('+14155550100');
    await outcome('sip:vidasales@127.0.0.1:5060');
    // 404 whatever drachtio.rejectCode says: no app, not the app's <Reject>.
    expect(await outcome('+19995550000')).toBe(404);
    expect(a.requests.map((r) => r.path)).toEqual(['/sales', '/vida']);
    expect(a.to('/vida')[0]!.params).toMatchObject({ To: 'vidasales', Direction: 'inbound' });
  });
});


describe('didml serve --config with apps of folders', () => {
  it('serves each number from its own folder', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'didml-apps-'));
    const file = join(dir, 'didml.json');
    writeFileSync(file, JSON.stringify({ apps: { '+14155550101': { url: join(root, 'examples/ivr') }, '+14155550102': { url: join(root, 'examples/voicemail') } }, log: { level: 'warn' } }));
    const child = spawn(process.execPath, [join(root, 'bin/didml.js'), 'serve', '--config', file, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /runtime on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(stderr)));
    });
    const firstSay = async (to: string) => {
      const r = (await (await fetch(`${url}/calls`, { method: 'POST', body: JSON.stringify({ to, hangupAfter: 1 }) })).json()) as { events: { type: string; text?: string; url?: string }[] };
      return [r.events.find((e) => e.type === 'webhook')?.url, r.events.find((e) => e.type === 'say')?.text];
    };
    expect(await firstSay('+14155550101')).toEqual(['app://ivr/', expect.stringMatching(/^Thanks for calling/)]);
    expect(await firstSay('+14155550102')).toEqual(['app://voicemail/', expect.stringMatching(/^Please leave a message/)]);
    expect((await fetch(`${url}/calls`, { method: 'POST', body: '{"to": "+14155550103"}' })).status).toBe(404);
  });
});
