import { deepText, walk } from '../walk.js';
import { defOf, type Rule } from './rule.js';

export const sayEmpty: Rule = {
  id: 'say-empty',
  severity: 'warning',
  description: 'A <Say> (any element whose text is speech) with nothing to say.',
  check(ctx) {
    for (const [node] of walk(ctx.doc.root)) {
      if (defOf(ctx, node)?.text?.format !== 'speech') continue;
      if (deepText(node).trim()) continue;
      ctx.report({
        message: `<${node.tag}> has nothing to say: put the words to speak inside it, or remove it`,
        span: node.openSpan,
      });
    }
  },
};
