// Opt-in (as real-server.test.ts: DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET; see
// REAL-SERVERS.md): Twilio's Calls API on `didml serve` with a real drachtio-server, the real
// twilio helper library as the client and sipp as the far end of the placed call.
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createDrachtioAdapter } from '../../src/telephony/drachtio/index.js';
import { createLogger } from '../../src/log.js';
import { startApp, xml, type TestApp } from '../runtime/support.js';
import { HOST, PORT, SECRET, callee, noDrachtio as why } from './real-peers.js';
import * as sipp from './sipp-scenarios.js';

if (why) console.warn(`test/drachtio/real-rest.test.ts: skipped; ${why}`);

const ACCOUNT = 'AC' + '5eed'.repeat(8);
const TOKEN = 'real-rest';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(app: TestApp): Promise<{ rt: Runtime; client: twilio.Twilio }> {
  const drachtio = { inbound: { host: HOST!, port: PORT, secret: SECRET! }, rtp: { address: '127.0.0.1' } };
  const rt = await startRuntime(checkConfig({ http: { port: 0 }, adapter: 'drachtio', drachtio, app: { url: app.url('/voice') }, accountSid: ACCOUNT, authToken: TOKEN }), {
    adapter: createDrachtioAdapter({ config: drachtio }),
    log: createLogger({ level: 'error', write: () => undefined }),
  });
  cleanups.push(() => rt.close());
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  return { rt, client };
}

async function until(client: twilio.Twilio, sid: string, status: string): Promise<twilio.Twilio['calls'] extends { (sid: string): { fetch(): Promise<infer C> } } ? C : never> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const c = await client.calls(sid).fetch();
    if (c.status === status) return c as never;
    if (Date.now() > deadline) throw new Error(`call ${sid} is ${c.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(Boolean(why))('the Calls API against a real drachtio-server, sipp as the far end', () => {
  it('places a call to a sip: URI with an X- header, runs the Url, and ends it with an update (BYE to sipp)', async () => {
    const far = await callee(sipp.calleeAnswersUntilBye({ requestUri: '^INVITE sip:agent@127\\.0\\.0\\.1:[0-9]+ SIP', headers: [['X-Campaign', 'spring']] }));
    const app = await startApp({ '/voice': xml('<Pause length="30"/>') });
    cleanups.push(() => app.close());
    const { client } = await serve(app);
    const call = await client.calls.create({ to: `sip:agent@127.0.0.1:${far.port}?X-Campaign=spring`, from: '+14155550100', url: app.url('/voice') });
    expect(call.status).toBe('queued');
    await until(client, call.sid, 'in-progress');
    await client.calls(call.sid).update({ status: 'completed' });
    const done = await until(client, call.sid, 'completed');
    expect(Number(done.duration)).toBeLessThan(30);
    expect(await far.done).toMatchObject({ code: 0 });
    expect(app.to('/voice')[0]!.params).toMatchObject({ Direction: 'outbound-api', CallSid: call.sid });
  });

  it('a far end that answers 486 makes the call busy', async () => {
    const far = await callee(sipp.calleeRefuses('486 Busy Here'));
    const app = await startApp({ '/voice': xml('<Hangup/>') });
    cleanups.push(() => app.close());
    const { client } = await serve(app);
    const call = await client.calls.create({ to: `sip:agent@127.0.0.1:${far.port}`, from: '+14155550100', url: app.url('/voice') });
    await until(client, call.sid, 'busy');
    expect(await far.done).toMatchObject({ code: 0 });
    expect(app.requests).toEqual([]);
  });
});
