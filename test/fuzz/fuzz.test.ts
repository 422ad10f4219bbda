// The bounded fuzz run of the test suite: a fixed seed, 2,000 small cases (mutations of the
// fixtures and the corpus, and documents made from the grammars) through parse, lint, lintAndFix
// and fmt, every property checked (check.ts). `npm run fuzz` runs longer, with any seed.
import { describe, expect, it } from 'vitest';
import { checkCase, checkDiagnostics, type Violation } from './check.js';
import { minimize, runFuzz, type Failure } from './engine.js';
import { BYTE_MUTATIONS, MUTATIONS } from './mutate.js';
import { loadSeeds } from './seeds.js';

const SEED = 20_250_601;
const CASES = 2000;

/** A failure as a reader can act on it: the property, and the input shrunk. */
function explain(f: Failure): string {
  const v = f.violations[0] as Violation;
  const small = minimize(f.case, v, { dialects: 'all' }, 300);
  const input = typeof small.input === 'string' ? JSON.stringify(small.input) : `bytes ${JSON.stringify([...small.input])}`;
  return `case ${f.n} (${f.case.recipe.join(', ')}): ${v.property}: ${v.detail}\n  shrunk: ${input}\n  again: npm run fuzz -- --seed ${SEED} --case ${f.n} --max-length 1500`;
}

describe('fuzz', () => {
  const seeds = loadSeeds();

  it(`keeps every property over ${CASES} cases of seed ${SEED}`, () => {
    const r = runFuzz({ seed: SEED, cases: CASES, seeds: seeds.texts, maxLength: 1500, dialects: 'one' });
    expect(r.cases).toBe(CASES);
    expect(r.failures.slice(0, 3).map(explain)).toEqual([]);
    // Every way of making a case was used, so none of them is silently dead.
    const made = [...MUTATIONS, ...BYTE_MUTATIONS.map((b) => `bytes.${b}`), 'seed', 'grammar'];
    expect(made.filter((m) => !r.recipes.get(m))).toEqual([]);
    // Inputs are bounded by construction; only a gross excess fails (timing is not asserted otherwise).
    expect(r.slowest.ms, `case ${r.slowest.n}: ${r.slowest.recipe.join(', ')}`).toBeLessThan(2000);
  }, 120_000);

  it('starts from the fixtures, the examples and the real-world corpus', () => {
    expect(seeds.files.some((f) => f.includes('/fixtures/'))).toBe(true);
    expect(seeds.texts.length).toBeGreaterThan(60);
  });
});

describe('the properties', () => {
  it('catch a diagnostic outside the document or with a line/column its offsets do not give', () => {
    const source = 'ab\ncd';
    const d = { rule: 'r', severity: 'error' as const, message: 'm', line: 2, column: 1, endLine: 2, endColumn: 2, start: 3, end: 4 };
    const found: Violation[] = [];
    checkDiagnostics(found, 'test', source, [d]);
    expect(found).toEqual([]);
    checkDiagnostics(found, 'test', source, [{ ...d, column: 2 }, { ...d, end: 9 }, { ...d, fix: { description: 'x', edits: [{ start: 4, end: 2, text: '' }] } }]);
    expect(found.map((v) => v.detail)).toEqual([
      'test: r at 3-4 (2:2-2:2) should be 2:1-2:2',
      'test: r at 3-9 (2:1-2:2) is outside 0-5',
      'test: r has an edit 4-2 outside 0-5',
    ]);
  });

  it('hold for a clean document', () => {
    expect(checkCase({ recipe: [], input: '<Response><Say>Hi</Say><Hangup/></Response>' })).toEqual([]);
  });
});
