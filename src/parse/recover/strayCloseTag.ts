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

export function strayCloseTag(span: Span, name: string, afterRoot = false): Outcome {
  const why = afterRoot ? 'the root element is already closed' : `no <${name}> is open here`;
  return {
    diagnostics: [draft(strayCloseTagMeta, `</${name}> closes nothing: ${why}; remove it`, span, {
      description: `remove </${name}>`,
      edits: [{ ...span, text: '' }],
    })],
    edits: [{ ...span, text: '' }],
  };
}
