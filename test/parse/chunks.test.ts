// The same document, however it is cut into chunks, gives the identical Document.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse, parseStream } from '../../src/parse/index.js';
import { chunked, readFixtures, random } from './support.js';

const known = new Set(['response', 'say', 'play', 'dial', 'number', 'hangup', 'pause', 'gather', 'redirect']);
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

async function* parts<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const tricky = [
  '<Response>\r\n  <Say>é 😀 ü</Say>\r\n</Response>\r\n',
  '\uFEFF <?xml version="1.0"?>\r\n<Say>x &nbsp; y</Say>\r\n<Hangup/>',
  '<Response><Dial><Number url=a&b>1</Say><sip>x</Dial>',
  '<Response><Say voice=“alice” language=“en US”>hi</Say><!-- & --><![CDATA[ & ]]></Response>',
  '<Response>\r<Say>lone CR</Say>\r</Response>',
  'Created',
  // A chunk that ends inside `charge&mount` must not decide the & too soon.
  '<Response>\n  <Pay tokenType="one-time" charge&mount="1"/>\n</Response>',
  '<Response><Say <!-- note --> voice="a">Hi</Say></Sya\n<Hangup/></Response>',
  '<?xml version="1.0"?><Response><Say>]]<?xml?>></Say></Response></Say></Gather>',
  // Reading stops after 2,000 errors, whatever chunk it is in.
  `<R${'<'.repeat(2100)}`,
  // saxes says "text outside the root" once per piece it hands over: not counted as errors.
  '\u0000\uFFFD=\uFFFD'.repeat(2100),
  // A misplaced declaration's span looks no further than what has arrived.
  '<><p>?xml?><?xml <?><p',
];

describe('chunked input', () => {
  const docs = [...readFixtures().map((f) => fs.readFileSync(f.file, 'utf8')), ...tricky];

  it('gives the same Document one byte at a time', async () => {
    for (const source of docs) {
      const whole = parse(source, { knownTags: known });
      const bytes = utf8(source);
      expect(await parseStream(chunked(bytes, () => 1), { knownTags: known })).toEqual(whole);
    }
  });

  it('gives the same Document in random chunks of bytes and of text', async () => {
    const next = random(42);
    for (const source of docs) {
      const whole = parse(source, { knownTags: known });
      for (let round = 0; round < 5; round++) {
        expect(await parseStream(chunked(utf8(source), () => 1 + Math.floor(next() * 9)), { knownTags: known })).toEqual(whole);
        expect(await parseStream(chunked(source, () => 1 + Math.floor(next() * 9)), { knownTags: known })).toEqual(whole);
      }
    }
  });

  it('joins a multi-byte character split at every byte', async () => {
    const source = '<Response><Say>😀é</Say></Response>';
    const bytes = utf8(source);
    const start = bytes.indexOf(0xf0);
    for (let cut = start + 1; cut < start + 6; cut++) {
      const doc = await parseStream(parts([bytes.subarray(0, cut), bytes.subarray(cut)]));
      expect(doc).toEqual(parse(source));
      expect(doc.diagnostics).toEqual([]);
      expect(doc.root?.children[0]?.text).toBe('😀é');
    }
  });

  it('joins CRLF and a surrogate pair split between text chunks', async () => {
    const source = '<Response>\r\n<Say>😀</Say>\r\n</Response>';
    const cr = source.indexOf('\r') + 1;
    const high = source.indexOf('😀') + 1;
    const doc = await parseStream(parts([source.slice(0, cr), source.slice(cr, high), source.slice(high)]));
    expect(doc).toEqual(parse(source));
    expect(doc.root?.children[0]?.line).toBe(2);
  });

  it('reads a Node stream', async () => {
    const source = '<Response><Play>https://x/a.mp3?a=1&b=2</Play></Response>';
    const doc = await parseStream(Readable.from([Buffer.from(source.slice(0, 20)), Buffer.from(source.slice(20))]));
    expect(doc).toEqual(parse(source));
    expect(doc.diagnostics.map((d) => d.rule)).toEqual(['xml/unescaped-ampersand']);
  });

  it('turns a failing stream into a diagnostic, not a rejection', async () => {
    async function* broken(): AsyncGenerator<string> {
      yield '<Response>';
      throw new Error('socket hang up');
    }
    const doc = await parseStream(broken());
    expect(doc.root).toBeNull();
    expect(doc.diagnostics.map((d) => [d.rule, d.severity])).toEqual([['xml/read-error', 'error']]);
  });
});
