// White space before `<?xml` (a template literal that starts with a newline). XML requires the
// declaration first, and Twilio answers 12100; saxes carries on by itself.
import type { Draft, RecoveryMeta } from './types.js';
import { draft } from './types.js';
import { isSpace } from '../scan.js';

export const leadingWhitespaceMeta: RecoveryMeta = {
  rule: 'xml/leading-whitespace',
  severity: 'warning',
  destructive: false,
  description: 'white space before the XML declaration is ignored',
};

/** `decl` is the offset of `<?xml`; undefined when anything but white space (or a BOM) precedes it. */
export function leadingWhitespace(text: string, decl: number): Draft | undefined {
  const from = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (decl <= from) return undefined;
  for (let i = from; i < decl; i++) if (!isSpace(text.charCodeAt(i))) return undefined;
  return draft(leadingWhitespaceMeta, 'The XML declaration must be the very first thing in the document; remove the white space before <?xml', { start: decl, end: decl + 5 }, {
    description: 'remove the white space before <?xml',
    edits: [{ start: from, end: decl, text: '' }],
  });
}
