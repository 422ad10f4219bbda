import { walk } from '../walk.js';
import { typedAttributes, type Rule } from './rule.js';

export const deprecated: Rule = {
  id: 'deprecated',
  severity: 'warning',
  description: 'Attributes that still work but should no longer be used (the grammar says what to use instead).',
  check(ctx) {
    for (const [node] of walk(ctx.doc.root)) {
      for (const [attr, schema] of typedAttributes(ctx, node)) {
        const instead = schema['x-deprecated'];
        if (instead) ctx.report({ message: `<${node.tag} ${attr.name}> is deprecated: ${instead}`, span: attr.nameSpan });
      }
    }
  },
};
