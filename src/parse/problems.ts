// Diagnostics that are not recoveries: what saxes reports and the parser's own limits.
import type { Span } from '../types.js';
import type { Draft } from './recover/types.js';
import { XML_PARSE_ERROR } from './recover/types.js';

// Limits are this parser's, not XML's, but a document past one is cut short, so they carry
// 12100 too: the runtime never runs a cut tree.
function error(rule: string, message: string, span: Span, code: number | undefined = XML_PARSE_ERROR): Draft {
  return { rule, severity: 'error', message, span, ...(code !== undefined ? { code } : {}) };
}

// saxes' messages, said so that a user knows what to change.
const READABLE: Array<[RegExp, (m: RegExpMatchArray, before: string) => string]> = [
  [/^disallowed character in tag name/, () => 'A "<" must start a tag; write a literal < as &lt;'],
  [/^disallowed character in closing tag/, () => 'Invalid character in a close tag; write </name>'],
  [/^disallowed character in attribute name/, () => 'Invalid character in an attribute name (template placeholder or stray quote?); write name="value"'],
  [/^no whitespace between attributes/, () => 'Attributes must be separated by white space'],
  [/^forward-slash in opening tag not followed by >/, () => 'A "/" in a start tag must be followed by ">" (write <Name/>)'],
  [/^disallowed character\.$/, (_m, before) =>
    before === '<' ? 'A "<" is not allowed in an attribute value; write &lt;' : 'This character is not allowed in XML; remove it'],
  [/^unexpected end/, () => 'The document ends in the middle of markup; complete or remove the last tag'],
  [/^the string "\]\]>" is disallowed in char data/, () => '"]]>" is not allowed in text; write ]]&gt;'],
  [/^malformed comment/, () => '"--" is not allowed inside a comment'],
  [/^encoding value must match/, () => 'The encoding in the XML declaration is not a valid name (an unusual hyphen?); write encoding="UTF-8"'],
  [/^version number must match/, () => 'The XML declaration\'s version must be "1.0"'],
  [/^(XML declaration is incomplete|XML declaration must contain a version)/, () => 'The XML declaration is incomplete; write <?xml version="1.0" encoding="UTF-8"?>'],
  [/^weird empty close tag/, () => '"</>" is not a close tag; write </name>'],
  [/^incorrect syntax/, () => 'Unknown markup after "<!"; comments are written <!-- … -->'],
  [/^processing instructions are not allowed before root/, () => 'The XML declaration must come before the root element'],
];

// Hostile input repeats a few messages thousands of times: each is put in words once.
const said = new Map<string, string>();

export function readable(message: string, before: string): string {
  // Only a "<" before the place changes the words (see READABLE).
  const key = `${before === '<' ? '<' : ''}\u0000${message}`;
  const known = said.get(key);
  if (known !== undefined) return known;
  const m = message.replace(/^(?:[^:\n]*:)?\d+:\d+:\s*/, '');
  let text: string | undefined;
  for (const [re, say] of READABLE) {
    const hit = m.match(re);
    if (hit) {
      text = say(hit, before);
      break;
    }
  }
  if (text === undefined) {
    const upper = m.charAt(0).toUpperCase() + m.slice(1);
    text = /[.!?]$/.test(upper) ? upper : `${upper}.`;
  }
  if (said.size < 256) said.set(key, text);
  return text;
}

export function syntax(message: string, span: Span): Draft {
  return error('xml/syntax', message, span);
}

// HTML names people write in TwiML, with the character reference XML understands.
const HTML_ENTITIES: Record<string, number> = {
  nbsp: 160, copy: 169, reg: 174, trade: 8482, mdash: 8212, ndash: 8211, hellip: 8230, lsquo: 8216,
  rsquo: 8217, ldquo: 8220, rdquo: 8221, euro: 8364, pound: 163, yen: 165, cent: 162, deg: 176,
  eacute: 233, egrave: 232, agrave: 224, ccedil: 231, uuml: 252, ouml: 246, auml: 228, ntilde: 241, szlig: 223,
};

export function entity(text: string, span: Span): Draft {
  const ref = text.slice(span.start, span.end);
  const name = ref.slice(1, -1);
  if (ref.startsWith('&#')) return error('xml/entity', `${ref} is not a valid character reference`, span);
  if (name === '') return error('xml/entity', '"&;" is not a reference; write &amp; for a literal &', span);
  const code = Object.hasOwn(HTML_ENTITIES, name) ? HTML_ENTITIES[name] : undefined;
  if (code !== undefined) {
    const d = error('xml/entity', `${ref} is an HTML entity, not XML; write &#${code};`, span);
    d.fix = { description: `write &#${code};`, edits: [{ ...span, text: `&#${code};` }] };
    return d;
  }
  return error('xml/entity', `${ref} is not defined: XML knows only &amp; &lt; &gt; &quot; &apos; and character references (&#160;)`, span);
}

export function doctype(span: Span, body: string): Draft {
  const entities = /<!ENTITY/i.test(body) ? ' and its entity declarations are not expanded' : '';
  const d = error('xml/doctype', `A DOCTYPE is not allowed in a response document${entities}; remove it`, span);
  d.suggestions = [{ description: 'remove the DOCTYPE', edits: [{ ...span, text: '' }] }];
  return d;
}

export function duplicateAttribute(name: string, span: Span): Draft {
  return error('xml/duplicate-attribute', `Attribute ${name} is given twice; keep one`, span);
}

export function tooLarge(maxBytes: number, span: Span): Draft {
  return error('xml/too-large', `The document is larger than ${maxBytes} bytes (Twilio's limit is 64 KiB); reading stopped here`, span, undefined);
}

export function tooDeep(maxDepth: number, span: Span): Draft {
  return error('xml/too-deep', `Elements are nested more than ${maxDepth} deep; the ones below are ignored`, span, undefined);
}

export function tooManyAttributes(maxAttributes: number, tag: string, span: Span): Draft {
  return error('xml/too-many-attributes', `<${tag}> has more than ${maxAttributes} attributes; the rest are ignored`, span, undefined);
}

export function invalidUtf8(byte: number, span: Span, encoding = 'utf-8'): Draft {
  if (encoding !== 'utf-8') {
    return {
      rule: 'xml/invalid-encoding',
      severity: 'warning',
      message: `The document is not valid ${encoding}, the encoding it declares (first bad byte at offset ${byte}); bad bytes read as U+FFFD. Declare the encoding it is written in, or save it as UTF-8`,
      span,
      code: XML_PARSE_ERROR,
    };
  }
  return {
    rule: 'xml/invalid-utf8',
    severity: 'warning',
    message: `The document is not valid UTF-8 (first bad byte at offset ${byte}); bad bytes read as U+FFFD. Save it as UTF-8`,
    span,
    code: XML_PARSE_ERROR,
  };
}

export function tooManyRecoveries(limit: number, span: Span): Draft {
  return {
    rule: 'xml/too-many-problems',
    severity: 'warning',
    message: `More than ${limit} places needed a recovery; from here on the document is read without one (fix the first ones and lint again)`,
    span,
  };
}

export function loneSurrogate(span: Span): Draft {
  return {
    rule: 'xml/invalid-utf8',
    severity: 'warning',
    message: 'The text holds an unpaired UTF-16 surrogate, which no UTF-8 document can; it reads as U+FFFD. Build the text from valid Unicode',
    span,
    code: XML_PARSE_ERROR,
  };
}

export function tooManyProblems(limit: number, span: Span, stopped = false): Draft {
  return stopped
    ? { rule: 'xml/too-many-problems', severity: 'error', message: `So many XML problems that reading stopped here; the first ${limit} are reported`, span, code: XML_PARSE_ERROR }
    : { rule: 'xml/too-many-problems', severity: 'warning', message: `More than ${limit} XML problems; the rest are not reported`, span };
}

export function internalError(err: unknown): Draft {
  const why = err instanceof Error ? err.message : String(err);
  return { rule: 'xml/internal-error', severity: 'error', message: `The parser failed unexpectedly (${why}); please report this document`, span: { start: 0, end: 0 } };
}

export function readError(err: unknown): Draft {
  const why = err instanceof Error ? err.message : String(err);
  return { rule: 'xml/read-error', severity: 'error', message: `Reading the document failed: ${why}`, span: { start: 0, end: 0 } };
}
