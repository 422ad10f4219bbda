// Strictness follows the dialect's engine: Twilio, SignalWire, Telnyx and Plivo refuse a document
// that is not well-formed (12100), so each recovery is an error there; DIDforSale's engine runs
// it, so in DIDML it stays a warning with its fix. --strict and --lenient override either way.
// Driven by every recovery fixture of fixtures/parse/.
import { describe, expect, it } from 'vitest';
import { lint, type DialectName } from '../../src/index.js';
import { parse } from '../../src/parse/index.js';
import { knownTags } from '../../src/validate/dialect.js';
import { readFixtures } from '../parse/support.js';
import { readFileSync } from 'node:fs';

const STRICT: DialectName[] = ['twiml', 'cxml', 'texml', 'plivo'];
const xmlRules = (r: ReturnType<typeof lint>) => r.diagnostics.filter((d) => d.rule.startsWith('xml/'));

describe.each(readFixtures().map((f) => [f.rule, f.name, f.file] as const))('%s %s', (_rule, _name, file) => {
  const source = readFileSync(file, 'utf8');
  const lenient = xmlRules(lint(source, { dialect: 'didml' }));

  it('is what the parser says in DIDML: a warning for a recovery, with its fix', () => {
    expect(lenient.length).toBeGreaterThan(0);
    expect(lenient.map((d) => d.severity)).toEqual(parse(source, { knownTags: knownTags('didml') }).diagnostics.map((d) => d.severity));
  });

  it.each(STRICT)('is an error in %s, with the same message and fix', (dialect) => {
    const strict = xmlRules(lint(source, { dialect }));
    expect(strict.map((d) => d.severity)).toEqual(strict.map(() => 'error'));
    expect(strict.map(({ rule, message, fix, start }) => ({ rule, message, fix, start }))).toEqual(
      lenient.map(({ rule, message, fix, start }) => ({ rule, message, fix, start })),
    );
  });

  it('--lenient keeps it a warning in TwiML; --strict makes it an error in DIDML', () => {
    expect(xmlRules(lint(source, { dialect: 'twiml', lenient: true })).map((d) => d.severity)).toEqual(lenient.map((d) => d.severity));
    expect(xmlRules(lint(source, { dialect: 'didml', strict: true })).every((d) => d.severity === 'error')).toBe(true);
  });
});

describe('on auto, the detected dialect decides', () => {
  it("DIDforSale's own example (lower-case verbs, <sip> closed by </Say>) is DIDML: a warning", () => {
    const r = lint('<Response><dial><sip>sip:a@pbx.example.com</Say></dial></Response>');
    expect(r.dialect).toBe('didml');
    expect(xmlRules(r)).toEqual([expect.objectContaining({ rule: 'xml/mismatched-close-tag', severity: 'warning' })]);
  });

  it('the same mistake in TwiML is an error', () => {
    const r = lint('<Response><Dial><Sip>sip:a@pbx.example.com</Say></Dial></Response>');
    expect(r.dialect).toBe('twiml');
    expect(xmlRules(r)).toEqual([expect.objectContaining({ rule: 'xml/mismatched-close-tag', severity: 'error', code: 12100 })]);
  });

  it('a document without <Response> is Twilio 12102, an error in TwiML', () => {
    const r = lint('<Say>Hello</Say>', { dialect: 'twiml' });
    expect(xmlRules(r)).toEqual([expect.objectContaining({ rule: 'xml/missing-root', severity: 'error', code: 12102, line: 1, column: 1 })]);
    expect(xmlRules(lint('<say>Hello</say>', { dialect: 'didml' }))[0]).toMatchObject({ severity: 'warning', code: 12102 });
  });
});

describe('bytes that are not in the encoding are reported at their place', () => {
  const latin1 = (text: string) => Buffer.from(text, 'latin1');

  it('not UTF-8: an error in TwiML, a warning in DIDML, at the byte', () => {
    const bytes = latin1('<Response>\n  <Say>caf\xe9 ouvert</Say>\n</Response>');
    const twiml = lint(bytes, { dialect: 'twiml' });
    expect(twiml.diagnostics).toEqual([
      expect.objectContaining({ rule: 'xml/invalid-utf8', severity: 'error', line: 2, column: 11, code: 12100, message: expect.stringContaining('offset 21') }),
    ]);
    expect(lint(bytes, { dialect: 'didml' }).diagnostics[0]).toMatchObject({ rule: 'xml/invalid-utf8', severity: 'warning', line: 2, column: 11 });
  });

  it('bytes in the encoding the declaration names are read in it: no problem, the text as meant', () => {
    const r = lint(latin1('<?xml version="1.0" encoding="ISO-8859-1"?><Response><Say>caf\xe9</Say></Response>'), { dialect: 'twiml' });
    expect(r.diagnostics).toEqual([]);
    expect(r.document.root?.children[0]?.text).toBe('café');
  });

  it('a byte the declared encoding does not have is reported in its name', () => {
    const bytes = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="Shift_JIS"?><Response><Say>ab'), Buffer.from([0x81, 0x20]), Buffer.from('</Say></Response>')]);
    const r = lint(bytes, { dialect: 'twiml' });
    expect(r.diagnostics).toEqual([expect.objectContaining({ rule: 'xml/invalid-encoding', severity: 'error', message: expect.stringMatching(/not valid shift_jis.*offset 59/), line: 1, column: 60 })]);
  });
});
