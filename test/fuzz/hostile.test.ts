// Hostile documents: each is refused or read with a clear diagnostic, in bounded time and memory,
// and without touching a file or the network. Entities are never expanded: a DOCTYPE is an error
// and its declarations are not read at all.
import fs from 'node:fs';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, formatDocument, lint, lintAndFix, parse, parseStream } from '../../src/index.js';
import { compileDocument } from '../../src/runtime/document.js';
import type { Diagnostic, Document } from '../../src/types.js';
import { checkCase } from './check.js';

const MB = 1 << 20;

/**
 * Everything a user could run on the document: parse, lint (each dialect, unless `big`), --fix,
 * fmt, the runtime's compile.
 */
function everything(input: string | Uint8Array, maxBytes?: number, big = false): { doc: Document; diagnostics: Diagnostic[]; outputs: string[] } {
  const limits = maxBytes === undefined ? {} : { maxBytes };
  const doc = parse(input, limits);
  const r = lint(input, limits);
  if (!big) for (const dialect of DIALECTS) lint(input, { ...limits, dialect });
  const fixed = lintAndFix(r.document.source, limits);
  const formatted = formatDocument(r.document);
  const compiled = compileDocument(r.document.source, 'auto', maxBytes ?? 65536);
  const outputs = [fixed.output, formatted.output ?? '', JSON.stringify(doc.root), JSON.stringify(r.projected), JSON.stringify(compiled)];
  return { doc, diagnostics: r.diagnostics, outputs };
}

const rules = (ds: readonly Diagnostic[]) => ds.map((d) => d.rule);

/** Heap growth while `run` runs (generous bounds only: the collector runs when it likes). */
function heapGrowth<T>(run: () => T): { value: T; mb: number } {
  const before = process.memoryUsage().heapUsed;
  const value = run();
  return { value, mb: (process.memoryUsage().heapUsed - before) / MB };
}

// -------------------------------------------------------------------------------------------
// No I/O: every way to read a file or open a connection is watched while the document is read.

const FS_CALLS = ['readFileSync', 'readFile', 'openSync', 'open', 'createReadStream', 'existsSync', 'statSync', 'stat', 'accessSync', 'readdirSync'] as const;

function watchIo(): { calls: string[]; stop(): void } {
  const calls: string[] = [];
  const spies = [
    ...FS_CALLS.map((name) => vi.spyOn(fs, name as never).mockImplementation(((...args: unknown[]) => {
      calls.push(`fs.${name}(${String(args[0])})`);
      throw new Error(`no file may be touched: fs.${name}`);
    }) as never)),
    vi.spyOn(fs.promises, 'readFile').mockImplementation(async (p) => {
      calls.push(`fs.promises.readFile(${String(p)})`);
      throw new Error('no file may be touched');
    }),
    ...(['connect', 'createConnection'] as const).map((name) => vi.spyOn(net, name as never).mockImplementation((() => {
      calls.push(`net.${name}`);
      throw new Error('no connection may be opened');
    }) as never)),
    ...[http, https].flatMap((mod) => (['request', 'get'] as const).map((name) => vi.spyOn(mod, name as never).mockImplementation((() => {
      calls.push(`http.${name}`);
      throw new Error('no request may be made');
    }) as never))),
    vi.spyOn(dns, 'lookup').mockImplementation((() => {
      calls.push('dns.lookup');
      throw new Error('no name may be looked up');
    }) as never),
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => {
      calls.push('fetch');
      throw new Error('no request may be made');
    }),
  ];
  // `import { readFileSync } from 'node:fs'` binds the ESM export: bring it in line with the spies.
  syncBuiltinESMExports();
  return {
    calls,
    stop() {
      for (const s of spies) s.mockRestore();
      syncBuiltinESMExports();
    },
  };
}

describe('no I/O while a document is read', () => {
  it('the watch catches a file read, a request and a fetch', async () => {
    const io = watchIo();
    try {
      expect(() => fs.readFileSync(import.meta.filename)).toThrow();
      expect(() => http.get('http://127.0.0.1:9/')).toThrow();
      await expect(fetch('http://127.0.0.1:9/')).rejects.toThrow();
    } finally {
      io.stop();
    }
    expect(io.calls).toEqual([`fs.readFileSync(${import.meta.filename})`, 'http.get', 'fetch']);
  });

  // Under Vitest, a named import of a builtin (`import { readFileSync } from 'node:fs'`) escapes
  // any spy: so the modules that read documents are also held to importing no I/O at all.
  it('parse, validate and fmt import nothing that reads files or opens connections', () => {
    const src = path.resolve(import.meta.dirname, '../../src');
    const files = ['parse', 'validate', 'format'].flatMap((dir) =>
      fs.readdirSync(path.join(src, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, dir, f)),
    );
    expect(files.length).toBeGreaterThan(30);
    const imported = new Set<string>();
    for (const file of files) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:from|import\(|require\()\s*['"]([^'"]+)['"]/g)) {
        if (!(m[1] as string).startsWith('.')) imported.add(m[1] as string);
      }
    }
    // node:module only to load by a fixed name: xmlbuilder2 (fmt), didml's package.json (sarif).
    expect([...imported].sort()).toEqual(['node:module', 'node:util', 'saxes', 'xmlbuilder2', 'xmlbuilder2/lib/interfaces.js']);
  });
});

describe('hostile documents', () => {
  // A real file and a real server that a document would reach if anything resolved its entities.
  const secret = `SECRET-${process.pid}-${Date.now()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'didml-hostile-'));
  const file = path.join(dir, 'secret.txt');
  fs.writeFileSync(file, secret);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.end(`<!ENTITY leak "${secret}">`);
  });
  let base = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    // Load every grammar and fmt's builder now: later, reading a file is a failure.
    everything('<Response><Say>warm</Say></Response>');
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs everything on the document with I/O watched; then lets any stray request arrive. */
  async function withoutIo(input: string | Uint8Array, maxBytes?: number) {
    const io = watchIo();
    let result;
    try {
      result = everything(input, maxBytes);
    } finally {
      io.stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(io.calls).toEqual([]);
    expect(requests).toEqual([]);
    return result;
  }

  it('refuses a billion laughs without expanding it (3 GB if it were)', async () => {
    const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n');
    const source = `<?xml version="1.0"?>\n<!DOCTYPE Response [\n<!ENTITY lol0 "lol">\n${levels}\n]>\n<Response><Say>&lol9;</Say></Response>`;
    const { value, mb } = heapGrowth(() => withoutIo(source));
    const { doc, diagnostics, outputs } = await value;
    expect(mb).toBeLessThan(64);
    expect(diagnostics.find((d) => d.rule === 'xml/doctype')?.message).toBe('A DOCTYPE is not allowed in a response document and its entity declarations are not expanded; remove it');
    expect(diagnostics.find((d) => d.rule === 'xml/entity')?.message).toMatch(/^&lol9; is not defined/);
    expect(doc.root?.children[0]?.text).toBe('&lol9;');
    for (const out of outputs) expect(out).not.toContain('lollol');
    expect(compileDocument(source, 'auto', 65536)).toMatchObject({ code: 'DIDML_DOCUMENT_INVALID' });
  });

  it('never reads an external entity or DTD: no file, no request (SYSTEM and PUBLIC ids, parameter entities)', async () => {
    const source = [
      '<?xml version="1.0"?>',
      `<!DOCTYPE Response PUBLIC "-//Evil//DTD//EN" "${base}/evil.dtd" [`,
      `  <!ENTITY xxe SYSTEM "file://${file}">`,
      `  <!ENTITY net SYSTEM "${base}/entity">`,
      `  <!ENTITY % remote SYSTEM "${base}/remote.dtd"> %remote;`,
      ']>',
      '<Response><Say>&xxe; &net; &leak;</Say><Play>&xxe;</Play></Response>',
    ].join('\n');
    const { diagnostics, outputs } = await withoutIo(source);
    expect(rules(diagnostics).filter((r) => r.startsWith('xml/'))).toEqual(['xml/doctype', 'xml/entity', 'xml/entity', 'xml/entity', 'xml/entity']);
    expect(diagnostics.every((d) => !d.message.includes(secret))).toBe(true);
    for (const out of outputs) expect(out).not.toContain(secret);
    // A DOCTYPE alone, SYSTEM id and all, is refused the same way.
    const alone = await withoutIo(`<!DOCTYPE Response SYSTEM "file://${file}"><Response/>`);
    expect(rules(alone.diagnostics)).toEqual(['xml/doctype']);
  });

  it('reads 100,000 levels of nesting with one error, within the limits', async () => {
    const deep = `<Response>${'<Say>'.repeat(100_000)}${'</Say>'.repeat(100_000)}</Response>`;
    // Past 64 KiB, reading stops: one error, and no tree to walk.
    const limited = await withoutIo(deep);
    expect(rules(limited.diagnostics)).toEqual(['xml/too-large']);
    expect(limited.diagnostics[0]?.message).toBe("The document is larger than 65536 bytes (Twilio's limit is 64 KiB); reading stopped here");
    // Without the byte limit, the depth limit: elements below 32 levels are left out, once.
    const { value, mb } = heapGrowth(() => everything(deep, Infinity, true));
    expect(mb).toBeLessThan(256);
    expect(rules(value.diagnostics).filter((r) => r.startsWith('xml/'))).toEqual(['xml/too-deep']);
    expect(value.diagnostics.find((d) => d.rule === 'xml/too-deep')?.message).toBe('Elements are nested more than 32 deep; the ones below are ignored');
  });

  it('stops reading a stream at 64 KiB, however much more comes (a megabyte attribute, megabytes of text, endless nesting)', async () => {
    const bodies: Array<[string, string]> = [
      ['<Response><Play url="', 'x'.repeat(1024)],
      ['<Response><Say>', 'Hello world. '.repeat(80)],
      ['<Response>', '<Say>'.repeat(200)],
    ];
    for (const [head, unit] of bodies) {
      let pulled = 0;
      async function* endless(): AsyncGenerator<Uint8Array> {
        yield Buffer.from(head);
        for (;;) {
          pulled++;
          yield Buffer.from(unit);
        }
      }
      const doc = await parseStream(endless());
      expect(rules(doc.diagnostics)).toEqual(['xml/too-large']);
      expect(doc.source.length).toBeLessThanOrEqual(65536);
      expect(pulled * unit.length).toBeLessThan(65536 + unit.length);
    }
  });

  it('reads a 4 MB attribute value and 8 MB of text when told to, in bounded memory', async () => {
    const attribute = `<Response><Dial action="https://example.com/${'x'.repeat(4 * MB)}.xml">+14155550100</Dial></Response>`;
    const big = heapGrowth(() => everything(attribute, Infinity, true));
    expect(big.mb).toBeLessThan(512);
    expect(rules(big.value.diagnostics)).toEqual([]);
    expect(big.value.doc.root?.children[0]?.attrs[0]?.value).toHaveLength(4 * MB + 24);
    const text = `<Response><Say>${'Hello world. '.repeat((8 * MB) / 13)}</Say></Response>`;
    const long = heapGrowth(() => everything(text, Infinity, true));
    expect(long.mb).toBeLessThan(512);
    expect(rules(long.value.diagnostics)).toEqual([]);
    // With the default limit, both are refused at once.
    expect(rules(lint(attribute).diagnostics)).toEqual(['xml/too-large']);
    expect(rules(lint(text).diagnostics)).toEqual(['xml/too-large']);
  });

  it('reads invalid UTF-8 as U+FFFD with one diagnostic at the first bad byte (an error: the document is TwiML)', async () => {
    const bytes = new Uint8Array([...Buffer.from('<Response><Say>caf'), 0xe9, ...Buffer.from(' ok'), 0xc3, 0x28, 0xed, 0xa0, 0x80, ...Buffer.from('</Say></Response>')]);
    const { doc, diagnostics } = await withoutIo(bytes);
    expect(diagnostics.map((d) => [d.rule, d.severity, d.line, d.column, d.message])).toEqual([
      ['xml/invalid-utf8', 'error', 1, 19, 'The document is not valid UTF-8 (first bad byte at offset 18); bad bytes read as U+FFFD. Save it as UTF-8'],
    ]);
    expect(doc.root?.children[0]?.text).toBe('caf\uFFFD ok\uFFFD(\uFFFD\uFFFD\uFFFD');
  });

  it('takes a UTF-8 BOM in its stride, and says that a UTF-16 document (with its BOM) is not UTF-8', async () => {
    const text = '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Say>Hi</Say></Response>\n';
    const utf8 = await withoutIo(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(text)]));
    expect(utf8.diagnostics).toEqual([]);
    expect(utf8.doc.root?.line).toBe(2);
    expect(utf8.outputs[1]).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hi</Say>\n</Response>\n');
    for (const bigEndian of [false, true]) {
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace('UTF-8', 'UTF-16'), 'utf16le')]);
      if (bigEndian) utf16.swap16();
      const { diagnostics } = await withoutIo(new Uint8Array(utf16));
      expect(diagnostics.map((d) => [d.rule, d.severity, d.message])).toEqual([
        ['xml/syntax', 'error', 'The document is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8; save it as UTF-8'],
      ]);
    }
  });

  it('counts lines across CRLF and lone CR, keeps CRLF when fixing, and formats with LF', async () => {
    const source = '<Response>\r\n  <Say>Hello\r\n  there</Say>\r\n  <Play loop=2>a.mp3</Play>\r\n\r\n  <Hangup/>\r</Response>\r\n';
    const { doc, diagnostics, outputs } = await withoutIo(source);
    const unquoted = diagnostics.find((d) => d.rule === 'xml/unquoted-attribute');
    expect([unquoted?.line, unquoted?.column]).toEqual([4, 9]);
    expect(doc.root?.children.map((c) => [c.tag, c.line])).toEqual([['Say', 2], ['Play', 4], ['Hangup', 6]]);
    expect(doc.root?.children[0]?.text).toBe('Hello\n  there');
    expect(outputs[0]).toBe(source.replace('loop=2', 'loop="2"'));
    expect(outputs[1]).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hello\n  there</Say>\n  <Play loop="2">a.mp3</Play>\n  <Hangup/>\n</Response>\n');
  });

  it('reads comments and CDATA anywhere they are allowed, and says why where they are not', async () => {
    const fine = '<!-- menu --><?app v2?>\n<Response><Say>Hel<!-- x -->lo <![CDATA[<b> & </b>]]></Say><Gather><!-- c --><![CDATA[ ]]><Say>1</Say></Gather></Response>\n<!-- end --><?done?>\n';
    const ok = await withoutIo(fine);
    expect(ok.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(ok.doc.root?.children[0]?.text).toBe('Hello <b> & </b>');
    // fmt keeps the comments in place: text beside a comment is kept as written, CDATA and all.
    expect(ok.outputs[1]).toContain('<!-- menu -->\n<Response>\n  <Say>Hel<!-- x -->lo <![CDATA[<b> & </b>]]></Say>\n  <Gather> <!-- c -->\n');
    expect(ok.outputs[1]).toContain('</Response>\n<!-- end -->\n');
    // Without a comment beside it, what the CDATA says is escaped.
    expect((await withoutIo(fine.replace('<!-- x -->', ''))).outputs[1]).toContain('<Say>Hello &lt;b&gt; &amp; &lt;/b&gt;</Say>');

    const bad: Array<[string, string]> = [
      ['<Response><Say <!-- note --> voice="alice">Hi</Say></Response>', 'The tag <Say> is not closed before this "<"; a comment or another tag goes after its ">"'],
      ['<![CDATA[Hi]]><Response/>', 'Text before <Response> is not allowed; remove it'],
      ['<Response/><![CDATA[Hi]]>', 'Text after the end of <Response> is not allowed; remove it'],
      ['<Response><!-- a -- b --></Response>', '"--" is not allowed inside a comment'],
      ['<Response><Say>a ]]> b</Say></Response>', '"]]>" is not allowed in text; write ]]&gt;'],
      ['<Response><Say>Hi</Say><!-- to do</Response>', 'The document ends inside a comment; close it with -->'],
      ['<Response><Say><![CDATA[Hi</Say></Response>', 'The document ends inside a CDATA section; close it with ]]>'],
      ['<Response><Say voice="<![CDATA[x]]>">Hi</Say></Response>', 'A "<" is not allowed in an attribute value; write &lt;'],
      ['<Response><?xml version="1.0"?><Say>Hi</Say></Response>', 'The XML declaration must be the very first thing in the document; move it to the top'],
    ];
    for (const [source, message] of bad) {
      const { diagnostics } = await withoutIo(source);
      const errors = diagnostics.filter((d) => d.severity === 'error' && d.rule.startsWith('xml/'));
      expect(errors.map((d) => d.message), source).toContain(message);
      expect(errors.length, source).toBeLessThanOrEqual(2);
      expect(checkCase({ recipe: [], input: source }), source).toEqual([]);
    }
  });

  it('bounds the work on a 64 KiB page of one hostile byte (each case < 2 s, not a benchmark)', () => {
    for (const unit of ['&', '<', '\u0001', '</', '<a', '"', '=', ']]>', '<!--', '&#', '<![CDATA[', '</R&']) {
      const source = `<Response><Say ${unit.repeat(20_000)}>${unit.repeat(20_000)}</Say></Response>`.slice(0, 65_000);
      const started = performance.now();
      const violations = checkCase({ recipe: [unit], input: source }, { dialects: 'one' });
      expect(violations, unit).toEqual([]);
      expect(performance.now() - started, unit).toBeLessThan(2000);
    }
  });
});
