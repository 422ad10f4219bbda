#!/usr/bin/env node
// Call-flow scenarios per second (`didml test`), run at the end of `npm run bench` (or alone:
// `node bench/scenarios.mjs` after `npx tsc -p tsconfig.build.json`). Printed beside a baseline
// measured in the same run, never asserted (timings depend on the machine):
//   1. a ten-step scenario (an IVR: the menu, a key, the webhook, a parallel dial, the action,
//      hang-up and status; an in-process app) through the whole runner (schema check, the call
//      in virtual time, matching, snapshot lines), beside the same call through simulateCall
//      alone (the baseline: what the runner adds is checking). Target: 1,000 scenarios per
//      second per core, counted in this process's CPU time (one core: Node runs it on one).
//   2. the fixtures/flows suite as `didml test fixtures/flows` runs it (every app kind: folders,
//      in-process modules; files read and checked each time).
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { runScenario, runScenarios, ClientPool, resolveApp } = await dist('testing/index.js');
const { simulateCall } = await dist('runtime/simulate.js');
const { sequentialIds } = await dist('ids.js');

const CONCURRENCY = 16;
const N = 2000;
const ROUNDS = 5;

const ivrDir = join(root, 'fixtures/flows/ivr');
const TEN_STEPS = {
  name: 'IVR: 1 for sales, ten steps',
  app: { url: 'app.mjs', path: '/voice' },
  call: { caller: [{ digits: '1' }], callees: { '+14155550123': { ring: 8 }, 'sip:sales@pbx.example.com': { ring: 3, talk: 120 } } },
  expect: [
    { say: { contains: 'For sales press 1' } },
    { gather: { input: 'dtmf speech', digits: '1', endedBy: 'num-digits' } },
    { webhook: { path: '/menu', params: { Digits: '1', CallStatus: 'in-progress' } } },
    { say: 'Connecting you to sales.' },
    { event: { type: 'bridge' } },
    { dial: { to: ['+14155550123', 'sip:sales@pbx.example.com'], headers: { 'X-Department': 'sales' }, status: 'completed', duration: 120 } },
    { webhook: { path: '/after-dial', params: { DialCallStatus: 'completed' } } },
    { say: { contains: 'Nobody' }, not: true },
    { hangup: 'app' },
    { status: 'completed' },
  ],
};

/** `total` tasks, `concurrency` at a time; wall and CPU milliseconds. */
async function pool(total, concurrency, task) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await task();
      }
    }),
  );
  const ms = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  return { n: total, ms, cpu: (c.user + c.system) / 1000 };
}
const better = (a, b) => (!b || a.cpu / a.n < b.cpu / b.n ? a : b);

const clients = new ClientPool();
const source = { scenario: TEN_STEPS, dir: ivrDir };
let failures = 0;
let firstFailure;
const scenario = async () => {
  const r = await runScenario(source, { clients });
  if (r.status !== 'passed') {
    failures++;
    firstFailure ??= r.failures[0]?.title ?? r.problems[0];
  }
};
// The baseline: the same call, same app and client, without the runner around it.
const app = await resolveApp(TEN_STEPS.app, ivrDir);
const webhooks = app.client(clients, undefined);
const bare = async () => {
  await simulateCall({ app: app.app, call: TEN_STEPS.call, webhooks, ids: sequentialIds() });
};

await pool(300, CONCURRENCY, bare);
await pool(300, CONCURRENCY, scenario);
let base;
let full;
for (let r = 0; r < ROUNDS; r++) {
  base = better(await pool(N, CONCURRENCY, bare), base);
  full = better(await pool(N, CONCURRENCY, scenario), full);
}

const flows = join(root, 'fixtures/flows');
await runScenarios([flows], { clients });
let suite;
let suiteCount = 0;
let suiteFailed = 0;
for (let r = 0; r < ROUNDS; r++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  for (let k = 0; k < 10; k++) {
    const s = await runScenarios([flows], { clients, concurrency: CONCURRENCY });
    n += s.results.length;
    suiteCount = s.results.length;
    suiteFailed += s.results.filter((x) => x.status === 'failed' || x.status === 'invalid').length;
  }
  const c = process.cpuUsage(cpu0);
  suite = better({ n, ms: performance.now() - t0, cpu: (c.user + c.system) / 1000 }, suite);
}
await clients.close();

const row = (name, r, ratio, target) =>
  `${name.padEnd(44)} ${String(r.n).padStart(6)} ${r.ms.toFixed(0).padStart(6)} ms ${((r.n / r.ms) * 1000).toFixed(0).padStart(6)}/s wall ${((r.n / r.cpu) * 1000).toFixed(0).padStart(6)}/s per core ${ratio}  (target ${target})`;
console.log('');
console.log(`scenarios: ${CONCURRENCY} at a time, best of ${ROUNDS}; per core = per second of this process's CPU time`);
console.log(row('simulateCall alone, ten-step IVR (baseline)', base, '     1x', '-'));
console.log(row('didml test scenario, ten steps', full, `${(full.cpu / full.n / (base.cpu / base.n)).toFixed(2).padStart(6)}x`, '≥ 1,000/s per core'));
console.log(row(`fixtures/flows suite (${suiteCount} scenarios) ×10`, suite, '      -', '-'));
if (failures) console.log(`  ! ${failures} ten-step scenarios did not pass (first: ${firstFailure})`);
if (suiteFailed) console.log(`  ! ${suiteFailed} suite scenarios failed or were invalid`);
