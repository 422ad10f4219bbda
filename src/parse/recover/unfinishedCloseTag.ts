// `</Say<Hangup/>`: a close tag cut short by the next tag. saxes reads on into that tag as more of
// the close tag, so the tag after it is lost and the wrong elements close; in the working copy
// the close tag gets the `>` it was missing.
import type { Span } from '../../types.js';
import type { Outcome, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const unfinishedCloseTagMeta: RecoveryMeta = {
  rule: 'xml/unfinished-close-tag',
  severity: 'warning',
  destructive: true,
  description: 'a close tag cut short by the next "<" ends there',
};

/** `span`: `</` and the name, which the next `<` follows (white space between, maybe). */
export function unfinishedCloseTag(span: Span, name: string): Outcome {
  const edit = { start: span.end, end: span.end, text: '>' };
  return {
    diagnostics: [draft(unfinishedCloseTagMeta, `The close tag </${name} has no ">"; write </${name}>`, span, {
      description: `add ">" after </${name}`,
      edits: [edit],
    })],
    edits: [edit],
  };
}
