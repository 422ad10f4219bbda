#!/usr/bin/env node
// `npm run bench`: didml's hot paths against baselines measured in the same run, printed as
// ratios (never asserted in tests: timings depend on the machine).
//   1. parse + validate + lint of a few thousand documents vs raw saxes tokenising the same
//      strings (target: within 2x);
//   2. `didml lint one.xml` start-up vs a bare `node -e ''` (target: within 1.5x).
import { readFileSync, readdirSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { SaxesParser } from 'saxes';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { lint, parse } = await import(join(root, 'dist/index.js'));

function documents() {
  const docs = [];
  const corpus = join(root, '../shared/corpus/real');
  if (existsSync(join(corpus, 'INDEX.tsv'))) {
    for (const line of readFileSync(join(corpus, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1)) {
      const [file, , , valid] = line.split('\t');
      if (valid === 'yes') docs.push(readFileSync(join(corpus, file), 'utf8'));
    }
  }
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.xml')) docs.push(readFileSync(join(dir, e.name), 'utf8'));
    }
  };
  walk(join(root, 'examples'));
  const out = [];
  while (out.length < 3000) out.push(...docs);
  return out.slice(0, 3000);
}

function saxesOnly(doc) {
  const p = new SaxesParser({ position: true });
  let n = 0;
  p.on('opentag', () => n++);
  p.on('text', () => n++);
  p.on('closetag', () => n++);
  p.on('error', () => n++);
  p.write(doc).close();
  return n;
}

function time(fn, docs, rounds) {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const d of docs) fn(d);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

function startup(args, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const docs = documents();
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
// Warm up both paths (JIT, lazy grammar load) before measuring.
time(saxesOnly, docs.slice(0, 300), 2);
time((d) => lint(d), docs.slice(0, 300), 2);
time((d) => parse(d), docs.slice(0, 300), 2);
const base = time(saxesOnly, docs, 5);
const parsed = time((d) => parse(d), docs, 5);
const full = time((d) => lint(d), docs, 5);

const dir = mkdtempSync(join(tmpdir(), 'didml-bench-'));
const one = join(dir, 'voice.xml');
writeFileSync(one, readFileSync(join(root, 'examples/ivr/voice.xml')));
startup(['-e', ''], 3);
startup(['bin/didml.js', 'lint', one], 3);
const bare = startup(['-e', ''], 21);
const cli = startup(['bin/didml.js', 'lint', one], 21);

const row = (name, ms, baseline, target) =>
  `${name.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms  ${(ms / baseline).toFixed(2).padStart(6)}x  (target ${target})`;
console.log(`didml bench: ${docs.length} documents, ${(bytes / 1024).toFixed(0)} KiB, node ${process.version}`);
console.log(row('raw saxes tokenising (baseline)', base, base, '1x'));
console.log(row('didml parse alone (tree, positions)', parsed, base, '-'));
console.log(row('didml parse + validate + lint', full, base, '≤ 2x'));
console.log(`${''.padEnd(44)} ${((docs.length / full) * 1000).toFixed(0).padStart(9)} docs/s`);
console.log(row("bare `node -e ''` start (baseline)", bare, bare, '1x'));
console.log(row('`didml lint one.xml` start to exit', cli, bare, '≤ 1.5x'));
await import('./runtime.mjs'); // the runtime's benchmarks: calls per second against a loopback app, memory per idle call
await import('./scenarios.mjs'); // call-flow scenarios per second (didml test): a ten-step flow beside simulateCall alone, and the fixtures/flows suite
await import('./media.mjs'); // <Connect><Stream>'s relay: RTP frames to Twilio media messages, beside a bare dgram-to-websocket relay
await import('./agent.mjs'); // a mock call to a real Media Streams agent: frames per second each way, beside a bare binary websocket echo
await import('./rest.mjs'); // calls created per second through Twilio's Calls API (mock backend) beside a bare fastify form route
await import('./lsp.mjs'); // `didml lsp`: a keystroke's didChange to its publishDiagnostics on a 64 KiB document, beside a bare lint() of it
await import('./templates.mjs'); // folder documents as templates (TwiML Bins): a static document as before and as served now, a template rendered per request
await import('./metrics.mjs'); // what the Prometheus metrics cost a call: simulated calls with and without the observers didml serve adds
await import('./state.mjs'); // the shared call state: a Redis-backed create + update + read, and a command to the owner, beside the in-process store (skipped without redis-server)
