// The fuzzer's inputs: documents made at random from the grammars, and mutations of real ones
// (the fixtures and the corpus). Every mutation is one small named function, so a case can say
// how it was made (`recipe`). Inputs stay bounded: nothing grows past ~300 KB, so each case
// takes bounded time by construction.
import { DIALECTS, loadGrammar, type AttributeSchema, type ElementDef, type Grammar } from '../../src/grammar/index.js';
import type { DialectName } from '../../src/types.js';
import { Random } from './random.js';

export interface FuzzCase {
  /** What was done to make the input, in order. */
  recipe: string[];
  input: string | Uint8Array;
  /** For `lint` (and `parse`): refuse documents larger than this. */
  maxBytes?: number;
  /** For `parse` alone: smaller limits than the defaults, to reach them with small inputs. */
  maxDepth?: number;
  maxAttributes?: number;
}

/** Past this, a mutation that would grow the input does nothing (`makeCase` may ask for less). */
export const MAX_LENGTH = 300_000;

// ---------------------------------------------------------------------------------------------
// Random documents from the grammars.

const WORDS = ['Hello', 'world', 'press 1', '+14155550100', 'sip:alice@example.com', 'http://example.com/a?b=1', '  ', '\n', 'é', '😀', '1', 'true', 'false', '{{ name }}'];
const RAW_TEXT = ['&amp;', '&lt;', '&#160;', '&#x1F600;', '&', '&nbsp;', '<![CDATA[a < b & c]]>', '<!-- note -->', '<?pi data?>', ']]>', '"', "'"];

function attributeValue(rng: Random, schema: AttributeSchema): string {
  if (schema.enum?.length && rng.chance(0.7)) return String(rng.pick(schema.enum));
  if (schema.default !== undefined && rng.chance(0.3)) return String(schema.default);
  if (schema.type === 'integer' || schema.type === 'number') return String(rng.range(-5, 100_000));
  if (schema.type === 'boolean') return rng.pick(['true', 'false', 'TRUE', 'yes']);
  return rng.pick(WORDS);
}

function recase(rng: Random, name: string): string {
  switch (rng.int(6)) {
    case 0:
      return name.toLowerCase();
    case 1:
      return name.toUpperCase();
    case 2:
      return [...name].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
    default:
      return name;
  }
}

function escapeAttr(value: string, quote: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(quote === '"' ? /"/g : /'/g, quote === '"' ? '&quot;' : '&apos;');
}

function element(rng: Random, g: Grammar, id: string, depth: number, out: string[]): void {
  const def = g.elements[id] as ElementDef;
  const tag = rng.chance(0.15) ? recase(rng, def.tag) : def.tag;
  out.push(`<${tag}`);
  const names = Object.keys(def.attributes);
  for (let n = rng.skewed(4); n > 0 && names.length; n--) {
    const name = rng.pick(names);
    const value = attributeValue(rng, def.attributes[name] as AttributeSchema);
    const quote = rng.chance(0.8) ? '"' : "'";
    out.push(` ${rng.chance(0.1) ? recase(rng, name) : name}=${quote}${escapeAttr(value, quote)}${quote}`);
  }
  const kids = depth < 5 ? def.children.filter((c) => g.elements[c]) : [];
  const text = def.text && rng.chance(0.8);
  if (!text && (kids.length === 0 || rng.chance(0.3))) {
    out.push('/>');
    return;
  }
  out.push('>');
  if (text) out.push(rng.chance(0.2) ? rng.pick(RAW_TEXT) : rng.pick(WORDS));
  for (let n = kids.length ? rng.skewed(5) : 0; n > 0; n--) {
    if (rng.chance(0.5)) out.push(rng.pick(['\n', '\n  ', ' ', '\r\n    ']));
    element(rng, g, rng.pick(kids), depth + 1, out);
  }
  out.push(`</${tag}>`);
}

/** A document built from a dialect's grammar: mostly valid, with some case and text surprises. */
export function grammarDocument(rng: Random, dialect: DialectName = rng.pick(DIALECTS)): string {
  const g = loadGrammar(dialect);
  const out: string[] = [];
  if (rng.chance(0.6)) out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  element(rng, g, g.root, 0, out);
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// Mutations of a text. Each takes the generator and the text and returns the new text.

type Mutation = (rng: Random, text: string, donors: readonly string[]) => string;

/** Places where markup starts, ends or changes: the boundaries where parsers slip. */
function boundaries(text: string): number[] {
  const at: number[] = [];
  for (let i = 0; i < text.length && at.length < 4000; i++) {
    const c = text[i];
    if (c === '<' || c === '>' || c === '"' || c === "'" || c === '=' || c === '&' || c === ';' || c === '/' || c === ' ' || c === '\n' || c === '[' || c === ']' || c === '-' || c === '?' || c === '!') {
      at.push(i, i + 1);
    }
  }
  return at;
}

/** A position: at a boundary more often than not. */
function position(rng: Random, text: string): number {
  if (text.length > 0 && rng.chance(0.6)) {
    const b = boundaries(text);
    if (b.length) return Math.min(text.length, rng.pick(b));
  }
  return rng.int(text.length + 1);
}

function slice(rng: Random, text: string): [number, number] {
  const start = position(rng, text);
  const end = Math.min(text.length, start + 1 + rng.skewed(Math.min(400, text.length)));
  return [start, end];
}

/** The longest input this case may grow to (set by `makeCase`). */
let limit = MAX_LENGTH;
const insert = (text: string, at: number, what: string): string => (text.length + what.length > limit ? text : text.slice(0, at) + what + text.slice(at));
/** A size for something big: past the 64 KiB limit sometimes, when there is room. */
const bigSize = (rng: Random, usual: number): number => Math.min(rng.chance(0.2) ? rng.range(60_000, 200_000) : rng.skewed(usual), Math.max(0, limit - 100));

const INJECT = [
  '&', '&&', '&amp;', '&nbsp;', '&lol;', '&#0;', '&#xD800;', '&#x1F600;', '&#;', '&;', '<', '>', '</', '/>', '<>', '</>', ']]>', '<!--', '-->', '<!-- a -- b -->',
  '<![CDATA[', '<![CDATA[<Say>&</Say>]]>', '<?xml version="1.0"?>', '<?xml version="1.1" encoding="UTF–8"?>', '<?php echo 1; ?>', '<?', '?>', '\uFEFF', '\r\n', '\r', '\n', '\t', '\u0000',
  '\u0001', '\u000B', '\uFFFE', '\uD800', '\uDC00', '😀', '"', "'", '“', '”', '=', ' a=1', ' a', ' a="1" a="2"', ' xmlns="urn:x"', ' xmlns:p="urn:p" p:x="1"', '<p:Say>', '</Say>',
  '</Response>', '<Response>', '<dial/>', '<Dial>', '<say>', '<Hangup/>', '<Redirect>./</Redirect>', '<Gather>', '<!DOCTYPE Response>', ' __proto__="x"', ' constructor="x"', '{{x}}', '${x}',
];

const DOCTYPES = [
  '<!DOCTYPE Response [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>',
  '<!DOCTYPE Response SYSTEM "file:///etc/passwd">',
  '<!DOCTYPE Response PUBLIC "-//X//EN" "http://127.0.0.1:1/evil.dtd">',
  '<!DOCTYPE Response [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
  '<!DOCTYPE Response [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;]>',
  '<!DOCTYPE',
  '<!DOCTYPE Response [',
];

const TAGS = ['Response', 'Say', 'Play', 'Dial', 'Number', 'Sip', 'Gather', 'a', 'x:y', 'response', 'dial', 'sip'];

const mutations: Record<string, Mutation> = {
  replaceChar(rng, text) {
    if (!text.length) return text;
    const at = rng.int(text.length);
    const by = rng.chance(0.5) ? rng.pick(INJECT).charAt(0) : String.fromCharCode(rng.int(0x10000));
    return text.slice(0, at) + by + text.slice(at + 1);
  },
  deleteSlice(rng, text) {
    const [start, end] = slice(rng, text);
    return text.slice(0, start) + text.slice(end);
  },
  duplicateSlice(rng, text) {
    const [start, end] = slice(rng, text);
    return insert(text, position(rng, text), text.slice(start, end).repeat(rng.chance(0.1) ? rng.range(2, 50) : 1));
  },
  spliceDonor(rng, text, donors) {
    if (!donors.length) return text;
    const donor = rng.pick(donors);
    const [start, end] = slice(rng, donor);
    return insert(text, position(rng, text), donor.slice(start, end));
  },
  swapSlices(rng, text) {
    const [a, b] = slice(rng, text);
    const [c, d] = slice(rng, text);
    if (b > c && d > a) return text;
    const [s1, e1, s2, e2] = a < c ? [a, b, c, d] : [c, d, a, b];
    return text.slice(0, s1) + text.slice(s2, e2) + text.slice(e1, s2) + text.slice(s1, e1) + text.slice(e2);
  },
  tagCase(rng, text) {
    const names = [...text.matchAll(/<\/?([A-Za-z][\w:.-]*)/g)];
    if (!names.length) return text;
    const m = rng.pick(names);
    const name = m[1] as string;
    const at = (m.index ?? 0) + m[0].length - name.length;
    return text.slice(0, at) + recase(rng, name) + text.slice(at + name.length);
  },
  unquote(rng, text) {
    const values = [...text.matchAll(/=\s*(["'])([^"'<>]*)\1/g)];
    if (!values.length) return text;
    const m = rng.pick(values);
    const at = m.index ?? 0;
    const [whole, q, value] = m as unknown as [string, string, string];
    const eq = whole.indexOf(q);
    const pre = whole.slice(0, eq);
    switch (rng.int(3)) {
      case 0: // both quotes
        return text.slice(0, at) + pre + value + text.slice(at + whole.length);
      case 1: // the closing quote
        return text.slice(0, at) + pre + q + value + text.slice(at + whole.length);
      default: // the opening quote
        return text.slice(0, at) + pre + value + q + text.slice(at + whole.length);
    }
  },
  inject(rng, text) {
    return insert(text, position(rng, text), rng.pick(INJECT));
  },
  commentCdataPi(rng, text) {
    const what = rng.pick(['<!-- c -->', '<!---->', '<!-- <Say>x</Say> -->', '<![CDATA[x]]>', '<![CDATA[]]>', '<![CDATA[ <Hangup/> ]]>', '<?pi?>', '<?xml-stylesheet href="x"?>']);
    return insert(text, position(rng, text), what);
  },
  lineEndings(rng, text) {
    return rng.chance(0.5) ? text.replace(/\r?\n/g, '\r\n') : text.replace(/\r?\n/g, '\r');
  },
  bom(rng, text) {
    return rng.chance(0.8) ? `\uFEFF${text}` : insert(text, position(rng, text), '\uFEFF');
  },
  doctype(rng, text) {
    const decl = /^(\uFEFF)?<\?xml[^>]*\?>/.exec(text);
    const at = decl ? decl[0].length : 0;
    return insert(text, at, rng.pick(DOCTYPES));
  },
  deepNest(rng, text) {
    const depth = Math.min(rng.chance(0.1) ? rng.range(30, 2000) : rng.range(2, 40), Math.floor(limit / 100));
    const tag = rng.pick(TAGS);
    const open = `<${tag}>`.repeat(depth);
    const close = rng.chance(0.8) ? `</${tag}>`.repeat(depth) : '';
    const [start, end] = slice(rng, text);
    if (text.length + open.length + close.length > limit) return text;
    return text.slice(0, start) + open + text.slice(start, end) + close + text.slice(end);
  },
  hugeAttribute(rng, text) {
    const tags = [...text.matchAll(/<[A-Za-z][\w:.-]*/g)];
    const tag = tags.length ? rng.pick(tags) : undefined;
    const at = tag ? (tag.index ?? 0) + tag[0].length : position(rng, text);
    const size = bigSize(rng, 5000);
    const fill = rng.pick(['x', 'é', '&amp;', ' ', '&', '<', '"']);
    return insert(text, Math.min(at, text.length), ` big="${fill.repeat(Math.ceil(size / fill.length))}"`);
  },
  manyAttributes(rng, text) {
    const tags = [...text.matchAll(/<[A-Za-z][\w:.-]*/g)];
    if (!tags.length) return text;
    const m = rng.pick(tags);
    const n = Math.min(rng.range(10, 300), Math.floor(limit / 50));
    const attrs = Array.from({ length: n }, (_, i) => ` a${rng.chance(0.05) ? 0 : i}="${i}"`).join('');
    return insert(text, (m.index ?? 0) + m[0].length, attrs);
  },
  bigText(rng, text) {
    const unit = rng.pick(['x', 'Hello world. ', '&amp;', '&', '\n', '😀', '<', ']]>', '&#160;']);
    const size = bigSize(rng, 10_000);
    return insert(text, position(rng, text), unit.repeat(Math.ceil(size / unit.length)));
  },
  truncate(rng, text) {
    return text.slice(0, position(rng, text));
  },
};

const MUTATIONS = Object.keys(mutations);

// ---------------------------------------------------------------------------------------------
// Mutations of the bytes, once the text is encoded.

const BAD_UTF8: readonly number[][] = [[0xff], [0xfe], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xf0, 0x9f, 0x98]];

function withBytes(bytes: Uint8Array, at: number, what: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length + what.length);
  out.set(bytes.subarray(0, at));
  out.set(what, at);
  out.set(bytes.subarray(at), at + what.length);
  return out;
}

function utf16(text: string, bigEndian: boolean): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out.set(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 + i * 2] = bigEndian ? c >> 8 : c & 0xff;
    out[3 + i * 2] = bigEndian ? c & 0xff : c >> 8;
  }
  return out;
}

type ByteMutation = (rng: Random, bytes: Uint8Array, text: string) => Uint8Array;

const byteMutations: Record<string, ByteMutation> = {
  flipBit(rng, bytes) {
    if (!bytes.length) return bytes;
    const out = bytes.slice();
    const at = rng.int(out.length);
    out[at] = (out[at] as number) ^ (1 << rng.int(8));
    return out;
  },
  invalidUtf8(rng, bytes) {
    return withBytes(bytes, rng.int(bytes.length + 1), rng.pick(BAD_UTF8));
  },
  cutCharacter(rng, bytes) {
    // Cut inside a multi-byte character when there is one.
    const inside: number[] = [];
    for (let i = 0; i < bytes.length && inside.length < 1000; i++) if (((bytes[i] as number) & 0xc0) === 0x80) inside.push(i);
    return bytes.subarray(0, inside.length ? rng.pick(inside) : rng.int(bytes.length + 1));
  },
  utf8Bom(_rng, bytes) {
    return withBytes(bytes, 0, [0xef, 0xbb, 0xbf]);
  },
  utf16(rng, _bytes, text) {
    return utf16(text, rng.chance(0.5));
  },
};

const BYTE_MUTATIONS = Object.keys(byteMutations);

// ---------------------------------------------------------------------------------------------
// Cases.

/**
 * Case `n` of a run: a seed document (or one made from the grammar), one to five mutations, and
 * sometimes bytes rather than text, or smaller limits.
 */
export function makeCase(rng: Random, seeds: readonly string[], max = MAX_LENGTH): FuzzCase {
  limit = max;
  const recipe: string[] = [];
  let text: string;
  const fits = seeds.filter((t) => t.length <= max);
  if (!fits.length || rng.chance(0.25)) {
    const dialect = rng.pick(DIALECTS);
    text = grammarDocument(rng, dialect);
    recipe.push(`grammar(${dialect})`);
  } else {
    const i = seeds.indexOf(rng.pick(fits));
    text = seeds[i] as string;
    recipe.push(`seed(${i})`);
  }
  const rounds = rng.chance(0.1) ? 0 : 1 + rng.skewed(5);
  for (let r = 0; r < rounds; r++) {
    const name = rng.pick(MUTATIONS);
    text = (mutations[name] as Mutation)(rng, text, fits);
    recipe.push(name);
  }
  const c: FuzzCase = { recipe, input: text };
  if (rng.chance(0.25)) {
    let bytes: Uint8Array = new TextEncoder().encode(text);
    for (let r = rng.chance(0.2) ? 0 : 1 + rng.skewed(2); r > 0; r--) {
      const name = rng.pick(BYTE_MUTATIONS);
      bytes = (byteMutations[name] as ByteMutation)(rng, bytes, text);
      recipe.push(`bytes.${name}`);
    }
    c.input = bytes;
  }
  if (rng.chance(0.05)) c.maxBytes = rng.skewed(4096);
  if (rng.chance(0.05)) c.maxDepth = 1 + rng.skewed(6);
  if (rng.chance(0.05)) c.maxAttributes = rng.skewed(4);
  return c;
}

export { MUTATIONS, BYTE_MUTATIONS };
