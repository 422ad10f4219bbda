// `lint --fix` must leave nothing fixable behind, and keep what the document means: the same
// elements in the same tree, the same attributes (a case fix may respell one), no verb lost.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyFixes, lint, lintAndFix, type Projected } from '../../src/index.js';

const repo = join(import.meta.dirname, '../..');
const corpus = join(repo, '../shared/corpus/real');

function xmlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? xmlFiles(join(dir, e.name)) : e.name.endsWith('.xml') ? [join(dir, e.name)] : [],
  );
}

/** What a document means, for this comparison: element names, attribute names (any case), tree. */
function shape(p: Projected | null): unknown {
  if (!p) return null;
  return {
    name: p.name,
    attributes: Object.keys(p.attributes)
      .map((a) => a.toLowerCase())
      .sort(),
    children: p.children.map(shape),
  };
}

// Not fixtures/fuzz/: inputs the fuzzer shrank, garbage by design, with their own properties
// (test/fuzz/regressions.test.ts); past 20 recoveries a fix may rightly read them otherwise.
const files = [...xmlFiles(join(repo, 'fixtures')).filter((f) => !f.includes('/fixtures/fuzz/')), ...xmlFiles(join(repo, 'examples')), ...xmlFiles(corpus)];

describe('lint --fix', () => {
  it('finds documents to fix', () => {
    const fixable = files.filter((f) => lint(readFileSync(f, 'utf8')).diagnostics.some((d) => d.fix));
    expect(fixable.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [f.slice(repo.length - 'main'.length), f] as const))('%s: fixed output keeps its shape', (_n, f) => {
    const source = readFileSync(f, 'utf8');
    const before = lint(source);
    if (!before.diagnostics.some((d) => d.fix)) return;
    const { output, result } = lintAndFix(source);
    expect(result.diagnostics.filter((d) => d.fix).map((d) => `${d.line}:${d.column} ${d.rule}`)).toEqual([]);
    expect(shape(result.projected)).toEqual(shape(before.projected));
    // A second run changes nothing.
    expect(lintAndFix(output, { dialect: result.dialect }).output).toBe(output);
  });
});

describe('lintAndFix', () => {
  it('keeps the dialect the first pass chose, and says why, even once the fix removed the clue', () => {
    // <say> in lower case is what makes this DIDML; the fixed document would read as TwiML.
    const r = lintAndFix('<Response><say>Hi</Say></Response>');
    expect(r.result.dialect).toBe('didml');
    expect(r.result.dialectReason).toContain('lower case');
  });
});

describe('applyFixes', () => {
  const d = (start: number, end: number, text: string) =>
    ({ rule: 'r', severity: 'warning', message: '', line: 1, column: 1, endLine: 1, endColumn: 1, start, end, fix: { description: '', edits: [{ start, end, text }] } }) as const;

  it('applies non-overlapping fixes from the end so offsets stay valid', () => {
    expect(applyFixes('abcdef', [d(0, 1, 'A'), d(4, 6, 'EF!')]).output).toBe('AbcdEF!');
  });

  it('applies a fix of 200,000 edits in one pass over the text (its edits were spread into Math.min, and each copied the text)', () => {
    const source = '&'.repeat(200_000);
    const edits = Array.from({ length: 200_000 }, (_, i) => ({ start: i + 1, end: i + 1, text: 'amp;' }));
    const all = { rule: 'r', severity: 'warning', message: '', line: 1, column: 1, endLine: 1, endColumn: 1, start: 0, end: 1, fix: { description: '', edits } } as const;
    const r = applyFixes(source, [all, d(0, 0, '<x>')]);
    expect(r.output).toBe(`<x>${'&amp;'.repeat(200_000)}`);
    expect(r.applied).toHaveLength(2);
  });

  it('leaves an overlapping fix for the next pass', () => {
    const r = applyFixes('abcdef', [d(0, 3, 'X'), d(2, 4, 'Y')]);
    expect(r.output).toBe('Xdef');
    expect(r.applied).toHaveLength(1);
  });
});
