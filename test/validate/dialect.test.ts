// --dialect auto: an element only one dialect has names it; lower-case verbs mean DIDML; a
// document TwiML refuses is taken for the case-sensitive dialect that accepts it, saying why.
// On every corpus document whose dialect INDEX.tsv names, auto gives no error the named
// dialect does not.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint, type DialectName } from '../../src/index.js';
import { rules } from '../../src/validate/rules/index.js';
import type { Rule } from '../../src/validate/rules/rule.js';

const pick = (xml: string) => {
  const r = lint(xml);
  return { dialect: r.dialect, reason: r.dialectReason, errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.rule) };
};

describe('auto-detection', () => {
  it('takes a Plivo <Conference> or <Stream> directly under <Response> for Plivo XML, and says why', () => {
    expect(pick('<Response><Conference startConferenceOnEnter="true">room</Conference></Response>')).toEqual({
      dialect: 'plivo',
      reason: '<Conference> directly under <Response> is Plivo XML; it is not valid TwiML',
      errors: [],
    });
    expect(pick('<Response><Stream bidirectional="true" keepCallAlive="true">wss://agent.example.com/s</Stream></Response>')).toEqual({
      dialect: 'plivo',
      reason: '<Stream> directly under <Response> is Plivo XML; it is not valid TwiML',
      errors: [],
    });
  });

  it("takes SignalWire's extensions for cXML: an rtmp <Play>, a <Stream> inside <Conference>", () => {
    expect(pick('<Response><Play>rtmp://example.com:1935/live</Play></Response>')).toEqual({
      dialect: 'cxml',
      reason: '<Play> on line 1 is SignalWire cXML; it is not valid TwiML (<Play> URL "rtmp://example.com:1935/live" uses rtmp:, not http: or https:)',
      errors: [],
    });
    const conference = '<Response><Dial><Conference>room<Stream url="wss://example.com/s"/></Conference></Dial></Response>';
    expect(pick(conference)).toMatchObject({ dialect: 'cxml', reason: '<Stream> inside <Conference> is SignalWire cXML; it is not valid TwiML' });
  });

  it("prefers the dialect whose elements fit when the document is wrong there too, and keeps that dialect's errors", () => {
    // An empty room name is wrong in Plivo as well; the element is still Plivo's, not TwiML's.
    expect(pick('<Response><Conference muted="true"/></Response>')).toEqual({
      dialect: 'plivo',
      reason: '<Conference> directly under <Response> is Plivo XML; it is not valid TwiML',
      errors: ['element-text'],
    });
  });

  it('keeps TwiML for a TwiML mistake no other dialect accepts, and for tag case slips (never DIDML by validity)', () => {
    expect(pick('<Response><Say>Hi</Say><Dial timeout="soon">+14155550100</Dial></Response>')).toEqual({
      dialect: 'twiml',
      reason: 'no element or spelling of another dialect',
      errors: ['attribute-value'],
    });
    expect(pick('<Response><SAY>Hi</SAY></Response>')).toMatchObject({ dialect: 'twiml', errors: ['tag-case'] });
  });

  it('keeps the strong evidence: a dialect-only element, lower-case verbs', () => {
    expect(pick('<Response><Speak>Hi</Speak></Response>')).toMatchObject({ dialect: 'plivo', reason: '<Speak> is Plivo XML' });
    expect(pick('<Response><dial><sip>sip.example.com</sip></dial></Response>')).toMatchObject({
      dialect: 'didml',
      reason: '<dial> is written in lower case, as DIDML documents are',
    });
  });

  it('lints a valid TwiML document once, and one TwiML refuses in the candidates', () => {
    const passes = (xml: string) => {
      let n = 0;
      const counter: Rule = { id: 'count', severity: 'info', description: 'counts passes', check: () => void n++ };
      lint(xml, { rules: [...rules, counter] });
      return n;
    };
    expect(passes('<Response><Say>Hi</Say><Dial>+14155550100</Dial></Response>')).toBe(1);
    // TwiML, then cXML (valid there); TeXML's <Play> is TwiML's, so it is not tried.
    expect(passes('<Response><Play>rtmp://example.com/live</Play></Response>')).toBe(2);
    // TwiML, then TeXML, cXML and Plivo, whose <Dial> each differ; none accepts it.
    expect(passes('<Response><Dial timeout="soon">+14155550100</Dial></Response>')).toBe(4);
    // Every candidate's <Enqueue> is TwiML's: the error would come back, so none is tried.
    expect(passes('<Response><Enqueue maxQueueSize="lots">support</Enqueue></Response>')).toBe(1);
  });

  it('leaves the document resolved in the dialect it reports', () => {
    const r = lint('<Response><Conference>room</Conference></Response>');
    expect(r.document.root?.children[0]?.def).toBe('PlivoConference');
    const back = lint('<Response><Dial timeout="soon"><Conference>room</Conference></Dial></Response>');
    expect([back.dialect, back.document.root?.children[0]?.children[0]?.def]).toEqual(['twiml', 'Conference']);
  });
});

const corpus = join(import.meta.dirname, '../../../shared/corpus/real');
const present = existsSync(join(corpus, 'INDEX.tsv'));
const SUPPORTED = new Set(['twiml', 'didml', 'cxml', 'texml', 'plivo']);
const named = present
  ? readFileSync(join(corpus, 'INDEX.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'))
      .filter(([, dialect, , valid]) => valid === 'yes' && SUPPORTED.has(dialect!))
      .map(([file, dialect]) => [file!, dialect as DialectName] as const)
  : [];

describe.skipIf(!present)('auto-detection on the corpus', () => {
  it('covers the documents of every dialect', () => {
    expect(new Set(named.map(([, d]) => d))).toEqual(SUPPORTED);
  });

  // The same rule at the same place is the same problem, whatever each dialect's words for it.
  const where = (d: { line: number; column: number; rule: string; message: string }) => `${d.line}:${d.column} ${d.rule}`;
  it.each(named)('%s (%s): auto gives no error its own dialect does not', (file, dialect) => {
    const source = readFileSync(join(corpus, file));
    const own = new Set(lint(source, { dialect }).diagnostics.filter((d) => d.severity === 'error').map(where));
    const auto = lint(source, { dialect: 'auto' });
    const extra = auto.diagnostics.filter((d) => d.severity === 'error' && !own.has(where(d)));
    expect(extra.map((d) => `${where(d)} ${d.message}`), `auto took it for ${auto.dialect}: ${auto.dialectReason}`).toEqual([]);
  });
});
