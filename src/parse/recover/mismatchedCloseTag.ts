// `<sip>sip.example.com</Say>` (DIDforSale's own docs): a close tag that matches no open element.
// saxes would close every open element and read the rest as text; the author meant to close the
// element that is open, so the working copy gets that close tag instead.
import type { Outcome, RecoveryMeta } from './types.js';
import { draft } from './types.js';
import { strayCloseTag } from './strayCloseTag.js';
import { nextCloseAtLevel } from './lookahead.js';

export const mismatchedCloseTagMeta: RecoveryMeta = {
  rule: 'xml/mismatched-close-tag',
  severity: 'warning',
  destructive: true,
  description: 'a close tag that matches no open element closes the innermost open element',
};

export interface MismatchedClose {
  /** The close tag, `<` to `>`. */
  start: number;
  end: number;
  name: string;
  /** Open elements, outermost first. */
  open: readonly { tag: string }[];
}

const START_TAG = /<[^\s/!?<>]/g;

function hasStartTagAfter(text: string, from: number): boolean {
  START_TAG.lastIndex = from;
  return START_TAG.test(text);
}

export function mismatchedCloseTag(text: string, close: MismatchedClose): Outcome | undefined {
  const inner = close.open[close.open.length - 1];
  if (!inner) return undefined;
  const span = { start: close.start, end: close.end };
  const replaceBy = (tag: string, message: string): Outcome => ({
    diagnostics: [draft(mismatchedCloseTagMeta, message, span, {
      description: `close <${tag}> with </${tag}>`,
      edits: [{ ...span, text: `</${tag}>` }],
    })],
    edits: [{ ...span, text: `</${tag}>` }],
  });
  // `</dial>` for `<Dial>`: the same element, spelt in another case (XML names are case-sensitive).
  const lower = close.name.toLowerCase();
  for (let i = close.open.length - 1; i >= 0; i--) {
    const tag = (close.open[i] as { tag: string }).tag;
    if (tag.toLowerCase() === lower) {
      return replaceBy(tag, `</${close.name}> does not match <${tag}>: XML names are case-sensitive; close it with </${tag}>`);
    }
  }
  // `</Pay></Pay>`, or `</Reject>` with no `<Reject>`: if the element that is open gets its own
  // close tag later, this one closes nothing and goes.
  if (nextCloseAtLevel(text, close.end) === inner.tag) return strayCloseTag(span, close.name);
  // Only the root is open and elements follow: closing the root here would leave them outside it.
  if (close.open.length === 1 && hasStartTagAfter(text, close.end)) return strayCloseTag(span, close.name);
  return replaceBy(inner.tag, `<${inner.tag}> is closed by </${close.name}>; close it with </${inner.tag}>`);
}
