// Twilio's Calls API on `didml serve --adapter drachtio`: the real twilio helper library places,
// fetches, lists, updates and ends calls that go out as INVITEs through the stand-in
// drachtio-server (the real drachtio-srf inside didml). What each request does is asserted on
// the SIP the stand-in saw.
import { afterEach, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createDrachtioAdapter } from '../../src/telephony/drachtio/index.js';
import { createLogger } from '../../src/log.js';
import { StandIn } from './stand-in/server.js';
import { startApp, xml, type TestApp } from '../runtime/support.js';

const ACCOUNT = 'AC' + 'abcdef01'.repeat(4);
const TOKEN = 'drachtio-rest-token';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  stand: StandIn;
  app: TestApp;
  rt: Runtime;
  client: twilio.Twilio;
  until(sid: string, status: string): Promise<void>;
}

async function setup(routes: Parameters<typeof startApp>[0]): Promise<Setup> {
  const stand = await StandIn.listen({ secret: 'cymru' });
  cleanups.push(() => stand.close());
  const app = await startApp(routes);
  cleanups.push(() => app.close());
  const drachtio = {
    inbound: { host: '127.0.0.1', port: stand.port, secret: 'cymru' },
    rtp: { address: '127.0.0.1' },
    numbers: { route: 'carrier.example:5070;transport=tcp' },
  };
  const adapter = createDrachtioAdapter({ config: drachtio });
  const rt = await startRuntime(
    checkConfig({ http: { port: 0 }, adapter: 'drachtio', drachtio, app: { url: app.url('/voice') }, accountSid: ACCOUNT, authToken: TOKEN }),
    { adapter, log: createLogger({ level: 'error', write: () => undefined }) },
  );
  cleanups.push(() => rt.close());
  await stand.authenticated();
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  const until = async (sid: string, status: string) => {
    const deadline = Date.now() + 10_000;
    while ((await client.calls(sid).fetch()).status !== status) {
      if (Date.now() > deadline) throw new Error(`call ${sid} never became ${status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { stand, app, rt, client, until };
}

describe('the Calls API on drachtio', () => {
  it('places a call by the number route, runs the Url once answered, takes new Twiml mid-Pause (BYE on <Hangup/>), and lists it', async () => {
    const s = await setup({ '/voice': xml('<Pause length="30"/>'), '/status': '' });
    s.stand.onRequest = (req) => {
      req.respond(180);
      setTimeout(() => req.respond(200), 30);
    };
    const call = await s.client.calls.create({ to: '+14155550123', from: '+14155550100', url: s.app.url('/voice'), statusCallback: s.app.url('/status'), statusCallbackEvent: ['ringing', 'answered', 'completed'] });
    expect(call).toMatchObject({ status: 'queued', direction: 'outbound-api' });
    await s.until(call.sid, 'in-progress');
    // In progress once answered; the app is asked right after.
    for (let i = 0; i < 500 && s.app.to('/voice').length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const invite = s.stand.sent('INVITE')[0]!;
    expect(invite.message.startLine).toBe('INVITE sip:+14155550123@carrier.example:5070;transport=tcp SIP/2.0');
    expect(s.app.to('/voice')[0]!.params).toMatchObject({ CallSid: call.sid, Direction: 'outbound-api', To: '+14155550123', SipCallId: invite.callId });
    expect((await s.client.calls.list({ status: 'in-progress' })).map((c) => c.sid)).toEqual([call.sid]);

    await s.client.calls(call.sid).update({ twiml: '<Response><Hangup/></Response>' });
    const bye = await s.stand.waitFor((m) => m.from === 'app' && m.method === 'BYE' && m.callId === invite.callId, 5000, 'the BYE of <Hangup/>');
    expect(bye.message.startLine).toMatch(/^BYE /);
    await s.until(call.sid, 'completed');
    const fetched = await s.client.calls(call.sid).fetch();
    expect(Number(fetched.duration)).toBeLessThan(30);
  });

  it('a busy far end ends the call busy; Status=canceled while it rings sends a CANCEL', async () => {
    const s = await setup({ '/voice': xml('<Pause length="30"/>') });
    s.stand.onRequest = (req) => req.respond(req.uri.includes('+14155550111') ? 486 : 180);
    const busy = await s.client.calls.create({ to: '+14155550111', from: '+14155550100', url: s.app.url('/voice') });
    await s.until(busy.sid, 'busy');
    const ringing = await s.client.calls.create({ to: '+14155550122', from: '+14155550100', url: s.app.url('/voice') });
    await s.until(ringing.sid, 'ringing');
    await s.client.calls(ringing.sid).update({ status: 'canceled' });
    await s.stand.waitFor((m) => m.from === 'app' && m.method === 'CANCEL', 5000, 'the CANCEL');
    await s.until(ringing.sid, 'canceled');
    expect(s.app.requests).toEqual([]);
  });

  it('refuses what drachtio cannot do, by name: MachineDetection (no detector)', async () => {
    const s = await setup({});
    await expect(s.client.calls.create({ to: '+14155550123', from: '+14155550100', twiml: '<Response/>', machineDetection: 'Enable' })).rejects.toMatchObject({
      status: 400,
      code: 21234,
      message: expect.stringMatching(/MachineDetection is not available on the drachtio backend/),
    });
    expect(s.stand.sent('INVITE')).toEqual([]);
  });
});
