// `<Say>Hi</Say>` with no `<Response>`: when every top-level element is a verb the dialect knows,
// the intent is clear, and the elements are wrapped in a virtual root.
import type { El } from '../tree.js';
import { newEl } from '../tree.js';
import type { Draft, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const missingRootMeta: RecoveryMeta = {
  rule: 'xml/missing-root',
  severity: 'warning',
  destructive: false,
  description: 'top-level verbs without the root element are wrapped in a virtual root',
};

export interface TopText {
  start: number;
  end: number;
  text: string;
}

/**
 * @param tops the top-level elements, in order
 * @param between text runs between them (white space, usually), in order
 * @param fixable false when the document ends inside markup, where an appended end tag is no fix
 */
export function missingRoot(
  tops: readonly El[],
  between: readonly TopText[],
  rootName: string,
  knownTags: ReadonlySet<string> | undefined,
  fixable = true,
): { root: El; diagnostic: Draft } | undefined {
  const first = tops[0];
  const last = tops[tops.length - 1];
  if (!first || !last || !knownTags) return undefined;
  const lowerRoot = rootName.toLowerCase();
  if (!tops.every((el) => el.tag.toLowerCase() !== lowerRoot && knownTags.has(el.tag.toLowerCase()))) return undefined;
  // Virtual: zero-width at the start of the document, no end tag.
  const root = newEl(rootName, 0);
  root.openEnd = 0;
  root.end = 0;
  root.virtual = true;
  root.children = [...tops];
  for (const t of between) {
    if (root.textStart < 0) root.textStart = t.start;
    root.textEnd = t.end;
    root.text += t.text;
  }
  const names = tops.length === 1 ? `<${first.tag}>` : `<${first.tag}> and the elements after it`;
  const message = `The document has no <${rootName}> root; put ${names} inside <${rootName}>…</${rootName}>`;
  const span = { start: first.start, end: first.openEnd };
  const diagnostic = fixable
    ? draft(missingRootMeta, message, span, {
        description: `wrap the document in <${rootName}>`,
        edits: [
          { start: first.start, end: first.start, text: `<${rootName}>` },
          { start: last.end, end: last.end, text: `</${rootName}>` },
        ],
      })
    : draft(missingRootMeta, message, span);
  // Twilio's own code for it: "The root element must be Response".
  diagnostic.code = MISSING_ROOT;
  return { root, diagnostic };
}

const MISSING_ROOT = 12102;
