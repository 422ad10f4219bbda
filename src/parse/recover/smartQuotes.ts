// `enable=”true”` (RestComm's docs, pasted through a word processor): typographic quotes are not
// XML quotes, so saxes reads an unquoted value up to the first space and breaks the rest of the
// tag into bogus attributes. In the working copy they become straight quotes.
import type { Outcome, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const smartQuotesMeta: RecoveryMeta = {
  rule: 'xml/smart-quotes',
  severity: 'warning',
  destructive: true,
  description: 'an attribute value in typographic quotes (“…”) is read as if straight quotes were used',
};

const TYPOGRAPHIC = new Set(['\u201c', '\u201d', '\u201e', '\u201f', '\u2018', '\u2019', '\u201a', '\u201b', '\u2033', '\u00ab', '\u00bb']);

export function isTypographicQuote(ch: string | undefined): boolean {
  return ch !== undefined && TYPOGRAPHIC.has(ch);
}

/** `open` is the offset of the opening typographic quote of a value. */
export function smartQuotes(text: string, open: number, name: string): Outcome | undefined {
  let close = -1;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '>' || ch === '<') break;
    if (TYPOGRAPHIC.has(ch)) {
      close = i;
      break;
    }
  }
  if (close === -1) return undefined;
  const value = text.slice(open + 1, close);
  if (value.includes('"') && value.includes("'")) return undefined;
  const q = value.includes('"') ? "'" : '"';
  const edits = [
    { start: open, end: open + 1, text: q },
    { start: close, end: close + 1, text: q },
  ];
  return {
    diagnostics: [draft(smartQuotesMeta, `The value of ${name} is in typographic quotes ${text[open] as string}…${text[close] as string}; XML needs straight quotes: ${name}=${q}${value}${q}`, { start: open, end: close + 1 }, {
      description: 'use straight quotes',
      edits,
    })],
    edits,
  };
}
