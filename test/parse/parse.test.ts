// The tree and its positions, and the diagnostics that are not recoveries.
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/parse/index.js';
import { LineIndex } from '../../src/parse/positions.js';
import type { Node } from '../../src/types.js';
import { walk } from './support.js';

const slice = (source: string, span: { start: number; end: number } | undefined): string | undefined =>
  span && source.slice(span.start, span.end);

describe('parse: the tree', () => {
  const source =
    '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n' +
    '<!-- a comment -->\r\n' +
    '<Response>\r\n' +
    "  <Gather action='/next?a=1&amp;b=2' numDigits=\"1\">\r\n" +
    '    <Say voice="alice">Press 1 😀 &lt;now&gt;</Say>\r\n' +
    '  </Gather>\r\n' +
    '  <Play><![CDATA[https://x/a.mp3?a&b]]></Play><?pi skipped?>\r\n' +
    '  <Hangup/>\r\n' +
    '</Response>\r\n';
  const doc = parse(source);
  const root = doc.root as Node;
  const [gather, play, hangup] = root.children as [Node, Node, Node];
  const say = gather.children[0] as Node;

  it('is clean and keeps the source as decoded, BOM included', () => {
    expect(doc.diagnostics).toEqual([]);
    expect(doc.source).toBe(source);
    expect(root.tag).toBe('Response');
    expect(root.name).toBe('Response');
    expect(root.children.map((c) => c.tag)).toEqual(['Gather', 'Play', 'Hangup']);
  });

  it('gives each element its spans in the original source', () => {
    expect(slice(source, root.openSpan)).toBe('<Response>');
    expect(slice(source, root.closeSpan)).toBe('</Response>');
    expect(slice(source, root.span)?.startsWith('<Response>')).toBe(true);
    expect(slice(source, root.span)?.endsWith('</Response>')).toBe(true);
    expect(slice(source, gather.openSpan)).toBe("<Gather action='/next?a=1&amp;b=2' numDigits=\"1\">");
    expect(slice(source, say.span)).toBe('<Say voice="alice">Press 1 😀 &lt;now&gt;</Say>');
    expect(slice(source, hangup.span)).toBe('<Hangup/>');
    expect(hangup.closeSpan).toBeUndefined();
    expect(slice(source, hangup.openSpan)).toBe('<Hangup/>');
  });

  it('starts an element after a close tag that recovery removed, not on it', () => {
    const text = '<Response><Say>Hi</Say></Pay><Hangup/></Response>';
    const doc = parse(text);
    expect(doc.diagnostics.map((d) => d.rule)).toEqual(['xml/stray-close-tag']);
    const [say, hangup] = doc.root?.children ?? [];
    expect(slice(text, say?.span)).toBe('<Say>Hi</Say>');
    expect(slice(text, hangup?.span)).toBe('<Hangup/>');
    expect(hangup?.column).toBe(30);
  });

  it('starts text after a comment past its ">" (saxes reports the comment before reading it)', () => {
    const text = '<Response><Say><!-- a -->Hi</Say><Play><!---->>x</Play><Pause/><!-- b --></Response>';
    const doc = parse(text);
    const [say, play] = doc.root?.children ?? [];
    expect(slice(text, say?.textSpan)).toBe('Hi');
    expect(slice(text, play?.textSpan)).toBe('>x');
    // A comment, then a tag: a ">" that starts later text is text.
    const after = parse('<Response><!-- c --><Say>>hi</Say></Response>');
    expect(after.root?.children[0]?.textSpan).toEqual({ start: 25, end: 28 });
  });

  it('gives attributes their name, value and quote positions', () => {
    const [action, digits] = gather.attrs as [Node['attrs'][number], Node['attrs'][number]];
    expect(gather.attributes).toEqual({ action: '/next?a=1&b=2', numDigits: '1' });
    expect(action.quote).toBe("'");
    expect(slice(source, action.span)).toBe("action='/next?a=1&amp;b=2'");
    expect(slice(source, action.nameSpan)).toBe('action');
    expect(slice(source, action.valueSpan)).toBe('/next?a=1&amp;b=2');
    expect(digits.quote).toBe('"');
    expect(slice(source, digits.valueSpan)).toBe('1');
  });

  it('keeps direct text untrimmed, entities and CDATA decoded, with its span', () => {
    expect(say.text).toBe('Press 1 😀 <now>');
    expect(slice(source, say.textSpan)).toBe('Press 1 😀 &lt;now&gt;');
    expect(play.text).toBe('https://x/a.mp3?a&b');
    expect(slice(source, play.textSpan)).toBe('https://x/a.mp3?a&b');
    // CRLF is normalised in the text (XML end-of-line handling), not in the source.
    expect(gather.text).toBe('\n    \n  ');
    expect(hangup.textSpan).toBeUndefined();
  });

  it('gives line and column (UTF-16 columns) of each element', () => {
    const lines = new LineIndex(source);
    for (const node of walk(root)) {
      expect({ line: node.line, column: node.column, endLine: node.endLine, endColumn: node.endColumn }).toEqual(lines.rangeOf(node.span));
    }
    expect([say.line, say.column]).toEqual([5, 5]);
    expect([hangup.line, hangup.column]).toEqual([8, 3]);
  });

  it('accepts a BOM alone before the XML declaration', () => {
    expect(parse('\uFEFF<?xml version="1.0"?><Response/>').diagnostics).toEqual([]);
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    const node = parse('<Response __proto__="x"/>').root as Node;
    expect(node.attributes.__proto__).toBe('x');
    expect(Object.getPrototypeOf(node.attributes)).toBe(Object.prototype);
  });
});

describe('parse: refusals and other problems', () => {
  it('refuses a DOCTYPE and never expands its entities', () => {
    const source = '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "boom">]>\n<Response><Say>&a;</Say></Response>';
    const doc = parse(source);
    const rules = doc.diagnostics.map((d) => [d.rule, d.severity, d.code, d.line]);
    expect(rules).toEqual([
      ['xml/doctype', 'error', 12100, 2],
      ['xml/entity', 'error', 12100, 3],
    ]);
    expect(doc.diagnostics[0]?.suggestions?.[0]?.edits[0]).toMatchObject({ start: source.indexOf('<!DOCTYPE'), end: source.indexOf('\n<Response>'), text: '' });
    expect(doc.root?.children[0]?.text).not.toContain('boom');
  });

  it('reports an HTML entity with the character reference that replaces it', () => {
    const source = '<Response><Say>a&nbsp;b</Say></Response>';
    const [d] = parse(source).diagnostics;
    expect(d).toMatchObject({ rule: 'xml/entity', severity: 'error', start: source.indexOf('&'), end: source.indexOf('b<') });
    expect(d?.fix?.edits).toEqual([{ start: source.indexOf('&'), end: source.indexOf('b<'), text: '&#160;' }]);
  });

  it('reports bad character references', () => {
    expect(parse('<Response><Say>&#xD800;</Say></Response>').diagnostics.map((d) => d.rule)).toEqual(['xml/entity']);
  });

  it('says what saxes found in words, with the position in the fields', () => {
    const doc = parse('<Response>\n  <Say a="1" a="2">x</Say>\n  <Play>]]></Play>\n</Response>');
    expect(doc.diagnostics.map((d) => [d.rule, d.line, d.message])).toEqual([
      ['xml/duplicate-attribute', 2, 'Attribute a is given twice; keep one'],
      ['xml/syntax', 3, '"]]>" is not allowed in text; write ]]&gt;'],
    ]);
    for (const d of doc.diagnostics) expect(d.message).not.toMatch(/^\d+:\d+/);
  });

  it('reports a comment inside a start tag once, and takes none of its words for attributes', () => {
    const doc = parse('<Response><Say <!-- a note --> voice="alice">Hi</Say></Response>');
    expect(doc.diagnostics.map((d) => [d.rule, d.start, d.end, d.message])).toEqual([
      ['xml/syntax', 15, 16, 'The tag <Say> is not closed before this "<"; a comment or another tag goes after its ">"'],
    ]);
    // The comment's ">" ends the tag, as saxes reads it (an error: the document is not run).
    expect(doc.root?.children[0]?.attributes).toEqual({});
    expect(doc.root?.children[0]?.text).toBe(' voice="alice">Hi');
  });

  it('says what the document ends inside of', () => {
    const message = (text: string) => parse(text).diagnostics.find((d) => d.rule === 'xml/syntax')?.message;
    expect(message('<Response><Say>Hi</Say><!-- to do')).toBe('The document ends inside a comment; close it with -->');
    expect(message('<Response><Say><![CDATA[Hi')).toBe('The document ends inside a CDATA section; close it with ]]>');
    expect(message('<Response><Say')).toBe('The document ends in the middle of markup; complete or remove the last tag');
    // What saxes was reading there (the comment, an attribute's value) is not text of the element.
    expect(parse('<Response><Say>Hi</Say><!-- to do').root?.text).toBe('');
    expect(parse('<Response><Sip><a b=1').root?.children[0]?.text).toBe('');
  });

  it('reports a < in an attribute value (a template placeholder)', () => {
    const doc = parse('<Response>\n<Record action="https://<URL>" />\n</Response>');
    expect(doc.diagnostics.map((d) => [d.rule, d.line, d.column])).toEqual([['xml/syntax', 2, 25]]);
    expect(doc.root?.children[0]?.tag).toBe('Record');
  });

  it('reports an attribute without a value', () => {
    const doc = parse('<Response><Sip username>x</Sip></Response>');
    expect(doc.diagnostics.map((d) => [d.rule, d.message])).toEqual([['xml/syntax', 'Attribute username has no value; write username="…"']]);
    expect(doc.root?.children[0]?.attributes).toEqual({ username: '' });
  });

  it('reports text outside the root and a second root', () => {
    expect(parse('hello <Response/>').diagnostics.map((d) => [d.rule, d.start, d.end])).toEqual([['xml/syntax', 0, 5]]);
    expect(parse('<Response/> bye').diagnostics.map((d) => [d.rule, d.start, d.end])).toEqual([['xml/syntax', 12, 15]]);
    const two = parse('<Response/><Say>x</Say>');
    expect(two.diagnostics.map((d) => [d.rule, d.message])).toEqual([['xml/syntax', 'A document has one root element: move <Say> inside <Response>']]);
    expect(two.root?.tag).toBe('Response');
  });

  it('leaves a root it does not know as the root', () => {
    const doc = parse('<html><body>500</body></html>', { knownTags: new Set(['say']) });
    expect(doc.diagnostics).toEqual([]);
    expect(doc.root?.tag).toBe('html');
  });

  it('wraps known verbs only when told which verbs are known', () => {
    expect(parse('<Say>x</Say>').root?.tag).toBe('Say');
    const wrapped = parse('<Say>x</Say>', { knownTags: new Set(['say']) });
    expect(wrapped.root).toMatchObject({ tag: 'Response', name: 'Response', span: { start: 0, end: 0 }, openSpan: { start: 0, end: 0 } });
    expect(wrapped.root?.closeSpan).toBeUndefined();
    expect(wrapped.root?.children[0]?.tag).toBe('Say');
  });

  it('takes another root name, matched in any case', () => {
    expect(parse('<response><say>x</say></response>').diagnostics).toEqual([]);
    const doc = parse('<Say>x</Say>', { rootName: 'Document', knownTags: new Set(['say']) });
    expect(doc.root?.tag).toBe('Document');
    expect(doc.diagnostics[0]?.fix?.edits.map((e) => e.text)).toEqual(['<Document>', '</Document>']);
  });

  it('recovers several problems in one document', () => {
    const source = '<Response>\n<Dial><Number url=a&b>1</Say>\n<Sip>sip:a@b?x=1&y=2</Sip></Dial>\n</Response>\n';
    const doc = parse(source);
    expect(doc.diagnostics.map((d) => d.rule)).toEqual(['xml/unquoted-attribute', 'xml/unescaped-ampersand', 'xml/mismatched-close-tag', 'xml/unescaped-ampersand']);
    const dial = doc.root?.children[0];
    expect(dial?.children.map((c) => [c.tag, c.text, c.attributes])).toEqual([
      ['Number', '1', { url: 'a&b' }],
      ['Sip', 'sip:a@b?x=1&y=2', {}],
    ]);
    // Recovered positions are in the original source, not in the working copy.
    const number = dial?.children[0];
    expect(source.slice(number?.span.start, number?.span.end)).toBe('<Number url=a&b>1</Say>');
    expect(source.slice(number?.attrs[0]?.valueSpan.start, number?.attrs[0]?.valueSpan.end)).toBe('a&b');
  });
});
