#!/usr/bin/env node
// What the Prometheus metrics cost a call, run at the end of `npm run bench` (or alone:
// `node bench/metrics.mjs` after `npx tsc -p tsconfig.build.json`). Printed as a ratio against a
// baseline measured in the same run, never asserted (timings depend on the machine):
//   1. simulated calls through a 5-document flow (Gather → Say + Redirect → Dial → Record →
//      Say + Hangup) from a folder app (no network: the runtime's own cost is all there is to
//      see), with no metrics: the baseline;
//   2. the same calls observed as `didml serve` observes them: the webhook client wrapped
//      (latency histogram, failures), every event through the hooks, start and end counted.
//      Target: within 1.05x of 1;
//   3. one scrape (the exposition text) after all those calls, for scale.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { simulateCall } = await dist('runtime/simulate.js');
const { createWebhookClient } = await dist('webhook/client.js');
const { createMetrics } = await dist('server/metrics.js');

const CALLS = 400; // calls per measured round
const CONCURRENCY = 20;
const ROUNDS = 5;

const FLOW = {
  'voice.xml': '<Response><Gather action="/menu" numDigits="1" timeout="5"><Say>Press 1 for sales, 2 for support.</Say></Gather><Say>We did not hear you.</Say></Response>',
  'menu.xml': '<Response><Say>Connecting you.</Say><Redirect>/step3</Redirect></Response>',
  'step3.xml': '<Response><Dial action="/after-dial" timeout="20"><Number>+14155550111</Number></Dial></Response>',
  'after-dial.xml': '<Response><Say>Please leave a message after the beep.</Say><Record action="/done" maxLength="30" finishOnKey="#"/></Response>',
  'done.xml': '<Response><Say>Thank you, goodbye.</Say><Hangup/></Response>',
};
const SCRIPT = { caller: [{ digits: '1' }, { record: 4, digits: '#' }] };

const dir = mkdtempSync(join(tmpdir(), 'didml-bench-metrics-'));
for (const [name, doc] of Object.entries(FLOW)) writeFileSync(join(dir, name), doc);
const client = createWebhookClient({ appRoot: dir });
const metrics = createMetrics({ queueLabels: 50 });
const observed = metrics.instrument(client);

const bare = () => simulateCall({ app: dir, call: SCRIPT, webhooks: client });
async function watched() {
  const call = metrics.scripted('inbound');
  const r = await simulateCall({ app: dir, call: SCRIPT, webhooks: observed, onEvent: (e) => call.event(e) });
  call.ended(r.summary.status);
  return r;
}

async function round(run) {
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < CALLS) {
      next++;
      const r = await run();
      if (r.summary.documents !== Object.keys(FLOW).length) throw new Error(`the flow did not run through: ${r.summary.documents} documents, ${r.summary.reason}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

for (let i = 0; i < 2; i++) {
  await round(bare);
  await round(watched);
} // warm up both
let base = Infinity;
let withMetrics = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  base = Math.min(base, await round(bare));
  withMetrics = Math.min(withMetrics, await round(watched));
}
const t0 = process.hrtime.bigint();
const text = await metrics.scrape();
const scrapeMs = Number(process.hrtime.bigint() - t0) / 1e6;
// The observed calls were counted, or the comparison means nothing.
const counted = /didml_calls_ended_total\{direction="inbound",status="completed"\} (\d+)/.exec(text);
if (!counted || Number(counted[1]) < CALLS * ROUNDS) throw new Error(`the metrics did not count the calls: ${counted?.[0] ?? 'no series'}`);
await client.close();
rmSync(dir, { recursive: true, force: true });

const row = (name, ms, target) => `${name.padEnd(44)} ${((ms / CALLS) * 1000).toFixed(0).padStart(9)} µs  ${(ms / base).toFixed(2).padStart(6)}x  (target ${target})`;
console.log(`\nmetrics: ${CALLS} simulated calls of ${Object.keys(FLOW).length} documents per round, ${CONCURRENCY} at once, best of ${ROUNDS}`);
console.log(row('no metrics (baseline)', base, '1x'));
console.log(row('observed as didml serve does', withMetrics, '≤ 1.05x'));
console.log(`${'one scrape after them'.padEnd(44)} ${(scrapeMs * 1000).toFixed(0).padStart(9)} µs  (${(text.length / 1024).toFixed(1)} KiB of text)`);
