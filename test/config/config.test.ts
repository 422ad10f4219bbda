// didml.config.json: lookup (nearest only), overrides, severities, ignores, strictness, maxBytes,
// a bad config named by file and key, and the command line's --config, --no-config, --print-config.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ConfigLookup, knownRuleIds } from '../../src/config/index.js';

async function cli(args: string[], cwd?: string) {
  let out = '';
  let err = '';
  const before = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
    return { code, out, err };
  } finally {
    process.chdir(before);
  }
}

function tree(files: Record<string, string | object>): string {
  const dir = mkdtempSync(join(tmpdir(), 'didml-config-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

// An e164 warning (a number not in E.164) and a say-empty warning.
const WARNS = '<Response><Dial><Number>4155550100</Number></Dial><Say></Say></Response>';
// A recovery: a warning in DIDML, an error in TwiML.
const DIDML_BROKEN = '<Response><dial><sip>sip:a@example.com</Say></dial></Response>';

async function lintJson(args: string[], cwd?: string) {
  const r = await cli(['lint', '-f', 'json', ...args], cwd);
  return { ...r, files: r.err && !r.out ? [] : (JSON.parse(r.out) as { file: string; dialect: string; diagnostics: { rule: string; severity: string }[] }[]) };
}
const rulesOf = (f: { diagnostics: { rule: string; severity: string }[] }) => f.diagnostics.map((d) => `${d.rule}:${d.severity}`).sort();

describe('config lookup', () => {
  it('the nearest config applies, alone: a folder with its own config does not inherit the one above', async () => {
    const dir = tree({
      'didml.config.json': { rules: { e164: 'off' } },
      'a/voice.xml': WARNS,
      'b/didml.config.json': { rules: { 'say-empty': 'error' } },
      'b/voice.xml': WARNS,
    });
    const r = await lintJson([dir]);
    const a = r.files.find((f) => f.file.endsWith(join('a', 'voice.xml')))!;
    const b = r.files.find((f) => f.file.endsWith(join('b', 'voice.xml')))!;
    expect(rulesOf(a)).toEqual(['say-empty:warning']);
    // b's config sets say-empty only: e164 is back at its default, not off from the parent.
    expect(rulesOf(b)).toEqual(['e164:warning', 'say-empty:error']);
    expect(r.code).toBe(1);
  });

  it('reads the "didml" key of package.json; a package.json without one is passed over', async () => {
    const dir = tree({
      'package.json': { name: 'app', didml: { rules: { 'say-empty': 'off' } } },
      'sub/package.json': { name: 'inner' },
      'sub/voice.xml': WARNS,
    });
    const r = await lintJson([join(dir, 'sub/voice.xml')]);
    expect(rulesOf(r.files[0]!)).toEqual(['e164:warning']);
    expect(new ConfigLookup().resolve(join(dir, 'sub/voice.xml')).configFile).toBe(join(dir, 'package.json'));
  });

  it('didml.config.json wins over package.json in the same folder', () => {
    const dir = tree({ 'package.json': { didml: { dialect: 'plivo' } }, 'didml.config.json': { dialect: 'didml' }, 'v.xml': WARNS });
    const r = new ConfigLookup().resolve(join(dir, 'v.xml'));
    expect(r.configFile).toBe(join(dir, 'didml.config.json'));
    expect(r.dialect).toBe('didml');
  });

  it('a config edited while a long-lived lookup holds it is read again', () => {
    const dir = tree({ 'didml.config.json': { dialect: 'didml' }, 'v.xml': WARNS });
    const lookup = new ConfigLookup();
    expect(lookup.resolve(join(dir, 'v.xml')).dialect).toBe('didml');
    writeFileSync(join(dir, 'didml.config.json'), JSON.stringify({ dialect: 'texml', maxBytes: 100 }));
    expect(lookup.resolve(join(dir, 'v.xml'))).toMatchObject({ dialect: 'texml', maxBytes: 100 });
  });
});

describe('config settings', () => {
  it('dialect, severities (xml/* and a rule named alone), overrides by glob, in order', async () => {
    const dir = tree({
      'didml.config.json': {
        dialect: 'didml',
        rules: { 'xml/*': 'error', e164: 'info' },
        overrides: [
          { files: ['legacy/**/*.xml'], rules: { 'xml/mismatched-close-tag': 'off' } },
          { files: ['legacy/twiml/*.xml'], dialect: 'twiml' },
        ],
      },
      'voice.xml': DIDML_BROKEN,
      'legacy/old.xml': DIDML_BROKEN,
      'legacy/twiml/t.xml': WARNS,
    });
    const r = await lintJson([dir]);
    const by = (end: string) => r.files.find((f) => f.file.endsWith(end))!;
    expect(by(`${'/'}voice.xml`).dialect).toBe('didml');
    expect(rulesOf(by('/voice.xml'))).toEqual(['xml/mismatched-close-tag:error']);
    expect(rulesOf(by('old.xml'))).toEqual([]);
    expect(by('t.xml').dialect).toBe('twiml');
    expect(rulesOf(by('t.xml'))).toEqual(['e164:info', 'say-empty:warning']);
  });

  it('strictness and maxBytes; command-line flags win over the config', async () => {
    const dir = tree({ 'didml.config.json': { dialect: 'didml', strictness: 'strict', maxBytes: 40 }, 'v.xml': DIDML_BROKEN, 'small.xml': '<Response/>' });
    const strict = await lintJson([join(dir, 'v.xml'), '--max-bytes', '1000']);
    expect(rulesOf(strict.files[0]!)).toEqual(['xml/mismatched-close-tag:error']);
    const lenient = await lintJson([join(dir, 'v.xml'), '--lenient', '--max-bytes', '1000']);
    expect(rulesOf(lenient.files[0]!)).toEqual(['xml/mismatched-close-tag:warning']);
    const big = await lintJson([join(dir, 'v.xml')]);
    expect(rulesOf(big.files[0]!)).toEqual(['xml/too-large:error']);
    const twiml = await lintJson([join(dir, 'small.xml'), '--dialect', 'twiml']);
    expect(twiml.files[0]!.dialect).toBe('twiml');
  });

  it('ignores: a folder name, a glob; said when the file was named on the command line', async () => {
    const dir = tree({
      'didml.config.json': { ignores: ['vendor', '**/*.generated.xml'] },
      'vendor/x/a.xml': WARNS,
      'b.generated.xml': WARNS,
      'voice.xml': '<Response/>',
    });
    const r = await lintJson([dir]);
    expect(r.files.map((f) => f.file)).toEqual([join(dir, 'voice.xml')]);
    expect(r.err).toBe('');
    const named = await cli(['lint', join(dir, 'b.generated.xml')]);
    expect(named.err).toContain(`b.generated.xml: not linted: ignored by ${join(dir, 'didml.config.json')} ("**/*.generated.xml")`);
  });

  it('--config names one file for every document; --no-config uses none', async () => {
    const dir = tree({ 'didml.config.json': { rules: { e164: 'off', 'say-empty': 'off' } }, 'other.json': { rules: { e164: 'error' } }, 'v.xml': WARNS });
    expect(rulesOf((await lintJson([join(dir, 'v.xml')])).files[0]!)).toEqual([]);
    expect(rulesOf((await lintJson([join(dir, 'v.xml'), '--config', join(dir, 'other.json')])).files[0]!)).toEqual(['e164:error', 'say-empty:warning']);
    expect(rulesOf((await lintJson([join(dir, 'v.xml'), '--no-config'])).files[0]!)).toEqual(['e164:warning', 'say-empty:warning']);
  });

  it('--print-config shows what applies to a file', async () => {
    const dir = tree({ 'didml.config.json': { dialect: 'didml', rules: { e164: 'off' }, overrides: [{ files: ['x/*.xml'], strictness: 'lenient', rules: { url: 'warning' } }] }, 'x/v.xml': WARNS });
    const r = await cli(['lint', '--print-config', join(dir, 'x/v.xml')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      file: join(dir, 'x/v.xml'),
      configFile: join(dir, 'didml.config.json'),
      ignored: false,
      dialect: 'didml',
      strictness: 'lenient',
      maxBytes: 65536,
      rules: { e164: 'off', url: 'warning' },
      reportUnusedDisableDirectives: 'off',
      overrides: [0],
    });
    const flags = await cli(['lint', '--print-config', join(dir, 'x/v.xml'), '--strict', '--dialect', 'twiml']);
    expect(JSON.parse(flags.out)).toMatchObject({ dialect: 'twiml', strictness: 'strict' });
  });
});

describe('a bad config', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a misspelt rule', { rules: { e614: 'off' } }, /didml\.config\.json: rules: unknown key "e614" \(did you mean "e164"\?\)/],
    ['a bad severity', { rules: { e164: 'warn' } }, /rules\.e164: must be one of "off", "info", "warning", "error"/],
    ['an unknown key', { dialekt: 'twiml' }, /\(top level\): unknown key "dialekt" \(did you mean "dialect"\?\)/],
    ['a bad dialect in an override', { overrides: [{ files: ['*.xml'], dialect: 'twilio' }] }, /overrides\[0\]\.dialect: must be one of "auto", "twiml"/],
    ['an override without files', { overrides: [{ dialect: 'twiml' }] }, /overrides\[0\]: "files" is required/],
    ['a bad maxBytes', { maxBytes: -1 }, /maxBytes: /],
  ];
  for (const [what, config, message] of cases) {
    it(`${what}: exit 2, naming the file and the key, nothing linted`, async () => {
      const dir = tree({ 'didml.config.json': config as object, 'v.xml': WARNS });
      const r = await cli(['lint', join(dir, 'v.xml')]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(join(dir, 'didml.config.json'));
      expect(r.err).toMatch(message);
    });
  }

  it('JSON that does not parse, and a package.json "didml" key named by its path', async () => {
    const dir = tree({ 'didml.config.json': '{ "rules": ', 'v.xml': WARNS });
    expect((await cli(['lint', join(dir, 'v.xml')])).err).toMatch(/didml\.config\.json: not valid JSON/);
    const pkg = tree({ 'package.json': { didml: { rules: { nope: 'off' } } }, 'v.xml': WARNS });
    const r = await cli(['lint', join(pkg, 'v.xml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/package\.json: didml\.rules: unknown key "nope"/);
  });

  it('--config with a package.json that has no "didml" key', async () => {
    const dir = tree({ 'package.json': { name: 'x' }, 'v.xml': WARNS });
    const r = await cli(['lint', join(dir, 'v.xml'), '--config', join(dir, 'package.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${join(dir, 'package.json')}: has no "didml" key`);
  });

  it('--config with a file that is not there', async () => {
    const dir = tree({ 'v.xml': WARNS });
    const r = await cli(['lint', join(dir, 'v.xml'), '--config', join(dir, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${join(dir, 'missing.json')}: no such file`);
  });
});

describe('the schema', () => {
  it('names every rule id the linter reports (so a config can set each, and editors complete them)', () => {
    const ids = new Set(knownRuleIds());
    const src = join(import.meta.dirname, '../../src');
    const found = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const text = readFileSync(p, 'utf8');
          for (const m of text.matchAll(/\brule: '([a-z0-9/-]+)'/g)) found.add(m[1]!);
          for (const m of text.matchAll(/'(xml\/[a-z0-9-]+)'/g)) found.add(m[1]!);
          for (const m of text.matchAll(/^\s+id: '([a-z0-9-]+)',$/gm)) found.add(m[1]!);
        }
      }
    };
    walk(join(src, 'validate'));
    walk(join(src, 'parse'));
    expect(found.size).toBeGreaterThan(30);
    expect([...found].filter((id) => !ids.has(id))).toEqual([]);
  });
});

describe('didml fmt with a config', () => {
  it("leaves out the files the config ignores, keeps comments in what it writes, and stops at a bad config", async () => {
    const messy = '<Response><!-- keep --><Say>Hi</Say></Response>';
    const dir = tree({ 'didml.config.json': { ignores: ['vendor/**'] }, 'vendor/a.xml': messy, 'v.xml': messy });
    const check = await cli(['fmt', '--check', dir]);
    expect(check.code).toBe(1);
    expect(check.err).toBe(`${join(dir, 'v.xml')}: not formatted\n`);
    expect((await cli(['fmt', '--check', '--no-config', dir])).err).toContain(join(dir, 'vendor/a.xml'));
    expect((await cli(['fmt', '-w', dir])).code).toBe(0);
    expect(readFileSync(join(dir, 'v.xml'), 'utf8')).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response> <!-- keep -->\n  <Say>Hi</Say>\n</Response>\n');
    expect(readFileSync(join(dir, 'vendor/a.xml'), 'utf8')).toBe(messy);
    writeFileSync(join(dir, 'didml.config.json'), JSON.stringify({ ignore: ['vendor/**'] }));
    const bad = await cli(['fmt', '--check', dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/didml\.config\.json: \(top level\): unknown key "ignore" \(did you mean "ignores"\?\)/);
  });

  it('standard input takes the working folder\'s top-level settings; its globs do not reach it', () => {
    const dir = tree({ 'didml.config.json': { dialect: 'didml', ignores: ['**/*'], overrides: [{ files: ['**/*'], dialect: 'plivo' }] } });
    const before = process.cwd();
    process.chdir(dir);
    try {
      expect(new ConfigLookup().resolve('<stdin>')).toMatchObject({ dialect: 'didml', overrides: [] });
      expect(new ConfigLookup().resolve('<stdin>').ignoredBy).toBeUndefined();
    } finally {
      process.chdir(before);
    }
  });
});
