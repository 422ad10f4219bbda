// SARIF output that Microsoft's SARIF validator (sarif-multitool, from npm) accepts: files in the
// working folder as relative references under %SRCROOT%, files anywhere else as absolute file:
// URIs (a relative reference that begins with a slash is SARIF1004). Where the validator's
// binary cannot run, the SARIF 2.1.0 JSON schema it ships checks the output instead.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { main } from '../../src/cli/main.js';
import { sarifIn } from '../../src/validate/formatters/sarif.js';
import type { FileReport } from '../../src/validate/formatters/index.js';

const repo = join(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const multitool = require('@microsoft/sarif-multitool') as string;
// The package's own postinstall makes the binary executable; an install that skipped scripts did not.
if (existsSync(multitool) && !(statSync(multitool).mode & 0o100)) chmodSync(multitool, 0o755);
const canRun = spawnSync(multitool, ['--version'], { timeout: 60_000 }).status === 0;

/** The validator's results for a SARIF log: `ruleId level` of each (warnings and errors). */
function validate(log: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'didml-sarif-'));
  const input = join(dir, 'in.sarif');
  const output = join(dir, 'out.sarif');
  writeFileSync(input, log);
  const run = spawnSync(multitool, ['validate', input, '-o', output], { encoding: 'utf8', timeout: 120_000 });
  if (run.error || run.status !== 0) {
    // No binary for this machine: the schema alone (it cannot see SARIF1004, a rule beyond it).
    const schema = JSON.parse(readFileSync(join(dirname(multitool), 'sarif-2.1.0.json'), 'utf8')) as object;
    const check = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    return check(JSON.parse(log)) ? [] : (check.errors ?? []).map((e) => `schema ${e.instancePath} ${e.message}`);
  }
  const results = (JSON.parse(readFileSync(output, 'utf8')) as { runs: { results: { ruleId: string; level?: string }[] }[] }).runs[0]!.results;
  return results.filter((r) => r.level === 'error' || r.level === 'warning').map((r) => `${r.ruleId} ${r.level}`);
}

async function sarif(args: string[], input?: string) {
  let out = '';
  const code = await main(['lint', '-f', 'sarif', ...args], { out: (s) => (out += s), err: () => {}, color: false });
  return { code, out, input };
}

const OUTSIDE = mkdtempSync(join(tmpdir(), 'didml-sarif-outside-'));
writeFileSync(join(OUTSIDE, 'my voice.xml'), '<Response><say>Hi</say><Say></Say></Response>');

const uris = (log: string) =>
  (JSON.parse(log) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } }[] }[] }[] }).runs[0]!.results.map(
    (r) => r.locations[0]!.physicalLocation.artifactLocation,
  );

describe('didml lint --format sarif', () => {
  it('the validator runs here and catches a relative reference that begins with a slash', () => {
    // npm ships its binary for linux-x64 (this project's machines): there it must run.
    if (process.platform === 'linux' && process.arch === 'x64') expect(canRun).toBe(true);
    const bad = JSON.parse(sarifIn('/work')([{ file: 'a.xml', dialect: 'twiml', diagnostics: [] }]).replace('"results": []', '"results": [{"ruleId":"say-empty","level":"warning","message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"/tmp/a.xml","uriBaseId":"%SRCROOT%"},"region":{"startLine":1}}}]}]'));
    const found = validate(JSON.stringify(bad));
    // With the binary: SARIF1004; with the schema only, this log is valid (the rule is beyond it).
    expect(found).toEqual(canRun ? ['SARIF1004 error'] : []);
  });

  it('files in the working folder: relative references under %SRCROOT%; the log validates clean', async () => {
    const r = await sarif([join(repo, 'examples/didforsale-forward'), 'examples/ivr']);
    expect(r.code).toBe(0);
    const locations = uris(r.out);
    expect(locations.length).toBeGreaterThan(0);
    for (const l of locations) {
      expect(l.uriBaseId).toBe('%SRCROOT%');
      expect(l.uri).toMatch(/^examples\//);
    }
    expect(validate(r.out)).toEqual([]);
  });

  it('a file outside the working folder: an absolute file: URI (escaped), with its fixes; the log validates clean', async () => {
    const file = join(OUTSIDE, 'my voice.xml');
    const viaParent = relative(process.cwd(), file);
    expect(viaParent.startsWith('..')).toBe(true);
    for (const given of [file, viaParent]) {
      const r = await sarif([given, '--dialect', 'twiml']);
      expect(r.code).toBe(1);
      const locations = uris(r.out);
      expect(locations).toContainEqual({ uri: pathToFileURL(file).href });
      expect(locations.every((l) => l.uriBaseId === undefined)).toBe(true);
      const fixes = (JSON.parse(r.out) as { runs: { results: { fixes?: { artifactChanges: { artifactLocation: unknown }[] }[] }[] }[] }).runs[0]!.results.flatMap((x) => x.fixes ?? []);
      expect(fixes.length).toBeGreaterThan(0);
      for (const f of fixes) expect(f.artifactChanges[0]!.artifactLocation).toEqual({ uri: pathToFileURL(file).href });
      expect(validate(r.out)).toEqual([]);
    }
  });

  it('maps every kind of path, the working folder given', () => {
    const report = (file: string): FileReport => ({ file, dialect: 'twiml', diagnostics: [{ rule: 'say-empty', severity: 'warning', message: 'm', line: 1, column: 1, endLine: 1, endColumn: 2, start: 0, end: 1 }] });
    const log = sarifIn('/home/ada/repo')(['a/b c.xml', './d.xml', '/home/ada/repo/e/f.xml', '/home/ada/other/g.xml', '../repo/h.xml', '../x/y.xml', '<stdin>', 'C:\\work\\z.xml'].map(report));
    expect(uris(log)).toEqual([
      { uri: 'a/b%20c.xml', uriBaseId: '%SRCROOT%' },
      { uri: 'd.xml', uriBaseId: '%SRCROOT%' },
      { uri: 'e/f.xml', uriBaseId: '%SRCROOT%' },
      { uri: 'file:///home/ada/other/g.xml' },
      { uri: 'h.xml', uriBaseId: '%SRCROOT%' },
      { uri: 'file:///home/ada/x/y.xml' },
      { uri: 'stdin' },
      { uri: 'file:///C:/work/z.xml' },
    ]);
    expect(validate(log)).toEqual([]);
  });
});
