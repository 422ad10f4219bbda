// Twilio <Gather>/<Record> without action request the current document again when they end:
// "might lead to unwanted looping" (Gather doc); an empty action is the same empty relative URL.
// A <Redirect> with no URL does the same (Twilio's queue-redirect example relies on it to
// dequeue the next caller). Worth knowing, not wrong.
import { walk } from '../walk.js';
import { attrOf, defOf, type Rule } from './rule.js';

const LOOPS = new Set(['gather', 'record']);

export const actionLoop: Rule = {
  id: 'action-loop',
  severity: 'info',
  description: '<Gather> and <Record> without an action URL, and <Redirect> without a URL, request the same document again.',
  check(ctx) {
    for (const [node] of walk(ctx.doc.root)) {
      const def = defOf(ctx, node);
      if (!def) continue;
      if (LOOPS.has(def.flow) && 'action' in def.attributes) {
        const action = attrOf(ctx, node, 'action');
        if (action?.value.trim()) continue;
        ctx.report({
          message: `<${node.tag}> has ${action ? 'an empty action' : 'no action'}, so its result is sent to this same document's URL; set action to where the caller should go next`,
          span: action ? action.span : node.openSpan,
        });
      } else if (def.flow === 'terminal' && def.text?.format === 'url' && !node.text.trim() && !node.children.length) {
        ctx.report({
          message: `<${node.tag}> has no URL, so it requests this same document again; put the URL of the next document inside it`,
          span: node.openSpan,
        });
      }
    }
  },
};
