// Every real-world document in the shared corpus: never a throw, no error on the well-formed
// ones, a diagnostic on the line the index names for the malformed ones.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseStream } from '../../src/parse/index.js';
import { chunked, CORPUS, random } from './support.js';

interface Row {
  file: string;
  dialect: string;
  wellFormed: 'yes' | 'no' | 'unknown';
  notes: string;
}

const present = fs.existsSync(path.join(CORPUS, 'INDEX.tsv'));
const rows: Row[] = present
  ? fs
      .readFileSync(path.join(CORPUS, 'INDEX.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [file = '', dialect = '', , wellFormed = 'unknown', notes = ''] = line.split('\t');
        return { file, dialect, wellFormed: wellFormed as Row['wellFormed'], notes };
      })
  : [];

// Verbs of every dialect in the corpus, so that a bare `<Number>` root reads as clear intent.
const known = new Set(['response', 'say', 'play', 'dial', 'number', 'client', 'sip', 'conference', 'queue', 'gather', 'record', 'redirect', 'pause', 'hangup', 'reject', 'enqueue', 'leave', 'sms', 'message', 'pay', 'prompt', 'start', 'stop', 'connect', 'stream', 'refer', 'speak', 'getdigits', 'wait']);

const read = (row: Row): Uint8Array => new Uint8Array(fs.readFileSync(path.join(CORPUS, row.file)));

describe.skipIf(!present)(`real-world corpus (${CORPUS})`, () => {
  it('is there', () => {
    expect(rows.length).toBeGreaterThan(800);
  });

  it('parses every file without throwing', () => {
    for (const row of rows) {
      const doc = parse(read(row), { knownTags: known });
      for (const d of doc.diagnostics) expect(d.start <= d.end && d.end <= doc.source.length).toBe(true);
    }
  });

  it('finds no error in the files expected to be well-formed', () => {
    const failures = rows
      .filter((r) => r.wellFormed === 'yes')
      .flatMap((row) => parse(read(row), { knownTags: known }).diagnostics.filter((d) => d.severity === 'error').map((d) => `${row.file}:${d.line}:${d.column} ${d.rule} ${d.message}`));
    expect(failures).toEqual([]);
  });

  it('reports the malformed files on the line their notes name', () => {
    const malformed = rows.filter((r) => r.wellFormed === 'no');
    expect(malformed.length).toBeGreaterThan(30);
    const misses: string[] = [];
    for (const row of malformed) {
      const doc = parse(read(row), { knownTags: known });
      expect(doc.diagnostics.length, row.file).toBeGreaterThan(0);
      // The notes quote expat ("parse error: … line N, column M"); each names a line.
      const line = /parse error: [^;]*?line (\d+)/.exec(row.notes)?.[1];
      if (line === undefined) continue;
      if (!doc.diagnostics.some((d) => d.line === Number(line))) {
        misses.push(`${row.file}: expected line ${line}, got ${doc.diagnostics.map((d) => `${d.rule}@${d.line}`).join(', ')}`);
      }
    }
    expect(misses).toEqual([]);
  });

  it('gives the same Document when the files arrive in random chunks', async () => {
    const next = random(7);
    for (const row of rows) {
      const bytes = read(row);
      const streamed = await parseStream(chunked(bytes, () => 1 + Math.floor(next() * 64)), { knownTags: known });
      expect(streamed).toEqual(parse(bytes, { knownTags: known }));
    }
  });
});

if (!present) {
  describe('real-world corpus', () => {
    it.skip(`skipped: the corpus folder ${CORPUS} is absent`, () => {});
  });
}
