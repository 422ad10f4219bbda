// Inline directives in XML comments: next line, own line, a stretch, the whole file; several ids,
// none (every rule); unknown ids reported; unused ones on request; --fix and fmt keep them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/validate/lint.js';
import { lintAndFix } from '../../src/validate/fix.js';
import { main } from '../../src/cli/main.js';

const rules = (xml: string, o = {}) => lint(xml, { dialect: 'twiml', ...o }).diagnostics.map((d) => `${d.line}:${d.rule}`);

// Line 2: an e164 warning; line 3: say-empty; line 4: another e164.
const BODY = (d1 = '', d2 = '', d3 = '') =>
  ['<Response>', `${d1}<Dial><Number>4155550100</Number></Dial>`, `${d2}<Say></Say>`, `${d3}<Dial><Number>4155550101</Number></Dial>`, '</Response>'].join('\n');

describe('inline directives', () => {
  it('without directives, three warnings', () => {
    expect(rules(BODY())).toEqual(['2:e164', '3:say-empty', '4:e164']);
  });

  it('didml-disable-next-line silences the next line only, for the rules it names', () => {
    const xml = ['<Response>', '<!-- didml-disable-next-line e164 -->', '<Dial><Number>4155550100</Number></Dial><Say></Say>', '<Dial><Number>4155550101</Number></Dial>', '</Response>'].join('\n');
    expect(rules(xml)).toEqual(['3:say-empty', '4:e164']);
  });

  it('several ids, comma-separated; no id silences every rule', () => {
    const line = (directive: string) => ['<Response>', directive, '<Dial><Number>4155550100</Number></Dial><Say></Say>', '</Response>'].join('\n');
    expect(rules(line('<!-- didml-disable-next-line e164, say-empty -->'))).toEqual([]);
    expect(rules(line('<!-- didml-disable-next-line -->'))).toEqual([]);
    expect(rules(line('<!-- didml-disable-next-line say-empty -->'))).toEqual(['3:e164']);
  });

  it('didml-disable-line silences its own line', () => {
    expect(rules(BODY('', '<!-- didml-disable-line say-empty -->'))).toEqual(['2:e164', '4:e164']);
  });

  it('didml-disable … didml-enable silences a stretch; an enable of one rule ends only that rule', () => {
    expect(rules(BODY('<!-- didml-disable e164 -->', '', '<!-- didml-enable -->'))).toEqual(['3:say-empty', '4:e164']);
    // Every rule off, then say-empty back on: e164 stays off to the end.
    expect(rules(BODY('<!-- didml-disable -->', '<!-- didml-enable say-empty -->'))).toEqual(['3:say-empty']);
    expect(rules(BODY('<!-- didml-disable e164, say-empty -->', '<!-- didml-enable say-empty -->'))).toEqual(['3:say-empty']);
  });

  it('a line directive covers all of the elements it is about (so it still does once fmt splits them over lines)', () => {
    const next = '<Response>\n<!-- didml-disable-next-line e164 -->\n<Dial>\n<Number>4155550100</Number>\n</Dial>\n<Dial><Number>4155550101</Number></Dial>\n</Response>';
    expect(rules(next)).toEqual(['6:e164']);
    const own = '<Response>\n<Dial>\n<Number>4155550100</Number>\n</Dial><!-- didml-disable-line e164 -->\n<Say></Say>\n</Response>';
    expect(rules(own)).toEqual(['5:say-empty']);
  });

  it('a disable before the root with no enable: the whole file, problems before the comment too', () => {
    expect(rules(`<!-- didml-disable -->\n${BODY()}`)).toEqual([]);
    // A problem at the very start (white space before the declaration) is before the comment.
    const xml = ` <?xml version="1.0"?><!-- didml-disable -->\n${BODY()}`;
    expect(lint(xml, { dialect: 'twiml' }).diagnostics).toEqual([]);
    expect(rules(`<!-- didml-disable e164 -->\n${BODY()}`)).toEqual(['4:say-empty']);
  });

  it('xml/* and xml rules: a DIDML recovery silenced on its line', () => {
    const xml = '<Response>\n<!-- didml-disable-next-line xml/* -->\n<dial><sip>sip:a@example.com</Say></dial>\n</Response>';
    expect(rules(xml, { dialect: 'didml' })).toEqual([]);
    expect(rules(xml.replace('xml/*', 'xml/mismatched-close-tag'), { dialect: 'didml' })).toEqual([]);
  });

  it('an id that is not a rule is reported, with the near one', () => {
    const r = lint(BODY('<!-- didml-disable-line e614 -->'), { dialect: 'twiml' }).diagnostics;
    const d = r.find((x) => x.rule === 'directive')!;
    expect(d).toMatchObject({ severity: 'warning', line: 2, message: 'didml-disable-line: "e614" is not a didml rule (did you mean "e164"?); it silences nothing' });
    expect(r.map((x) => x.rule)).toContain('e164');
  });

  it('a comment that is not a directive changes nothing', () => {
    expect(rules(BODY('<!-- disable e164 here? no: this is a note about didml -->'))).toEqual(['2:e164', '3:say-empty', '4:e164']);
  });

  it('reportUnusedDirectives reports what silenced nothing, with a fix that removes the comment', () => {
    const xml = ['<Response>', '  <!-- didml-disable-next-line e164 -->', '  <Say>Hi</Say>', '  <!-- didml-disable-next-line say-empty, e164 -->', '  <Dial><Number>4155550100</Number></Dial>', '  <!-- didml-enable url -->', '</Response>'].join('\n');
    const r = lint(xml, { dialect: 'twiml', reportUnusedDirectives: 'warning' }).diagnostics;
    expect(r.map((d) => [d.line, d.rule, d.message])).toEqual([
      [2, 'unused-disable-directive', 'didml-disable-next-line e164 silences nothing: no problem of that rule is reported on the next line; remove it'],
      [4, 'unused-disable-directive', 'didml-disable-next-line say-empty silences nothing: no problem of that rule is reported on the next line; take it out of the comment'],
      [6, 'unused-disable-directive', 'didml-enable url enables nothing: no didml-disable url is in force here; remove it'],
    ]);
    expect(r[1]!.fix).toBeUndefined();
    // Without the option, nothing is said.
    expect(lint(xml, { dialect: 'twiml' }).diagnostics).toEqual([]);
    const { output } = lintAndFix(xml, { dialect: 'twiml', reportUnusedDirectives: 'warning' });
    expect(output).toBe(['<Response>', '  <Say>Hi</Say>', '  <!-- didml-disable-next-line say-empty, e164 -->', '  <Dial><Number>4155550100</Number></Dial>', '</Response>'].join('\n'));
  });

  it('a rule the config turns off leaves its directive unused', () => {
    const xml = BODY('<!-- didml-disable-line e164 -->');
    const r = lint(xml, { dialect: 'twiml', severities: { e164: 'off' }, reportUnusedDirectives: 'error' }).diagnostics;
    expect(r.map((d) => `${d.line}:${d.rule}:${d.severity}`)).toEqual(['2:unused-disable-directive:error', '3:say-empty:warning']);
  });

  it('--fix keeps the directives in place and they still apply to the fixed document', () => {
    const xml = '<Response>\n<!-- didml-disable-next-line e164 -->\n<Dial><Number>4155550100</Number></Dial>\n<say>Hi</say>\n</Response>';
    const { output, result } = lintAndFix(xml, { dialect: 'twiml' });
    expect(output).toBe('<Response>\n<!-- didml-disable-next-line e164 -->\n<Dial><Number>4155550100</Number></Dial>\n<Say>Hi</Say>\n</Response>');
    expect(result.diagnostics).toEqual([]);
  });
});

describe('didml lint --report-unused-disable-directives', () => {
  async function cli(args: string[]) {
    let out = '';
    let err = '';
    const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
    return { code, out, err };
  }
  const dir = mkdtempSync(join(tmpdir(), 'didml-directives-'));
  const file = join(dir, 'v.xml');
  writeFileSync(file, '<Response>\n<!-- didml-disable-next-line e164 -->\n<Say>Hi</Say>\n</Response>\n');

  it('is an error by default (exit 1), or at the severity given; the config can set it', async () => {
    expect((await cli(['lint', file])).code).toBe(0);
    const r = await cli(['lint', '-f', 'json', file, '--report-unused-disable-directives']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)[0].diagnostics.map((d: { rule: string; severity: string }) => `${d.rule}:${d.severity}`)).toEqual(['unused-disable-directive:error']);
    const w = await cli(['lint', '-f', 'json', file, '--report-unused-disable-directives', 'warning']);
    expect(w.code).toBe(0);
    expect(JSON.parse(w.out)[0].diagnostics[0].severity).toBe('warning');
    writeFileSync(join(dir, 'didml.config.json'), JSON.stringify({ reportUnusedDisableDirectives: 'info' }));
    const c = await cli(['lint', '-f', 'json', file]);
    expect(JSON.parse(c.out)[0].diagnostics[0].severity).toBe('info');
  });

  it('--fix removes an unused directive, and only that', async () => {
    await cli(['lint', '--fix', file, '--report-unused-disable-directives']);
    expect(readFileSync(file, 'utf8')).toBe('<Response>\n<Say>Hi</Say>\n</Response>\n');
  });
});
