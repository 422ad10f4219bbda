// The fuzz loop shared by the test suite (a fixed seed, a few thousand cases) and `npm run fuzz`
// (any seed, as long as asked): make case n of the seed, check it, keep what failed and the
// slowest case. A failing input can be shrunk to a small one that fails the same way.
import { checkCase, type CheckOptions, type Violation } from './check.js';
import { makeCase, MAX_LENGTH, type FuzzCase } from './mutate.js';
import { Random } from './random.js';

export interface RunOptions {
  seed: number;
  /** Stop after this many cases… */
  cases: number;
  /** …or after this many seconds, whichever comes first (0: no time limit). */
  seconds?: number;
  dialects?: CheckOptions['dialects'];
  /** Documents to mutate. */
  seeds: readonly string[];
  /** The longest input to make (the suite keeps cases small; the long run goes past 64 KiB). */
  maxLength?: number;
  /** Called after each case (progress, early stop by returning false). */
  onCase?: (n: number, c: FuzzCase, violations: Violation[]) => boolean | void;
}

export interface Failure {
  n: number;
  case: FuzzCase;
  violations: Violation[];
}

export interface RunResult {
  cases: number;
  /** Cases that failed. */
  failed: number;
  /** The first failing case of each kind (signature), in order: a long run keeps no more. */
  failures: Failure[];
  /** The case that took longest, and how long (ms). */
  slowest: { n: number; ms: number; recipe: string[]; length: number };
  /** Cases by what made them: which mutations the run exercised. */
  recipes: Map<string, number>;
}

/** Case `n` of a seed: the same on every machine and in every run (for the same maxLength). */
export function caseOf(seed: number, n: number, seeds: readonly string[], maxLength = MAX_LENGTH): FuzzCase {
  return makeCase(new Random(seed).fork(n), seeds, maxLength);
}

/** Loads the grammars and warms the code up, so that the first case's time is its own. */
function warmUp(): void {
  checkCase({ recipe: [], input: '<Response><Say>Hi</Say><Dial><Number>+14155550100</Number></Dial></Response>' });
}

export function runFuzz(o: RunOptions): RunResult {
  const failures: Failure[] = [];
  const kinds = new Set<string>();
  let failed = 0;
  const recipes = new Map<string, number>();
  let slowest = { n: -1, ms: -1, recipe: [] as string[], length: 0 };
  warmUp();
  const started = performance.now();
  let n = 0;
  for (; n < o.cases; n++) {
    if (o.seconds && performance.now() - started > o.seconds * 1000) break;
    const c = caseOf(o.seed, n, o.seeds, o.maxLength);
    for (const step of c.recipe) {
      const name = step.replace(/\(.*$/, '');
      recipes.set(name, (recipes.get(name) ?? 0) + 1);
    }
    const t = performance.now();
    const violations = checkCase(c, { dialects: o.dialects ?? 'all', pick: n });
    const ms = performance.now() - t;
    if (ms > slowest.ms) slowest = { n, ms, recipe: c.recipe, length: c.input.length };
    if (violations.length) {
      failed++;
      const fresh = violations.filter((v) => !kinds.has(signature(v)));
      for (const v of fresh) kinds.add(signature(v));
      if (fresh.length) failures.push({ n, case: c, violations: fresh });
    }
    if (o.onCase?.(n, c, violations) === false) {
      n++;
      break;
    }
  }
  return { cases: n, failed, failures, slowest, recipes };
}

/** What identifies a failure while shrinking: its property and the stage it happened in. */
export function signature(v: Violation): string {
  return `${v.property} ${v.detail.split(/[:( ]/, 1)[0]}`;
}

type Input = string | Uint8Array;

function remove(input: Input, start: number, end: number): Input {
  if (typeof input === 'string') return input.slice(0, start) + input.slice(end);
  const out = new Uint8Array(input.length - (end - start));
  out.set(input.subarray(0, start));
  out.set(input.subarray(end), start);
  return out;
}

/**
 * Delta debugging (ddmin, by removal): the smallest input found that still shows the same
 * violation. `budget` bounds the number of checks.
 */
export function minimize(c: FuzzCase, violation: Violation, options: CheckOptions = { dialects: 'all' }, budget = 2000): FuzzCase {
  const wanted = signature(violation);
  const fails = (input: Input): boolean => {
    budget--;
    return checkCase({ ...c, input }, options).some((v) => signature(v) === wanted);
  };
  // Simpler first: text rather than bytes, default limits.
  if (typeof c.input !== 'string') {
    const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(c.input);
    if (fails(text)) c = { ...c, input: text };
  }
  for (const key of ['maxBytes', 'maxDepth', 'maxAttributes'] as const) {
    if (c[key] === undefined) continue;
    const { [key]: _dropped, ...rest } = c;
    if (checkCase(rest, options).some((v) => signature(v) === wanted)) c = rest;
  }
  let input = c.input;
  let parts = 2;
  while (input.length >= 2 && budget > 0) {
    const size = Math.ceil(input.length / parts);
    let shrunk = false;
    for (let start = 0; start < input.length && budget > 0; start += size) {
      const candidate = remove(input, start, Math.min(input.length, start + size));
      if (fails(candidate)) {
        input = candidate;
        parts = Math.max(parts - 1, 2);
        shrunk = true;
        break;
      }
    }
    if (!shrunk) {
      if (size <= 1) break;
      parts = Math.min(parts * 2, input.length);
    }
  }
  return { ...c, input };
}
