#!/usr/bin/env node
// The runtime's benchmarks, run at the end of `npm run bench` (or alone: `node bench/runtime.mjs`
// after `npx tsc -p tsconfig.build.json`). Printed as ratios against baselines measured in the
// same run, never asserted (timings and heap sizes depend on the machine):
//   1. simulated calls through a 5-document flow (Gather → Say + Redirect → Dial → Record →
//      Say + Hangup) against a real HTTP app on loopback, with one shared webhook client, beside
//      a bare undici request loop sending the same form bodies at the same concurrency to the
//      same server (the bound). Target: the runtime's time per request within 1.5x of the bound.
//   2. memory per idle call: 10,000 calls on the mock backend with the real clock, each in a
//      <Pause length="3600"/>, heap against the heap before they were placed. Target: < 20 KiB.
// The app server and the memory run are child processes: the server gets its own core (its
// cost is not the runtime's), and the heap is measured in a fresh process with --expose-gc.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent } from 'undici';

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);

const CALLS = 300; // calls per measured round
const CONCURRENCY = 20; // calls (and so requests) in flight at once
const ROUNDS = 5; // measured rounds of each, alternating; the best of each is kept
const WALL_MS = 20_000; // the throughput measurement stops starting calls after this
const IDLE_CALLS = 10_000;
const IDLE_WAIT_MS = 60_000; // for all idle calls to reach their pause, and again to end

// ---------------------------------------------------------------------------------------------
// The app: five documents, as an app author would serve them.
const FLOW = {
  '/voice': () =>
    '<Response><Gather action="/menu" numDigits="1" timeout="5"><Say>Press 1 for sales, 2 for support.</Say></Gather><Say>We did not hear you.</Say></Response>',
  '/menu': (p) => `<Response><Say>You pressed ${p.get('Digits') ?? 'nothing'}. Connecting you.</Say><Redirect>/step3</Redirect></Response>`,
  '/step3': () => '<Response><Dial action="/after-dial" timeout="20"><Number>+14155550111</Number></Dial></Response>',
  '/after-dial': () => '<Response><Say>Please leave a message after the beep.</Say><Record action="/done" maxLength="30" finishOnKey="#"/></Response>',
  '/done': () => '<Response><Say>Thank you, goodbye.</Say><Hangup/></Response>',
};
const PER_CALL = Object.keys(FLOW).length;
/** What the caller does: presses 1 at the Gather, talks 4 s at the Record and presses #. */
const SCRIPT = { caller: [{ digits: '1' }, { record: 4, digits: '#' }] };

/** Child process: the loopback app. Answers per path; counts requests and bad ones. */
function serveApp() {
  const counts = {};
  let bad = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url.split('?')[0];
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const doc = FLOW[path];
      counts[path] = (counts[path] ?? 0) + 1;
      if (!doc || !params.get('CallSid')) {
        bad++;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
        return;
      }
      const body = doc(params);
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'stats') process.send({ counts, bad });
    if (m === 'reset') {
      for (const k of Object.keys(counts)) delete counts[k];
      bad = 0;
      process.send({ reset: true });
    }
  });
}

/**
 * Runs `total` tasks, `concurrency` at a time, starting none after `deadline`. Returns how many
 * ran, the wall time and this process's CPU time (the app server is another process), in ms.
 */
async function pool(total, concurrency, deadline, task) {
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (next < total && performance.now() < deadline) {
      const i = next++;
      await task(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpu0);
  return { n: done, ms: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 };
}

async function throughput() {
  const { simulateCall } = await dist('runtime/simulate.js');
  const { compileDocument } = await dist('runtime/document.js');
  const { createWebhookClient, createHttpTransport } = await dist('webhook/index.js');

  const server = fork(self, ['--serve-app'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (m) =>
    new Promise((resolve) => {
      server.once('message', resolve);
      server.send(m);
    });
  const { port } = await new Promise((resolve, reject) => {
    server.once('message', resolve);
    server.once('exit', (code) => reject(new Error(`the app server exited (${code}) before it listened`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  const app = { url: `${origin}/voice` };

  try {
    // The requests the runtime sends, captured once through a recording transport: the bare loop
    // replays exactly these (method, path, headers, form body), one call's worth after another.
    // The documents the app answered are kept too, for the compile-only reference row.
    const recorded = [];
    const answers = [];
    const http = createHttpTransport();
    const recorder = createWebhookClient({
      transport: {
        async send(req, signal) {
          recorded.push({ path: new URL(req.url).pathname, method: req.method, headers: req.headers, body: req.body });
          const res = await http.send(req, signal);
          answers.push(res.body);
          return res;
        },
      },
    });
    await pool(CALLS, CONCURRENCY, Infinity, () => simulateCall({ app, call: SCRIPT, webhooks: recorder }));
    await recorder.close();
    await http.close();

    const webhooks = createWebhookClient();
    let failures = 0;
    let firstFailure;
    const oneCall = async () => {
      const { summary } = await simulateCall({ app, call: SCRIPT, webhooks });
      if (summary.status !== 'completed' || summary.documents !== PER_CALL || summary.errors.length > 0) {
        failures++;
        firstFailure ??= summary;
      }
    };

    const agent = new Agent({ keepAliveTimeout: 60_000 });
    const bare = async (i) => {
      const r = recorded[i % recorded.length];
      const res = await agent.request({ origin, path: r.path, method: r.method, headers: r.headers, body: r.body });
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.startsWith('<Response>')) throw new Error(`bare loop: ${r.path} answered ${res.statusCode}`);
    };
    const compileOnly = async (i) => {
      // A comment of its own makes each body new to compileDocument's cache: this row is the
      // cost of compiling, which the runtime pays only for a body it has not seen lately.
      if (compileDocument(`${answers[i % answers.length]}<!-- ${i} -->`, 'auto', 65536) instanceof Error) throw new Error('a document of the flow does not compile');
    };

    // Warm every path (JIT, grammar load, connections), then alternate measured rounds.
    await pool(60, CONCURRENCY, Infinity, oneCall);
    await pool(60 * PER_CALL, CONCURRENCY, Infinity, bare);
    await pool(CALLS * PER_CALL, 1, Infinity, compileOnly);
    await ask('reset');
    failures = 0;
    const deadline = performance.now() + WALL_MS;
    const per = (r) => r.ms / r.n;
    const better = (a, b) => (!b || per(a) < per(b) ? a : b);
    let bound; // best bare round: requests
    let best; // best runtime round: calls
    let compile; // best compile-only round: documents
    let calls = 0;
    let bareTotal = 0;
    let rounds = 0;
    for (; rounds < ROUNDS && performance.now() < deadline; rounds++) {
      const b = await pool(CALLS * PER_CALL, CONCURRENCY, Infinity, bare);
      bareTotal += b.n;
      bound = better(b, bound);
      const c = await pool(CALLS, CONCURRENCY, deadline, oneCall);
      calls += c.n;
      if (c.n > 0) best = better(c, best);
      compile = better(await pool(CALLS * PER_CALL, 1, Infinity, compileOnly), compile);
    }
    const stats = await ask('stats');
    await webhooks.close();
    await agent.close();

    const runtime = { n: best.n * PER_CALL, ms: best.ms, cpu: best.cpu }; // as requests
    const us = (x) => (x * 1000).toFixed(0).padStart(6);
    const row = (name, r, ratio, target) =>
      `${name.padEnd(44)} ${String(r.n).padStart(6)} ${r === compile ? 'doc' : 'req'} ${r.ms.toFixed(0).padStart(6)} ms ${((r.n / r.ms) * 1000).toFixed(0).padStart(7)}/s ${us(r.ms / r.n)} µs ${us(r.cpu / r.n)} µs cpu ${ratio.toFixed(2).padStart(6)}x  (target ${target})`;
    console.log('');
    console.log(
      `runtime: calls through a ${PER_CALL}-document flow on a loopback app (another process), ${CONCURRENCY} at a time, best of ${rounds}; per request: wall time, this process's CPU`,
    );
    console.log(row('bare undici request loop (baseline)', bound, 1, '1x'));
    console.log(row('didml simulated calls, shared client', runtime, per(runtime) / per(bound), '≤ 1.5x'));
    console.log(`${''.padEnd(44)} ${((best.n / best.ms) * 1000).toFixed(0).padStart(6)} calls/s`);
    console.log(row('for reference: compile new documents alone', compile, per(compile) / per(bound), '-'));

    const expected = calls * PER_CALL + bareTotal; // measured rounds only: counts were reset after the warm-up
    const served = Object.values(stats.counts).reduce((a, b) => a + b, 0);
    const problems = [];
    if (failures) problems.push(`${failures} calls did not run the whole flow (first: ${JSON.stringify(firstFailure)})`);
    if (stats.bad) problems.push(`the app answered ${stats.bad} requests with 404`);
    if (served !== expected) problems.push(`the app served ${served} requests, not the ${expected} the calls and the bare loop sent`);
    for (const p of problems) console.log(`  ! ${p}`);
    return problems.length === 0;
  } finally {
    server.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Memory per idle call, in a child process run with --expose-gc.

const PAUSE_DOC = '<Response><Pause length="3600"/></Response>';

async function idleMemoryChild() {
  const { realClock } = await dist('clock.js');
  const { runCall } = await dist('runtime/index.js');
  const { createMockAdapter } = await dist('telephony/mock/index.js');
  const webhook = await dist('webhook/index.js');
  const { createWebhookClient, folderAppUrl } = webhook;

  // The app: the in-process handler transport when this build has one, else a folder app.
  let app;
  let webhooks;
  let folder;
  if (typeof webhook.handlerTransport === 'function') {
    app = { url: 'http://app.invalid/voice' };
    webhooks = createWebhookClient({ transport: webhook.handlerTransport(() => PAUSE_DOC) });
  } else {
    folder = mkdtempSync(join(tmpdir(), 'didml-bench-idle-'));
    writeFileSync(join(folder, 'voice.xml'), PAUSE_DOC);
    app = { url: folderAppUrl(folder) };
    webhooks = createWebhookClient();
  }

  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      globalThis.gc();
      await new Promise((r) => setImmediate(r));
    }
    globalThis.gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, rss: m.rss };
  };
  const waitFor = async (cond, what) => {
    const until = performance.now() + IDLE_WAIT_MS;
    while (!cond()) {
      if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /** Places `n` calls as `didml serve` does (a Session per call on the adapter), all into the pause. */
  const place = async (n) => {
    const adapter = createMockAdapter({ clock: realClock });
    let paused = 0;
    adapter.onEvent((e) => {
      if (e.type === 'pause') paused++;
    });
    const summaries = [];
    await adapter.listen((call) => summaries.push(runCall(call, { app, webhooks, clock: realClock })));
    for (let i = 0; i < n; i++) {
      adapter.placeCall({});
      if (i % 500 === 499) await new Promise((r) => setImmediate(r)); // let requests drain as a server would
    }
    await waitFor(() => paused === n, `${n} calls to reach their <Pause> (${paused} did)`);
    return { adapter, summaries };
  };

  // Warm up (JIT, grammar load, lazy modules) with a few calls ended at once.
  const warm = await place(200);
  await warm.adapter.close();
  await Promise.all(warm.summaries);

  const before = await settle();
  const t0 = performance.now();
  const run = await place(IDLE_CALLS);
  const placeMs = performance.now() - t0;
  const during = await settle();

  // End them: the backend drops every call; every session must end.
  const t1 = performance.now();
  await run.adapter.close();
  let ended = 0;
  const statuses = {};
  for (const p of run.summaries) {
    p.then((s) => {
      ended++;
      statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    });
  }
  await waitFor(() => ended === IDLE_CALLS, `${IDLE_CALLS} calls to end (${ended} did)`);
  const endMs = performance.now() - t1;
  // Still holding the adapter (as a long-running server holds its backend): what ended calls keep.
  const afterEnd = await settle();
  const retained = run.adapter.calls.size;
  await webhooks.close();
  if (folder) rmSync(folder, { recursive: true, force: true });

  process.send({
    calls: IDLE_CALLS,
    transport: folder ? 'folder app' : 'handler transport',
    placeMs,
    endMs,
    before,
    during,
    afterEnd,
    retained,
    ended,
    statuses,
  });
}

async function idleMemory() {
  const child = fork(self, ['--idle-memory'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('the idle-call memory run took longer than 3 minutes'));
    }, 180_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the idle-call memory run exited (${code}) without a result`));
    });
  });
  child.kill();

  const { calls, before, during, afterEnd } = result;
  const kib = (b) => (b / 1024).toFixed(1);
  const mib = (b) => (b / 1024 / 1024).toFixed(1);
  const per = (key, at) => (at[key] - before[key]) / calls;
  const row = (name, at, target) =>
    `${name.padEnd(44)} heap ${mib(at.heap).padStart(7)} MiB  rss ${mib(at.rss).padStart(7)} MiB  ${at === before ? ''.padStart(36) : `${kib(per('heap', at)).padStart(6)} KiB/call heap ${kib(per('rss', at)).padStart(6)} KiB/call rss`}  (target ${target})`;
  console.log('');
  console.log(`runtime: memory per idle call, ${calls} calls in <Pause length="3600"/> on the mock backend, real clock (${result.transport})`);
  console.log(row('before the calls (baseline)', before, '-'));
  console.log(row(`${calls} calls in progress, idle`, during, '< 20 KiB/call heap'));
  console.log(row('after they all ended (adapter still open)', afterEnd, '-'));
  console.log(
    `${''.padEnd(44)} placed and paused in ${result.placeMs.toFixed(0)} ms; ended in ${result.endMs.toFixed(0)} ms: ${Object.entries(result.statuses).map(([s, n]) => `${n} ${s}`).join(', ')}`,
  );
  console.log(`${''.padEnd(44)} (after the end, the mock adapter still holds ${result.retained} legs and their transcripts, for adapter.transcript(callId))`);
  const ok = result.ended === calls;
  if (!ok) console.log(`  ! only ${result.ended} of ${calls} calls ended`);
  return ok;
}

// ---------------------------------------------------------------------------------------------
if (process.argv[2] === '--serve-app') serveApp();
else if (process.argv[2] === '--idle-memory') await idleMemoryChild();
else {
  // A bound on the whole run, whatever hangs (an app server that stops answering...).
  setTimeout(() => {
    console.error('runtime bench: no result within 5 minutes; giving up');
    process.exit(1);
  }, 300_000).unref();
  const a = await throughput();
  const b = await idleMemory();
  if (!a || !b) process.exitCode = 1;
}
