// The real-world corpus: 818 documents other people wrote (docs, SDK tests, apps).
// - none may crash the pipeline, and every diagnostic must point inside its document;
// - a document its author meant valid, in a dialect didml supports, draws no error, unless
//   fixtures/corpus/exceptions.json says why it genuinely is wrong (an exception that no longer
//   happens fails too, so the list cannot go stale);
// - a document its author got wrong draws a diagnostic, on the line its notes name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint, type DialectName } from '../../src/index.js';

const corpus = join(import.meta.dirname, '../../../shared/corpus/real');
const present = existsSync(join(corpus, 'INDEX.tsv'));
if (!present) console.warn(`corpus tests skipped: ${corpus} is absent (it ships in the project's shared/ folder)`);

interface Entry {
  file: string;
  dialect: string;
  valid: 'yes' | 'no' | 'unknown';
  notes: string;
}

const entries: Entry[] = present
  ? readFileSync(join(corpus, 'INDEX.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => {
        const [file, dialect, , valid, notes] = l.split('\t');
        return { file: file!, dialect: dialect!, valid: valid as Entry['valid'], notes: notes ?? '' };
      })
  : [];

const exceptions = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/corpus/exceptions.json'), 'utf8')) as Record<
  string,
  { rules: string[]; why: string }
>;

const SUPPORTED = new Set(['twiml', 'didml', 'cxml', 'texml', 'plivo']);
const dialectOf = (e: Entry): DialectName | 'auto' => (SUPPORTED.has(e.dialect) ? (e.dialect as DialectName) : 'auto');
const run = (e: Entry) => lint(readFileSync(join(corpus, e.file)), { dialect: dialectOf(e) });

describe.skipIf(!present)('real-world corpus', () => {
  it('holds 818 documents', () => {
    expect(entries.length).toBe(818);
  });

  it('never crashes, and every diagnostic points inside its document', () => {
    for (const e of entries) {
      const source = readFileSync(join(corpus, e.file), 'utf8');
      const r = run(e);
      for (const d of r.diagnostics) {
        expect(d.start, `${e.file}: ${d.rule}`).toBeGreaterThanOrEqual(0);
        expect(d.end, `${e.file}: ${d.rule}`).toBeLessThanOrEqual(source.length);
        expect(d.line, `${e.file}: ${d.rule}`).toBeGreaterThanOrEqual(1);
        expect(d.column, `${e.file}: ${d.rule}`).toBeGreaterThanOrEqual(1);
      }
    }
  });

  const valid = entries.filter((e) => e.valid === 'yes' && SUPPORTED.has(e.dialect));
  it.each(valid.map((e) => [e.file, e] as const))('%s: meant valid, draws no false error', (_f, e) => {
    const errors = run(e).diagnostics.filter((d) => d.severity === 'error');
    const allowed = exceptions[e.file];
    if (allowed) {
      expect(errors.length, `${e.file} is listed as an exception (${allowed.why}) but draws no error now`).toBeGreaterThan(0);
      expect(errors.filter((d) => !allowed.rules.includes(d.rule)).map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`)).toEqual([]);
    } else {
      expect(errors.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`)).toEqual([]);
    }
  });

  const invalid = entries.filter((e) => e.valid === 'no');
  it.each(invalid.map((e) => [e.file, e] as const))('%s: meant invalid, draws a diagnostic that names it', (_f, e) => {
    const r = run(e);
    const problems = r.diagnostics.filter((d) => d.severity !== 'info');
    expect(problems.length, e.notes).toBeGreaterThan(0);
    // The position expat gave (`parse error: mismatched tag: line 4, column 31`), not a later
    // `line N` of the notes (`identical text also at: … (line 108, …)`).
    const line = /parse error: [^;]*?line (\d+), column \d+/.exec(e.notes)?.[1];
    if (line) {
      // expat (which wrote the notes) stops at the first problem; didml recovers and goes on,
      // so the named line must be among what didml reports.
      expect(problems.map((d) => d.line), e.notes).toContain(Number(line));
    }
  });
});
