// Twilio <Gather>/<Record> without action request the current document again when they end:
// "might lead to unwanted looping" (Gather doc); an empty action is the same empty relative URL.
// Worth knowing, not wrong. (A <Redirect> without a URL is the `requires` rule's business.)
import { walk } from '../walk.js';
import { attrOf, defOf, type Rule } from './rule.js';

const LOOPS = new Set(['gather', 'record']);

export const actionLoop: Rule = {
  id: 'action-loop',
  severity: 'info',
  description: '<Gather> and <Record> without an action URL request the same document again.',
  check(ctx) {
    for (const [node] of walk(ctx.doc.root)) {
      const def = defOf(ctx, node);
      if (!def || !LOOPS.has(def.flow) || !('action' in def.attributes)) continue;
      const action = attrOf(ctx, node, 'action');
      if (action?.value.trim()) continue;
      ctx.report({
        message: `<${node.tag}> has ${action ? 'an empty action' : 'no action'}, so its result is sent to this same document's URL; set action to where the caller should go next`,
        span: action ? action.span : node.openSpan,
      });
    }
  },
};
