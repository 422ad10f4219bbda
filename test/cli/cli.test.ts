// The CLI in-process (fast, exact output), plus the real executable once per command family.
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const repo = join(import.meta.dirname, '../..');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'didml-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const DFS = readFileSync(join(repo, 'examples/didforsale-forward/voice.xml'), 'utf8');

describe('didml lint', () => {
  it('exits 0 on the bundled examples and names the dialect it picked', async () => {
    const r = await cli(['lint', join(repo, 'examples')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('didml: <dial> is written in lower case');
    expect(r.out).toMatch(/✖ \d+ problems? \(0 errors, \d+ warnings?\)/);
  });

  it('prints the documented JSON shape', async () => {
    const dir = tmp({ 'voice.xml': '<Response><Gather input="keypad"/></Response>' });
    const r = await cli(['lint', '--format', 'json', dir]);
    expect(r.code).toBe(1);
    const [file] = JSON.parse(r.out);
    expect(file).toMatchObject({ file: join(dir, 'voice.xml'), dialect: 'twiml' });
    const d = file.diagnostics.find((x: { rule: string }) => x.rule === 'attribute-value');
    expect(d).toEqual({
      rule: 'attribute-value',
      severity: 'error',
      message: `<Gather input="keypad">: input must be dtmf, speech or 'dtmf speech'`,
      line: 1,
      column: 26,
      endLine: 1,
      endColumn: 32,
      code: 12200,
    });
  });

  it('--fix rewrites the file and the result lints clean of what it fixed', async () => {
    const dir = tmp({ 'voice.xml': DFS });
    const r = await cli(['lint', '--fix', join(dir, 'voice.xml')]);
    const fixed = readFileSync(join(dir, 'voice.xml'), 'utf8');
    expect(fixed).toContain('<sip>sip.example.com</sip>');
    expect(r.out).toMatch(/fix(es)? applied/);
    const again = await cli(['lint', '--format', 'json', join(dir, 'voice.xml')]);
    const rules = JSON.parse(again.out)[0].diagnostics.map((d: { rule: string }) => d.rule);
    expect(rules).not.toContain('xml/mismatched-close-tag');
  });

  it('--strict makes recoveries errors (exit 1)', async () => {
    const dir = tmp({ 'voice.xml': DFS });
    expect((await cli(['lint', dir])).code).toBe(0);
    expect((await cli(['lint', '--strict', dir])).code).toBe(1);
  });

  it('--max-warnings fails a run with too many warnings', async () => {
    const dir = tmp({ 'voice.xml': DFS });
    const r = await cli(['lint', '--max-warnings', '0', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('more than --max-warnings 0');
  });

  it('exits 2 on a path that does not exist, and on bad usage', async () => {
    const missing = await cli(['lint', '/no/such/file.xml']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('/no/such/file.xml: no such file or folder');
    expect((await cli(['lint', '--format', 'yaml', '.'])).code).toBe(2);
    expect((await cli(['lint', '--dialect', 'klingon', '.'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it.each(['sarif', 'github'] as const)('--format %s names file, rule and position', async (format) => {
    const dir = tmp({ 'v.xml': '<Response><Dial hangupOnStar="yes">+14155550123</Dial></Response>' });
    const r = await cli(['lint', '--format', format, dir]);
    if (format === 'sarif') {
      const log = JSON.parse(r.out);
      expect(log.version).toBe('2.1.0');
      expect(log.runs[0].results[0]).toMatchObject({
        ruleId: 'attribute-value',
        locations: [{ physicalLocation: { region: { startLine: 1, startColumn: 31 } } }],
      });
    } else {
      expect(r.out).toMatch(/^::(error|warning) file=.*v\.xml,line=1,col=31,endLine=1,endColumn=34,title=didml attribute-value \(13213\)::/m);
    }
  });
});

describe('didml parse', () => {
  it('prints the element tree with canonical names, tags as written and positions', async () => {
    const dir = tmp({ 'v.xml': DFS });
    const r = await cli(['parse', join(dir, 'v.xml')]);
    const doc = JSON.parse(r.out);
    expect(doc.dialect).toBe('didml');
    const dial = doc.document.children[0];
    expect(dial).toMatchObject({ name: 'Dial', tag: 'dial', line: 3, column: 6 });
    expect(dial.children[0]).toMatchObject({ name: 'Sip', tag: 'sip', text: 'sip.example.com', line: 4, column: 10 });
    expect(doc.diagnostics.map((d: { rule: string }) => d.rule)).toContain('xml/mismatched-close-tag');
  });
});

describe('didml fmt', () => {
  it('prints the canonical layout and keeps SSML mixed content as written', async () => {
    const dir = tmp({ 'v.xml': "<Response><Say voice='Polly.Joanna'>Hello <break time=\"1s\"/> world</Say><Dial timeout='10'><Number>+14155550123</Number></Dial></Response>" });
    const r = await cli(['fmt', join(dir, 'v.xml')]);
    expect(r.out).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Response>',
        '  <Say voice="Polly.Joanna">Hello <break time="1s"/> world</Say>',
        '  <Dial timeout="10">',
        '    <Number>+14155550123</Number>',
        '  </Dial>',
        '</Response>',
        '',
      ].join('\n'),
    );
    expect((await cli(['fmt', '--check', join(dir, 'v.xml')])).code).toBe(1);
    expect((await cli(['fmt', '--write', join(dir, 'v.xml')])).code).toBe(0);
    expect((await cli(['fmt', '--check', join(dir, 'v.xml')])).code).toBe(0);
  });
});

describe('didml schema', () => {
  it('prints a JSON Schema whose element definitions come from the grammar', async () => {
    const r = await cli(['schema', '--dialect', 'didml']);
    const schema = JSON.parse(r.out);
    expect(schema.$ref).toBe('#/$defs/Response');
    expect(schema.$defs.Gather.properties.attributes.properties.timeout).toMatchObject({ type: 'integer', default: 5 });
  });

  it('prints an XSD with --xsd', async () => {
    const r = await cli(['schema', '--xsd']);
    expect(r.out).toMatch(/^<\?xml/);
    expect(r.out).toContain('<xs:element name="Response" type="ResponseType"/>');
    expect(r.out).toContain('<xs:attribute name="timeout" default="5">');
  });

  it('--xsd constrains no more than the linter does: an editor shows every XSD violation as an error', async () => {
    const twiml = (await cli(['schema', '--xsd'])).out;
    // A method in any case works (a warning); Say's language list is only a warning.
    expect(twiml).toContain('<xs:pattern value="[Gg][Ee][Tt]|[Pp][Oo][Ss][Tt]"/>');
    const say = /<xs:complexType name="SayType"[^\n]*/.exec(twiml)?.[0] ?? '';
    expect(say).toContain('<xs:attribute name="language" default="en-US">');
    expect(say).not.toContain('value="en-GB"');
    // Lists are space-separated lists of their values.
    expect(twiml).toMatch(/<xs:attribute name="statusCallbackEvent"[^>]*>(<xs:annotation>.*?<\/xs:annotation>)?<xs:simpleType><xs:list>/);
    // SignalWire's SWAIG <Function> holds metadata elements of the author's choosing.
    const cxml = (await cli(['schema', '--xsd', '--dialect', 'cxml'])).out;
    expect(/<xs:complexType name="SwaigFunctionType"[^\n]*/.exec(cxml)?.[0]).toContain('<xs:any minOccurs="0" maxOccurs="unbounded" processContents="skip"/>');
  });
});

describe('didml call', () => {
  const screening = () =>
    tmp({
      'voice.xml': '<Response><Dial action="after"><Number url="whisper">+14155550111</Number></Dial></Response>',
      'whisper.xml': '<Response><Gather numDigits="1" timeout="3" action="accept"><Say>Press 1 to take the call</Say></Gather><Hangup/></Response>',
      'accept.xml': '<Response/>',
      'after.xml': '<Response><Hangup/></Response>',
    });

  it('runs a call on a folder app and prints its transcript, a screened callee\'s lines under its leg', async () => {
    const r = await cli(['call', screening(), '--callee-digits', '1', '--no-input']);
    expect(r.err).toMatch(/^didml call: webhooks are signed \(X-Twilio-Signature\) with the (development auth token|auth token in \$DIDML_AUTH_TOKEN)\b.*\n$/);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^\s+5\.0s\s+000001> say "Press 1 to take the call"$/));
    expect(lines).toContainEqual(expect.stringMatching(/000001> callee presses 1$/));
    expect(lines).toContainEqual(expect.stringMatching(/000001> screening over: accepted$/));
    expect(lines.findIndex((l) => /screening over/.test(l))).toBeLessThan(lines.findIndex((l) => /\sbridged$/.test(l)));
  });

  it('without --callee-digits the callee says nothing, is turned down, and --json shows the leg on its events', async () => {
    const r = await cli(['call', screening(), '--json', '--no-input']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { events: { type: string; leg?: string; reason?: string }[] };
    expect(out.events.filter((e) => e.type === 'say').every((e) => e.leg !== undefined)).toBe(true);
    expect(out.events.find((e) => e.type === 'callee-hangup')).toMatchObject({ reason: 'screened-out' });
    expect(out.events.some((e) => e.type === 'bridge')).toBe(false);
  });
});

describe('the executable', () => {
  it('runs from bin/ as the quick start does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'didml-bin-'));
    cpSync(join(repo, 'examples'), dir, { recursive: true });
    const r = spawnSync(process.execPath, [join(repo, 'bin/didml.js'), 'lint', '--format', 'json', dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).length).toBeGreaterThan(5);
  });
});
