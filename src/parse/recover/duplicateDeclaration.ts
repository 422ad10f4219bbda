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

export function duplicateDeclaration(span: Span): Draft {
  return draft(duplicateDeclarationMeta, 'A document has one XML declaration, at the very start; remove this one', span, {
    description: 'remove the second XML declaration',
    edits: [{ ...span, text: '' }],
  });
}
