#!/usr/bin/env node
// `npm run fuzz`: the fuzzer of test/fuzz/ for as long as asked, with any seed. Each kind of
// failure is shrunk and saved, ready to become a fixture in fixtures/fuzz/.
//
//   npm run fuzz                                  a random seed, 60 seconds
//   npm run fuzz -- --seed 42 --cases 100000      a given seed, until 100,000 cases (or 60 s)
//   npm run fuzz -- --seconds 0 --cases 5000      no time limit
//   npm run fuzz -- --seed 42 --case 1234         one case: its recipe, input and what fails
//
// Options: --seed <n>, --cases <n>, --seconds <s> (0: none), --case <n>, --max-length <chars>
// (default 300000: past the 64 KiB limit), --dialects all|one (default all), --out <folder>
// (default: a didml-fuzz folder in the system's temporary folder). Exit code 1 when a property
// failed.
//
// The fuzzer is TypeScript run in place: Vite (which comes with Vitest) loads it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Vite as Vitest finds it (hoisted or not): it is Vitest's dependency, not ours.
const vitest = createRequire(createRequire(import.meta.url).resolve('vitest/package.json'));
const { runnerImport } = await import(pathToFileURL(vitest.resolve('vite')).href);

function usage(message) {
  process.stderr.write(`didml fuzz: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      seed: { type: 'string' },
      cases: { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
      seconds: { type: 'string', default: '60' },
      case: { type: 'string' },
      'max-length': { type: 'string', default: '300000' },
      dialects: { type: 'string', default: 'all' },
      out: { type: 'string', default: join(tmpdir(), 'didml-fuzz') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (args.help) {
  process.stdout.write('usage: npm run fuzz -- [--seed n] [--cases n] [--seconds s] [--case n] [--max-length chars] [--dialects all|one] [--out folder]\n');
  process.exit(0);
}
const number = (name, value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} wants a whole number, not ${JSON.stringify(value)}`);
  return n;
};
const seed = args.seed === undefined ? Math.floor(Math.random() * 0x100000000) : number('seed', args.seed);
const cases = number('cases', args.cases);
const seconds = Number(args.seconds);
if (!(seconds >= 0)) usage(`--seconds wants a number of seconds, not ${JSON.stringify(args.seconds)}`);
const maxLength = number('max-length', args['max-length']);
if (args.dialects !== 'all' && args.dialects !== 'one') usage('--dialects is all or one');

const load = async (file) => (await runnerImport(join(repo, file), { configFile: false, root: repo, logLevel: 'silent' })).module;
const [engine, check, { loadSeeds }] = await Promise.all([load('test/fuzz/engine.ts'), load('test/fuzz/check.ts'), load('test/fuzz/seeds.ts')]);
const seeds = loadSeeds();

const show = (input) =>
  typeof input === 'string' ? JSON.stringify(input.length > 2000 ? `${input.slice(0, 2000)}…` : input) : `bytes ${JSON.stringify([...input.slice(0, 500)])}${input.length > 500 ? '…' : ''}`;
const limits = (c) => Object.fromEntries(['maxBytes', 'maxDepth', 'maxAttributes'].filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));

if (args.case !== undefined) {
  const n = number('case', args.case);
  const c = engine.caseOf(seed, n, seeds.texts, maxLength);
  const violations = check.checkCase(c, { dialects: 'all', pick: n });
  process.stdout.write(`seed ${seed}, case ${n}: ${c.recipe.join(', ')} ${JSON.stringify(limits(c))}\ninput (${c.input.length}): ${show(c.input)}\n`);
  for (const v of violations) process.stdout.write(`✗ ${v.property}: ${v.detail}\n`);
  if (!violations.length) process.stdout.write('✓ every property holds\n');
  process.exit(violations.length ? 1 : 0);
}

process.stdout.write(`didml fuzz: seed ${seed}, ${seeds.texts.length} seed documents, ${seconds ? `${seconds} s` : 'no time limit'}${cases < Number.MAX_SAFE_INTEGER ? `, at most ${cases} cases` : ''}\n`);
const started = Date.now();
let lastReport = started;
const seen = new Map();
const result = engine.runFuzz({
  seed,
  cases,
  seconds,
  maxLength,
  dialects: args.dialects,
  seeds: seeds.texts,
  onCase(n, c, violations) {
    for (const v of violations) {
      const key = engine.signature(v);
      if (seen.has(key)) continue;
      seen.set(key, n);
      process.stdout.write(`\n✗ case ${n} (${c.recipe.join(', ')}): ${v.property}: ${v.detail}\n`);
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      process.stdout.write(`  ${n + 1} cases, ${Math.round((Date.now() - started) / 1000)} s, ${seen.size} kinds of failure\n`);
    }
  },
});

process.stdout.write(`\n${result.cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s; slowest: case ${result.slowest.n}, ${result.slowest.ms.toFixed(0)} ms, ${result.slowest.length} characters (${result.slowest.recipe.join(', ')})\n`);
if (!result.failures.length) {
  process.stdout.write('✓ every property held\n');
  process.exit(0);
}

// One shrunk example of each kind of failure, saved where it can be copied into fixtures/fuzz/.
mkdirSync(args.out, { recursive: true });
const done = new Set();
for (const f of result.failures) {
  for (const v of f.violations) {
    const key = engine.signature(v);
    if (done.has(key)) continue;
    done.add(key);
    const small = engine.minimize(f.case, v, { dialects: args.dialects });
    const base = join(args.out, `${seed}-${f.n}-${v.property}`);
    writeFileSync(`${base}.xml`, small.input);
    const extra = limits(small);
    if (Object.keys(extra).length) writeFileSync(`${base}.json`, `${JSON.stringify(extra)}\n`);
    process.stdout.write(`\n✗ ${v.property} (case ${f.n}): ${v.detail}\n  shrunk to ${small.input.length}: ${show(small.input)}\n  saved: ${base}.xml${Object.keys(extra).length ? ` (+ .json: ${JSON.stringify(extra)})` : ''}\n  again: npm run fuzz -- --seed ${seed} --case ${f.n}${maxLength !== 300000 ? ` --max-length ${maxLength}` : ''}\n`);
  }
}
process.stdout.write(`\n${result.failed} failing cases, ${done.size} kinds. Copy a saved file into fixtures/fuzz/ (named after the problem) once it is fixed.\n`);
process.exit(1);
