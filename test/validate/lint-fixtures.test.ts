// Lint rules tested as data (fixtures/lint/<rule>/{valid,invalid}/): a valid document draws no
// error or warning; an invalid one draws exactly the errors and warnings its .expected.json
// lists, at those positions, and its fix (where the expectation gives `fixed`) produces that text.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint, lintAndFix, type DialectName } from '../../src/index.js';

const root = join(import.meta.dirname, '../../fixtures/lint');

interface Expected {
  rule: string;
  severity?: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  code?: number;
  message?: string;
  fixed?: string;
}

function load(file: string): { dialect?: DialectName; diagnostics: Expected[] } {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Expected[] | { dialect?: DialectName; diagnostics: Expected[] };
  return Array.isArray(data) ? { diagnostics: data } : data;
}

const cases = (kind: 'valid' | 'invalid') =>
  readdirSync(root).flatMap((rule) => {
    const dir = join(root, rule, kind);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.xml'))
          .map((f) => [`${rule}/${f}`, join(dir, f)] as const)
      : [];
  });

describe('lint fixtures', () => {
  it.each(cases('valid'))('%s draws no error or warning', (_name, file) => {
    const result = lint(readFileSync(file));
    const problems = result.diagnostics.filter((d) => d.severity !== 'info');
    expect(problems.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`)).toEqual([]);
  });

  it.each(cases('invalid'))('%s draws what it expects', (_name, file) => {
    const expected = load(file.replace(/\.xml$/, '.expected.json'));
    const source = readFileSync(file, 'utf8');
    const options = expected.dialect ? { dialect: expected.dialect } : {};
    const result = lint(source, options);
    const got = result.diagnostics.filter((d) => d.severity !== 'info');
    expect(got.map((d) => `${d.line}:${d.column} ${d.rule}`)).toEqual(expected.diagnostics.map((e) => `${e.line}:${e.column} ${e.rule}`));
    expected.diagnostics.forEach((e, i) => {
      const d = got[i]!;
      if (e.severity) expect(d.severity).toBe(e.severity);
      if (e.code) expect(d.code).toBe(e.code);
      if (e.endLine) expect([d.endLine, d.endColumn]).toEqual([e.endLine, e.endColumn]);
      if (e.message) expect(d.message).toContain(e.message);
      if (e.fixed !== undefined) expect(lintAndFix(source, options).output).toBe(e.fixed);
    });
  });
});
