// `<number maxlength=60 timeout=15>` (DIDforSale's docs). saxes reads the value up to white space
// or `>` by itself; only `a=5/>` needs the working copy, where saxes would take `5/` as the value
// and miss that the tag closes itself.
import type { AttrSpans } from '../scan.js';
import type { Draft, Outcome, RecoveryMeta } from './types.js';
import { draft } from './types.js';
import { isBareAmpersand } from './unescapedAmpersand.js';

function hasBareAmpersand(text: string): boolean {
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) if (isBareAmpersand(text, i)) return true;
  return false;
}

export const unquotedAttributeMeta: RecoveryMeta = {
  rule: 'xml/unquoted-attribute',
  severity: 'warning',
  destructive: false,
  description: 'an unquoted attribute value is read up to white space or the end of the tag',
};

function quoteFor(value: string): string {
  return value.includes('"') ? "'" : '"';
}

/** `written`: the value as it is in the source, when it may differ from what saxes made of it. */
export function unquotedAttribute(name: string, value: string, spans: AttrSpans, written = value): Draft {
  const q = quoteFor(value);
  const span = { start: spans.start, end: spans.end };
  // `a=<x>`: a "<" is not allowed in a value, quoted or not; a bare `&` (`a=& ;`) makes saxes
  // read the value past white space, so quotes around the written value would not hold it.
  if (written.includes('<') || hasBareAmpersand(written)) {
    const what = written.includes('<') ? ['a "<"', '&lt; for each <'] : ['a bare "&"', '&amp; for each &'];
    return draft(unquotedAttributeMeta, `The value of ${name} is not quoted, and holds ${what[0]}; write ${name}="…" with ${what[1]} inside`, span);
  }
  // `a=1"'`: no quote can go around both kinds; which to escape is the author's call.
  if (value.includes('"') && value.includes("'")) {
    return draft(unquotedAttributeMeta, `The value of ${name} is not quoted, and holds both kinds of quote; write ${name}="…" with &quot; for each " inside`, span);
  }
  return draft(unquotedAttributeMeta, `The value of ${name} is not quoted; write ${name}=${q}${value}${q}`, span, {
    description: `quote the value of ${name}`,
    edits: [
      { start: spans.valueStart, end: spans.valueStart, text: q },
      { start: spans.valueEnd, end: spans.valueEnd, text: q },
    ],
  });
}

/** `a=5/>`: the value ends before the `/` of a self-closing tag. */
export function unquotedBeforeSlash(name: string, spans: AttrSpans, value: string): Outcome {
  const valueEnd = spans.valueEnd - 1;
  const d = unquotedAttribute(name, value, { ...spans, end: valueEnd, valueEnd });
  return { diagnostics: [d], edits: d.fix?.edits ?? [] };
}
