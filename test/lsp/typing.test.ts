// Documents in the states typing leaves them in: real documents with a tag half-typed at random
// places (a seeded generator, so a failure repeats). Completion and hover must answer every one,
// and every completion's edit must end at the cursor and start on or before it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MarkupKind } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { lint } from '../../src/validate/lint.js';
import { complete } from '../../src/lsp/completion.js';
import { hover } from '../../src/lsp/hover.js';
import { repo } from './client.js';

function* xmlFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) yield* xmlFiles(join(dir, e.name));
    else if (e.name.endsWith('.xml')) yield join(dir, e.name);
  }
}

const corpus = join(repo, '../shared/corpus/real');
const documents = [
  ...xmlFiles(join(repo, 'examples')),
  ...(existsSync(corpus) ? [...xmlFiles(corpus)].filter((_, i) => i % 30 === 0) : []),
].map((f) => readFileSync(f, 'utf8'));

// What a user has typed at the cursor a moment before asking.
const TYPED = ['<', '</', ' ', '="', '"', '>', 'x', '<Ga', '<dial ', ' method="', ' input="dtmf ', '<!-- ', '{{'];

/** mulberry32: small, seeded. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('completion and hover while typing', () => {
  it(`answer in ${documents.length} documents with something half-typed at random places`, () => {
    const next = random(13);
    let asked = 0;
    let offered = 0;
    for (const original of documents) {
      for (let k = 0; k < 12; k++) {
        const at = Math.floor(next() * (original.length + 1));
        const typed = TYPED[Math.floor(next() * TYPED.length)] as string;
        const text = original.slice(0, at) + typed + original.slice(at);
        const cursor = at + typed.length;
        const doc = TextDocument.create('file:///t.xml', 'xml', 1, text);
        const result = lint(text);
        const where = `${JSON.stringify(typed)} typed at ${at} of ${JSON.stringify(original.slice(0, 60))}`;
        const items = complete(doc, result, cursor, { snippets: true, markup: MarkupKind.Markdown });
        hover(doc, result, cursor, MarkupKind.Markdown);
        asked++;
        offered += items.length;
        const end = doc.positionAt(cursor);
        for (const item of items) {
          if (!item.textEdit || !('range' in item.textEdit)) continue;
          expect(item.textEdit.range.end, where).toEqual(end);
          expect(doc.offsetAt(item.textEdit.range.start), where).toBeLessThanOrEqual(cursor);
        }
      }
    }
    expect(asked).toBe(documents.length * 12);
    // Most places offer something: the check above is not vacuous.
    expect(offered).toBeGreaterThan(asked);
  });
});
