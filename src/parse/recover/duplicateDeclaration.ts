// A second `<?xml …?>` (DIDforSale's `<client>` page has two). saxes reads it and goes on.
import type { Span } from '../../types.js';
import type { Draft, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const duplicateDeclarationMeta: RecoveryMeta = {
  rule: 'xml/duplicate-declaration',
  severity: 'warning',
  destructive: false,
  description: 'a second XML declaration is ignored',
};

/**
 * `text`: the document read so far. Removing the declaration after a `]` could join `]]` and `>`
 * (which text may not hold); then there is no fix. Only what comes before is looked at: what
 * follows may not have been read yet.
 */
export function duplicateDeclaration(span: Span, text?: string): Draft {
  const message = 'A document has one XML declaration, at the very start; remove this one';
  if (text !== undefined && text.charCodeAt(span.start - 1) === 0x5d /* ] */) {
    return draft(duplicateDeclarationMeta, message, span);
  }
  return draft(duplicateDeclarationMeta, message, span, {
    description: 'remove the second XML declaration',
    edits: [{ ...span, text: '' }],
  });
}
