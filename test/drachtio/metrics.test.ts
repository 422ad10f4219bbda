// /metrics on `didml serve --adapter drachtio`: the SIP final responses come from the drachtio
// backend's own results (a placed call's INVITE, a <Dial>'s INVITEs), as the stand-in
// drachtio-server answered them, and calls are counted by status as on the mock.
import { afterEach, expect, it } from 'vitest';
import twilio from 'twilio';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime } from '../../src/server/runtime.js';
import { createDrachtioAdapter } from '../../src/telephony/drachtio/index.js';
import { createLogger } from '../../src/log.js';
import { StandIn } from './stand-in/server.js';
import { startApp, xml } from '../runtime/support.js';

const ACCOUNT = 'AC' + 'fedcba98'.repeat(4);
const TOKEN = 'drachtio-metrics-token';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `name{labels} value` lines of the exposition text whose labels include `labels`, summed. */
function total(text: string, name: string, labels: Record<string, string>): number {
  let n = 0;
  for (const m of text.matchAll(/^(\w+)\{([^}]*)\} (\S+)$/gm)) {
    if (m[1] !== name) continue;
    const has = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) n += Number(m[3]);
  }
  return n;
}

it('counts the final responses drachtio reports: a placed call answered (200) and one busy (486), and a <Dial> callee busy (486)', async () => {
  const stand = await StandIn.listen({ secret: 'cymru' });
  cleanups.push(() => stand.close());
  const app = await startApp({ '/voice': xml('<Dial timeout="5"><Number>+14155550177</Number></Dial>') });
  cleanups.push(() => app.close());
  const drachtio = { inbound: { host: '127.0.0.1', port: stand.port, secret: 'cymru' }, rtp: { address: '127.0.0.1' }, numbers: { route: 'carrier.example:5070;transport=tcp' } };
  const rt = await startRuntime(
    checkConfig({ http: { port: 0 }, adapter: 'drachtio', drachtio, app: { url: app.url('/voice') }, accountSid: ACCOUNT, authToken: TOKEN }),
    { adapter: createDrachtioAdapter({ config: drachtio }), log: createLogger({ level: 'error', write: () => undefined }) },
  );
  cleanups.push(() => rt.close());
  await stand.authenticated();
  // The placed call to ...123 answers; the Dial's callee ...177 and the call to ...111 are busy.
  stand.onRequest = (req) => req.respond(req.uri.includes('+14155550123') ? 200 : 486);
  const client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
  const until = async (sid: string, status: string) => {
    const deadline = Date.now() + 10_000;
    while ((await client.calls(sid).fetch()).status !== status) {
      if (Date.now() > deadline) throw new Error(`call ${sid} never became ${status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const answered = await client.calls.create({ to: '+14155550123', from: '+14155550100', url: app.url('/voice') });
  const busy = await client.calls.create({ to: '+14155550111', from: '+14155550100', url: app.url('/voice') });
  await until(busy.sid, 'busy');
  await until(answered.sid, 'completed');
  await rt.calls.settled();

  const text = await (await fetch(`${rt.url}/metrics`)).text();
  expect(stand.sent('INVITE').length).toBe(3);
  expect(total(text, 'didml_sip_final_responses_total', { code: '200', request: 'outbound' })).toBe(1);
  expect(total(text, 'didml_sip_final_responses_total', { code: '486', request: 'outbound' })).toBe(1);
  expect(total(text, 'didml_sip_final_responses_total', { code: '486', request: 'dial' })).toBe(1);
  expect(total(text, 'didml_calls_ended_total', { direction: 'outbound-api', status: 'completed' })).toBe(1);
  expect(total(text, 'didml_calls_ended_total', { direction: 'outbound-api', status: 'busy' })).toBe(1);
  expect(total(text, 'didml_calls_active', { direction: 'outbound-api' })).toBe(0);
});
