// Limits, hostile input and bad bytes: always a Document, never a throw or a hang.
import { SaxesParser } from 'saxes';
import { describe, expect, it, vi } from 'vitest';
import { parse, parseStream } from '../../src/parse/index.js';
import { lintDocument } from '../../src/validate/lint.js';
import { formatDocument } from '../../src/format/fmt.js';
import type { Document, Node } from '../../src/types.js';
import { chunked, random, walk } from './support.js';

function depthOf(node: Node | null): number {
  let deepest = 0;
  const todo: Array<[Node, number]> = node ? [[node, 1]] : [];
  for (let item = todo.pop(); item; item = todo.pop()) {
    deepest = Math.max(deepest, item[1]);
    for (const c of item[0].children) todo.push([c, item[1] + 1]);
  }
  return deepest;
}

function valid(doc: Document): void {
  for (const d of doc.diagnostics) {
    expect(0 <= d.start && d.start <= d.end && d.end <= doc.source.length).toBe(true);
    expect(d.line >= 1 && d.column >= 1).toBe(true);
  }
}

describe('limits', () => {
  it('stops reading past maxBytes (Twilio: 64 KiB)', async () => {
    const source = `<Response><Say>${'x'.repeat(70_000)}</Say></Response>`;
    const doc = parse(source);
    expect(doc.root).toBeNull();
    expect(doc.diagnostics.map((d) => [d.rule, d.severity])).toEqual([['xml/too-large', 'error']]);
    expect(doc.source.length).toBe(65_536);
    expect(await parseStream(chunked(new Uint8Array(Buffer.from(source)), () => 1000))).toEqual(doc);
    // Exactly at the limit is fine.
    const fits = `<Response>${' '.repeat(100 - 21)}</Response>`;
    expect(parse(fits, { maxBytes: 100 }).diagnostics).toEqual([]);
    expect(parse(`${fits} `, { maxBytes: 100 }).diagnostics.map((d) => d.rule)).toEqual(['xml/too-large']);
  });

  it('counts bytes, not characters, and never cuts a character in two', () => {
    const doc = parse(`<Response>${'é'.repeat(10)}</Response>`, { maxBytes: 15 });
    expect(doc.diagnostics.map((d) => d.rule)).toEqual(['xml/too-large']);
    expect(doc.source).toBe('<Response>éé');
    const bytes = parse(new Uint8Array(Buffer.from(`<Response>${'é'.repeat(10)}</Response>`)), { maxBytes: 15 });
    expect(bytes).toEqual(doc);
  });

  it('drops elements nested deeper than maxDepth, with one error', () => {
    const source = `<Response>${'<a>'.repeat(10)}${'</a>'.repeat(10)}</Response>`;
    const doc = parse(source, { maxDepth: 4 });
    expect(doc.diagnostics.map((d) => [d.rule, d.severity, d.start])).toEqual([['xml/too-deep', 'error', 19]]);
    expect(depthOf(doc.root)).toBe(4);
    expect(parse(source, { maxDepth: 11 }).diagnostics).toEqual([]);
  });

  it('counts a made-up root as a level (fmt wrote a <Response> that pushed the last level past the limit)', () => {
    const source = `${'<a>'.repeat(32)}${'</a>'.repeat(32)}`;
    const doc = parse(source, { knownTags: new Set(['a']) });
    expect(doc.diagnostics.map((d) => [d.rule, d.start])).toEqual([['xml/missing-root', 0], ['xml/too-deep', 31 * 3]]);
    expect(depthOf(doc.root)).toBe(32);
    expect(parse(source.slice(3, -4), { knownTags: new Set(['a']) }).diagnostics.map((d) => d.rule)).toEqual(['xml/missing-root']);
  });

  it('drops attributes past maxAttributes, with one error per element', () => {
    const attrs = Array.from({ length: 5 }, (_, i) => `a${i}="${i}"`).join(' ');
    const doc = parse(`<Response><Say ${attrs}/><Play ${attrs}/></Response>`, { maxAttributes: 3 });
    expect(doc.diagnostics.map((d) => d.rule)).toEqual(['xml/too-many-attributes', 'xml/too-many-attributes']);
    expect(doc.root?.children.map((c) => Object.keys(c.attributes))).toEqual([['a0', 'a1', 'a2'], ['a0', 'a1', 'a2']]);
  });
});

describe('hostile input', () => {
  it('never expands entities (billion laughs)', () => {
    const lol = '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">';
    const doc = parse(`<?xml version="1.0"?><!DOCTYPE r [${lol}]><Response><Say>${'&lol2;'.repeat(5000)}</Say></Response>`);
    valid(doc);
    expect(doc.diagnostics[0]?.rule).toBe('xml/doctype');
    expect(doc.diagnostics.length).toBeLessThanOrEqual(202);
    expect(doc.diagnostics.at(-1)?.rule).toBe('xml/too-many-problems');
    expect(doc.root?.children[0]?.text).not.toContain('lollol');
  });

  it('handles 100,000 levels of nesting', () => {
    const deep = '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
    const limited = parse(deep);
    expect(limited.diagnostics.map((d) => d.rule)).toEqual(['xml/too-large']);
    const doc = parse(deep, { maxBytes: Infinity });
    expect(doc.diagnostics.map((d) => d.rule)).toEqual(['xml/too-deep']);
    expect(depthOf(doc.root)).toBe(32);
    // A caller may raise the depth limit to 256, no further: lint and fmt walk the tree recursively.
    const unclosed = parse('<a>'.repeat(100_000), { maxBytes: Infinity, maxDepth: 200_000 });
    expect(unclosed.diagnostics.map((d) => d.rule)).toEqual(['xml/too-deep', 'xml/unclosed-tag']);
    expect(depthOf(unclosed.root)).toBe(256);
    expect(() => lintDocument(unclosed)).not.toThrow();
    expect(formatDocument(unclosed).reason).toMatch(/nested more than 256 deep/);
  });

  it('handles a megabyte attribute value', () => {
    const doc = parse(`<Response><Play url="${'x'.repeat(1 << 20)}"/></Response>`, { maxBytes: Infinity });
    expect(doc.diagnostics).toEqual([]);
    expect(doc.root?.children[0]?.attrs[0]?.valueSpan).toEqual({ start: 21, end: 21 + (1 << 20) });
  });

  it('keeps every error when warnings overflow the limit (a page of warnings hid the broken end)', () => {
    // 40 bare & (recovered) and 190 unquoted values (read by the pass): 230 warnings, then an error.
    const plays = Array.from({ length: 190 }, () => '<Play loop=1>a.mp3</Play>').join('');
    const doc = parse(`<Response><Say>${'Tom & Jerry '.repeat(40)}</Say>${plays}</Response><`);
    valid(doc);
    expect(doc.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      'The document ends in the middle of markup; complete or remove the last tag',
    ]);
    expect(doc.diagnostics).toHaveLength(201);
    expect(doc.diagnostics.at(-2)?.rule).toBe('xml/too-many-problems');
    // Errors past the limit still displace warnings in the pass that reports them.
    const attrs = Array.from({ length: 250 }, (_, i) => `a${i}=${i}`).join(' ');
    const unquoted = parse(`<Response><Say ${attrs}>Hi</Say></Response><`, { maxAttributes: 1000 });
    expect(unquoted.diagnostics.filter((d) => d.severity === 'error').map((d) => d.rule)).toEqual(['xml/syntax']);
  });

  it('says a page of bare & once, with one fix for all of them (it was one warning and one --fix pass per 200)', () => {
    const source = `<Response><Say a="${'&'.repeat(30_000)}">${'&'.repeat(30_000)}</Say></Response>`;
    const doc = parse(source);
    expect(doc.diagnostics.map((d) => [d.rule, d.start, d.message])).toEqual([
      ['xml/unescaped-ampersand', 18, '60000 unescaped & in text and attribute values, the first here: XML needs &amp; for a literal &'],
    ]);
    expect(doc.diagnostics[0]?.fix?.edits).toHaveLength(60_000);
    expect(doc.root?.children[0]?.text).toBe('&'.repeat(30_000));
    // 50 or fewer: one each, where each one is.
    expect(parse(`<Response><Say>${'a & '.repeat(50)}</Say></Response>`).diagnostics).toHaveLength(50);
  });

  it('stops reading after 2,000 errors from saxes: the work on a page of hostile bytes is bounded', () => {
    const source = `<Response><Say>${'\u0001'.repeat(60_000)}</Say></Response>`;
    const doc = parse(source);
    valid(doc);
    const stop = doc.diagnostics.find((d) => d.rule === 'xml/too-many-problems');
    expect(stop).toMatchObject({ severity: 'error', code: 12100, start: 15 + 2001 });
    expect(stop?.message).toBe('So many XML problems that reading stopped here; the first 200 are reported');
    // The tree ends where reading stopped, <Say> inside it.
    expect(doc.root?.span.end).toBe(15 + 2001);
    expect(doc.root?.children.map((c) => [c.tag, c.span.end])).toEqual([['Say', 15 + 2001]]);
  });

  it('says where recoveries stop after 20 of them (from there on, the tree is saxes\' reading)', () => {
    const source = `<Response>${'<Say>Hi</Say></Pay>'.repeat(25)}</Response>`;
    const doc = parse(source);
    valid(doc);
    expect(doc.diagnostics.filter((d) => d.rule === 'xml/stray-close-tag')).toHaveLength(20);
    const stop = doc.diagnostics.find((d) => d.rule === 'xml/too-many-problems');
    expect(stop?.message).toBe('More than 20 places needed a recovery; from here on the document is read without one (fix the first ones and lint again)');
    expect(stop?.start).toBe(10 + 20 * 19 + 13);
  });

  it('asks a recovery that reads the whole document once: a declined & took a round for each &', () => {
    const write = vi.spyOn(SaxesParser.prototype, 'write');
    try {
      // `</&<?…`: the & in the close tag is bare to saxes, but a scan of the text sees a PI.
      const doc = parse(`<Response><Say>Hi</Say></&<?${'&'.repeat(30)}?></Response>`);
      valid(doc);
      expect(write.mock.calls.length).toBeLessThanOrEqual(6);
    } finally {
      write.mockRestore();
    }
  });

  it('looks ahead past a megabyte tag that never ends in linear time (the close-tag look-ahead was quadratic)', () => {
    // </Sya> matches nothing: the recovery looks ahead for the next close tag, through 1 MB.
    const started = performance.now();
    const doc = parse(`<Response><Say>Hi</Sya><${'x'.repeat(1 << 20)}`, { maxBytes: Infinity });
    valid(doc);
    expect(doc.diagnostics.map((d) => d.rule)).toContain('xml/mismatched-close-tag');
    // Quadratic, this took hours; linear, milliseconds. Only a gross bound, never a benchmark.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('handles a page of bare ampersands, control characters and stray markup', () => {
    for (const body of ['&'.repeat(50_000), '\u0001'.repeat(50_000), '<'.repeat(50_000), '</x>'.repeat(10_000), 'a=“b '.repeat(5000), '<a>x<a/>'.repeat(3000)]) {
      const doc = parse(`<Response><Say ${body}>${body}</Say></Response>`, { maxBytes: Infinity });
      valid(doc);
      expect(doc.diagnostics.length).toBeLessThanOrEqual(202);
    }
  });

  it('survives random markup soup, whole and in chunks', async () => {
    const next = random(1234);
    const tokens = ['<Response>', '</Response>', '<Say>', '</Say>', '<dial/>', '<Dial>', '</Say >', '&', '&amp;', '&nbsp;', ';', '"', "'", '=', 'a=1', ' x="y"', '<!--', '-->', '<![CDATA[', ']]>', '<?xml version="1.0"?>', '<!DOCTYPE r>', '\r\n', '\n', ' ', 'é', '😀', '\uFEFF', '\u0000', '“', '/', '>', '<', 'text'];
    for (let i = 0; i < 300; i++) {
      const source = Array.from({ length: 1 + Math.floor(next() * 40) }, () => tokens[Math.floor(next() * tokens.length)]).join('');
      const doc = parse(source, { knownTags: new Set(['say', 'dial']) });
      valid(doc);
      for (const node of walk(doc.root)) expect(node.span.start <= node.span.end && node.span.end <= source.length).toBe(true);
      if (i % 10 === 0) {
        expect(await parseStream(chunked(new Uint8Array(Buffer.from(source)), () => 1 + Math.floor(next() * 5)), { knownTags: new Set(['say', 'dial']) })).toEqual(parse(new Uint8Array(Buffer.from(source)), { knownTags: new Set(['say', 'dial']) }));
      }
    }
  });
});

describe('bad bytes', () => {
  it('reads invalid UTF-8 as U+FFFD with a warning at the first bad byte', () => {
    const bytes = new Uint8Array([...Buffer.from('<Response><Say>ab'), 0xff, 0xc3, 0x28, ...Buffer.from('</Say></Response>')]);
    const doc = parse(bytes);
    expect(doc.source).toBe('<Response><Say>ab\uFFFD\uFFFD(</Say></Response>');
    expect(doc.diagnostics.map((d) => [d.rule, d.severity, d.start, d.end])).toEqual([['xml/invalid-utf8', 'warning', 17, 18]]);
    expect(doc.root?.children[0]?.text).toBe('ab\uFFFD\uFFFD(');
  });

  it('counts a character cut off at the end as invalid', async () => {
    const bytes = new Uint8Array([...Buffer.from('<Response/>'), 0xe2, 0x82]);
    const doc = parse(bytes);
    expect(doc.source).toBe('<Response/>\uFFFD');
    // The U+FFFD is also text after the root.
    expect(doc.diagnostics.map((d) => [d.rule, d.start])).toEqual([['xml/syntax', 11], ['xml/invalid-utf8', 11]]);
    expect(await parseStream(chunked(bytes, () => 1))).toEqual(doc);
  });

  it('reads an unpaired surrogate in a JS string as U+FFFD with a warning (saxes paired it with the next character)', async () => {
    const doc = parse('<Response><Say>a\uD800&amp;<x/>b</Say></Response>');
    expect(doc.source).toBe('<Response><Say>a\uFFFD&amp;<x/>b</Say></Response>');
    expect(doc.diagnostics.map((d) => [d.rule, d.severity, d.start])).toEqual([['xml/invalid-utf8', 'warning', 16]]);
    expect(doc.root?.children[0]?.text).toBe('a\uFFFD&b');
    expect(doc.root?.children[0]?.children.map((c) => c.tag)).toEqual(['x']);
    // A pair split between two chunks is still a pair; a high surrogate at the very end is not.
    const emoji = '<Response><Say>😀</Say></Response>';
    expect(await parseStream(chunked(emoji, () => 1))).toEqual(parse(emoji));
    expect(parse(emoji).diagnostics).toEqual([]);
    const cut = await parseStream(chunked('<Response/>\uD83D', () => 1));
    expect(cut.source).toBe('<Response/>\uFFFD');
    expect(cut.diagnostics.map((d) => d.rule)).toContain('xml/invalid-utf8');
  });

  it('says a UTF-16 document is UTF-16, with or without its byte order mark, as bytes or as text read as UTF-8', () => {
    const text = '<?xml version="1.0" encoding="UTF-16"?><Response><Say>Hi</Say></Response>';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le).swap16();
    for (const [bytes, how] of [[le, 'it starts with a UTF-16 byte order mark'], [be, 'it starts with a UTF-16 byte order mark'], [le.subarray(2), 'every other byte is 0']] as const) {
      for (const input of [new Uint8Array(bytes), bytes.toString('utf8')]) {
        const doc = parse(input);
        expect(doc.root).toBeNull();
        expect(doc.diagnostics.map((d) => [d.rule, d.severity, d.line, d.column, d.message])).toEqual([
          ['xml/syntax', 'error', 1, 1, `The document is UTF-16 (${how}), not UTF-8; save it as UTF-8`],
        ]);
      }
    }
  });

  it('keeps genuine U+FFFD without a warning, and a BOM in the source', () => {
    const doc = parse(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('<Response><Say>\uFFFD</Say></Response>')]));
    expect(doc.diagnostics).toEqual([]);
    expect(doc.source.charCodeAt(0)).toBe(0xfeff);
    expect(doc.root?.span.start).toBe(1);
  });
});
