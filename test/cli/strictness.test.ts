// The CLI's side of strictness: a recovery fails TwiML (exit 1) and passes DIDML, --lenient and
// --strict turn that around, bytes that are not UTF-8 are reported where they are, and a fix never
// rewrites a file whose bytes it would lose.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

function file(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'didml-strict-'));
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

const TWIML = '<Response><Dial><Sip>sip:a@pbx.example.com</Say></Dial></Response>\n';

describe('didml lint: strictness by dialect', () => {
  it('a recovery in TwiML is an error (exit 1); --lenient makes it a warning (exit 0)', async () => {
    const f = file('voice.xml', TWIML);
    const strict = await cli(['lint', '-f', 'json', f]);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.out)[0].diagnostics[0]).toMatchObject({ rule: 'xml/mismatched-close-tag', severity: 'error', code: 12100 });
    const lenient = await cli(['lint', '--lenient', '-f', 'json', f]);
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.out)[0].diagnostics[0]).toMatchObject({ severity: 'warning' });
  });

  it('--strict and --lenient together are bad usage (exit 2)', async () => {
    const r = await cli(['lint', '--strict', '--lenient', file('voice.xml', TWIML)]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--lenient.*cannot be used with.*--strict/);
  });

  it('a file that is not UTF-8 is reported at the byte, never "no problems"', async () => {
    const f = file('voice.xml', Buffer.from('<Response>\n<Say>caf\xe9</Say>\n</Response>\n', 'latin1'));
    const r = await cli(['lint', f]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/2:9\s+error\s+The document is not valid UTF-8 \(first bad byte at offset 19\)/);
    expect(r.out).not.toMatch(/no problems/);
  });

  it('--fix leaves a file with bytes it would lose as it is, and says why (exit 2)', async () => {
    const bytes = Buffer.from('<Response><Say voice=alice>caf\xe9</Say></Response>\n', 'latin1');
    const f = file('voice.xml', bytes);
    const r = await cli(['lint', '--fix', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not fixed: byte 30 is not valid UTF-8, and rewriting the file would replace it/);
    expect(readFileSync(f).equals(bytes)).toBe(true);
  });

  it('a file in the encoding its declaration names lints clean; fmt --write leaves it alone', async () => {
    const bytes = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?>\n<Response>\n  <Say>caf\xe9</Say>\n</Response>\n', 'latin1');
    const f = file('voice.xml', bytes);
    expect((await cli(['lint', f])).code).toBe(0);
    const fmt = await cli(['fmt', '--write', f]);
    expect(fmt.code).toBe(2);
    expect(fmt.err).toMatch(/not formatted: it is in windows-1252, and didml writes files in UTF-8 only/);
    expect(readFileSync(f).equals(bytes)).toBe(true);
  });
});
