// Every recovery, driven by fixtures/parse/<rule>/*.xml and the expected diagnostics beside them.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, recoveries, type ParseOptions } from '../../src/parse/index.js';
import { LineIndex } from '../../src/parse/positions.js';
import { applyAllFixes, FIXTURES, readFixtures, shape } from './support.js';

interface Expected {
  options?: { knownTags?: string[] };
  diagnostics: Array<{ rule: string; severity: string; line: number; column: number; endLine: number; endColumn: number; message: string }>;
  /** The source with every fix applied; null when there is nothing to fix. */
  fixed: string | null;
}

const fixtures = readFixtures();

function optionsOf(expected: Expected): ParseOptions {
  return expected.options?.knownTags ? { knownTags: new Set(expected.options.knownTags) } : {};
}

describe('recovery fixtures', () => {
  it('cover every recovery', () => {
    for (const r of recoveries) {
      expect(fixtures.some((f) => f.rule === r.rule), `a fixture in ${FIXTURES}/${r.rule.slice(4)}/`).toBe(true);
    }
  });

  for (const { rule, name, file } of fixtures) {
    describe(`${rule} ${name}`, () => {
      const source = fs.readFileSync(file, 'utf8');
      const expected = JSON.parse(fs.readFileSync(file.replace(/\.xml$/, '.expected.json'), 'utf8')) as Expected;
      const options = optionsOf(expected);
      const doc = parse(source, options);

      it('reports the expected diagnostics at exact positions', () => {
        expect(doc.diagnostics.map(({ rule, severity, line, column, endLine, endColumn, message }) => ({ rule, severity, line, column, endLine, endColumn, message }))).toEqual(expected.diagnostics);
        expect(doc.diagnostics.some((d) => d.rule === rule)).toBe(true);
        const lines = new LineIndex(source);
        for (const d of doc.diagnostics) {
          expect(0 <= d.start && d.start <= d.end && d.end <= source.length).toBe(true);
          expect({ line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn }).toEqual(lines.rangeOf(d));
          // Twilio's code: 12102 "The root element must be Response" for a missing root, else 12100.
          expect(d.code).toBe(d.rule === 'xml/missing-root' ? 12102 : 12100);
          expect(d.message.length).toBeGreaterThan(20);
        }
      });

      if (expected.fixed !== null) {
        it('has fixes that give a clean document with the same tree', () => {
          const fixed = applyAllFixes(source, doc.diagnostics);
          expect(fixed).toBe(expected.fixed);
          const again = parse(fixed, options);
          expect(again.diagnostics).toEqual([]);
          expect(shape(again.root)).toEqual(shape(doc.root));
        });
      } else {
        it('has nothing to fix', () => {
          expect(doc.diagnostics.every((d) => !d.fix)).toBe(true);
        });
      }

      it('makes every diagnostic an error in strict mode, fixes kept', () => {
        const strict = parse(source, { ...options, strict: true });
        expect(strict.diagnostics.every((d) => d.severity === 'error')).toBe(true);
        expect(strict.diagnostics.map((d) => ({ ...d, severity: 'error' }))).toEqual(doc.diagnostics.map((d) => ({ ...d, severity: 'error' })));
        expect(strict.root).toEqual(doc.root);
      });

      it('reads the same from UTF-8 bytes', () => {
        expect(parse(new Uint8Array(Buffer.from(source, 'utf8')), options)).toEqual(doc);
      });
    });
  }
});
