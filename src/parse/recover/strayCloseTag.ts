// A close tag with nothing open to close: `</Response></Response>`, a second `</Pay>`, or
// `</Reject>` with no `<Reject>` (Kazoo's docs). saxes keeps it as text or closes the wrong
// element; it goes from the working copy and the fix deletes it.
import type { Span } from '../../types.js';
import type { Outcome, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const strayCloseTagMeta: RecoveryMeta = {
  rule: 'xml/stray-close-tag',
  severity: 'warning',
  destructive: true,
  description: 'a close tag that closes nothing is ignored',
};

/** Close tags (and the white space between them) that follow `from` directly. */
const MORE_CLOSE_TAGS = /\s*<\/[^\s<>/]+\s*>/y;

/**
 * `text`, after the root: every close tag that follows closes nothing either, so all of them go
 * in this one recovery (a round each would be a parse of the document each).
 */
export function strayCloseTag(span: Span, name: string, afterRoot = false, text?: string): Outcome {
  let end = span.end;
  let more = 0;
  if (afterRoot && text !== undefined) {
    MORE_CLOSE_TAGS.lastIndex = end;
    while (MORE_CLOSE_TAGS.exec(text)) {
      end = MORE_CLOSE_TAGS.lastIndex;
      more++;
    }
  }
  if (more > 0) {
    const all = { start: span.start, end };
    return {
      diagnostics: [draft(strayCloseTagMeta, `</${name}> and the ${more} close tag${more === 1 ? '' : 's'} after it close nothing: the root element is already closed; remove them`, all, {
        description: `remove </${name}> and the close tags after it`,
        edits: [{ ...all, text: '' }],
      })],
      edits: [{ ...all, text: '' }],
    };
  }
  const why = afterRoot ? 'the root element is already closed' : `no <${name}> is open here`;
  return {
    diagnostics: [draft(strayCloseTagMeta, `</${name}> closes nothing: ${why}; remove it`, span, {
      description: `remove </${name}>`,
      edits: [{ ...span, text: '' }],
    })],
    edits: [{ ...span, text: '' }],
  };
}
