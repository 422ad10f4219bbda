#!/usr/bin/env node
// Twilio's Calls API on `didml serve` (mock backend): calls created per second through
// POST /2010-04-01/Accounts/{Sid}/Calls.json, Basic auth, Twilio's form parameters checked
// against Twilio's schema, the call placed and run (inline Twiml, the callee answering at once),
// beside a bare route on the same framework (fastify + @fastify/formbody) that parses the same
// form and answers a Call-sized JSON: the bound. Target: within 2x. Printed, never asserted.
// Run at the end of `npm run bench`, or alone after the build: `node bench/rest.mjs`.
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { checkConfig } = await dist('server/config.js');
const { startRuntime } = await dist('server/runtime.js');
const { silentLogger } = await dist('log.js');

const CREATES = 2000; // requests per measured round
const CONCURRENCY = 16;
const ROUNDS = 4; // alternating; the best of each is kept
const ACCOUNT = 'AC' + '0123456789abcdef'.repeat(2);
const TOKEN = 'bench-token';
const AUTH = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`;
const BODY = new URLSearchParams({
  To: '+14155550123',
  From: '+14155550100',
  Twiml: '<Response><Hangup/></Response>',
  Timeout: '30',
}).toString();
const PATH = `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`;

async function bare() {
  const app = Fastify({ logger: false });
  await app.register(formbody);
  let n = 0;
  app.post('/2010-04-01/Accounts/:AccountSid/Calls.json', async (req, reply) => {
    const f = req.body;
    const sid = 'CA' + (n++).toString(16).padStart(32, '0');
    return reply.code(201).send({ sid, account_sid: req.params.AccountSid, to: f.To, from: f.From, status: 'queued', direction: 'outbound-api', uri: `${req.url.replace('.json', '')}/${sid}.json` });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
}

async function didml() {
  const rt = await startRuntime(
    checkConfig({ http: { port: 0 }, app: { url: 'http://127.0.0.1:9/unused' }, accountSid: ACCOUNT, authToken: TOKEN, mock: { callees: { '*': { ring: 0 } } }, log: { level: 'error' } }),
    { log: silentLogger },
  );
  return { url: rt.url, close: () => rt.close(), settled: () => rt.calls.settled() };
}

async function round(target) {
  const dispatcher = new Agent({ connections: CONCURRENCY });
  let next = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < CREATES) {
        const r = await request(target.url + PATH, { method: 'POST', dispatcher, headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body: BODY });
        const text = await r.body.text();
        if (r.statusCode !== 201 && failed++ === 0) console.error(`first failure: ${r.statusCode} ${text}`);
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await target.settled?.();
  await dispatcher.close();
  if (failed) throw new Error(`${failed} creates failed`);
  return ms;
}

const targets = { bare: await bare(), didml: await didml() };
await round(targets.bare);
await round(targets.didml); // warm-up
const best = { bare: Infinity, didml: Infinity };
for (let i = 0; i < ROUNDS; i++) for (const k of ['bare', 'didml']) best[k] = Math.min(best[k], await round(targets[k]));
for (const t of Object.values(targets)) await t.close();

const perSecond = (ms) => ((CREATES / ms) * 1000).toFixed(0);
const row = (name, ms, baseline, target) => `${name.padEnd(44)} ${perSecond(ms).padStart(9)} /s  ${(ms / baseline).toFixed(2).padStart(6)}x  (target ${target})`;
console.log(`Calls API: ${CREATES} creates at ${CONCURRENCY} in flight, best of ${ROUNDS}`);
console.log(row('bare fastify form route (baseline)', best.bare, best.bare, '1x'));
console.log(row('POST Calls.json: checked, placed and run', best.didml, best.bare, '≤ 2x'));
