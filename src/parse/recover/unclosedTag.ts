// `<Dial><Number>1</Dial>`: a close tag for an element further out closes the ones inside it
// (saxes does the same); at the end of the document every element still open is closed.
import type { Span } from '../../types.js';
import type { Draft, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const unclosedTagMeta: RecoveryMeta = {
  rule: 'xml/unclosed-tag',
  severity: 'warning',
  destructive: false,
  description: 'elements left open are closed by the close tag of an element further out, or at the end',
};

/**
 * @param open the elements closed here, innermost first
 * @param at where they are closed: the outer close tag, or the end of the document
 * @param closer the outer close tag's name, undefined at the end of the document
 * @param fixable false when the document ends inside markup, where appending close tags is no fix
 */
export function unclosedTag(open: readonly { tag: string }[], at: Span, closer?: string, fixable = true): Draft {
  const closes = open.map((el) => `</${el.tag}>`).join('');
  const names = open.map((el) => `<${el.tag}>`);
  const list = names.length === 1 ? (names[0] as string) : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] as string}`;
  const verb = names.length === 1 ? 'is' : 'are';
  const message = closer === undefined
    ? `${list} ${verb} never closed; add ${closes} at the end`
    : `${list} ${verb} not closed before </${closer}>; add ${closes}`;
  if (!fixable) return draft(unclosedTagMeta, message, at);
  return draft(unclosedTagMeta, message, at, {
    description: `add ${closes}`,
    edits: [{ start: at.start, end: at.start, text: closes }],
  });
}
