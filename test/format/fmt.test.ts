// `didml fmt` as data: fixtures/format/<name>.xml formats to <name>.formatted.xml (which is its
// own format, and means the same), and fixtures/format/refused/<name>.xml is not formatted at
// all, with a reason.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDocument, lint } from '../../src/index.js';
import { shapeOf } from '../fuzz/check.js';

const root = join(import.meta.dirname, '../../fixtures/format');
const xml = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml') && !f.endsWith('.formatted.xml')) : []);
const fmt = (source: string) => formatDocument(lint(source).document);

describe('fmt fixtures', () => {
  it.each(xml(root))('%s formats as expected, and that is its own format', (name) => {
    const expected = readFileSync(join(root, name.replace(/\.xml$/, '.formatted.xml')), 'utf8');
    const source = readFileSync(join(root, name), 'utf8');
    const { output, reason } = fmt(source);
    expect(reason).toBeUndefined();
    expect(output).toBe(expected);
    expect(fmt(expected).output).toBe(expected);
    // The same elements, attributes and text (trimmed where it is not mixed with elements).
    const tree = (s: string) => shapeOf(lint(s).document.root!);
    expect(tree(expected)).toEqual(tree(source));
  });

  it.each(xml(join(root, 'refused')))('refused/%s is not formatted', (name) => {
    const { output, reason } = fmt(readFileSync(join(root, 'refused', name), 'utf8'));
    expect(output).toBeNull();
    expect(reason).toMatch(/^line \d+: .*\(fix (it|them) first/);
  });
});

describe('fmt', () => {
  it('refuses a name XML cannot hold instead of throwing', () => {
    // parse never makes one (an unpaired surrogate reads as U+FFFD), but a Document is public.
    const doc = lint('<Response><Say v="1">Hi</Say></Response>').document;
    const say = doc.root!.children[0]!;
    say.attrs[0]!.name = 'v\uD83Dx';
    const { output, reason } = formatDocument(doc);
    expect(output).toBeNull();
    expect(reason).toMatch(/^line 1: <Say> cannot be written as XML: .*Invalid XML name/);
    expect(fmt('<Response><Say v\uD83Dx="1">Hi</Say></Response>').output).toContain('<Say v\uFFFDx="1">');
  });
});
