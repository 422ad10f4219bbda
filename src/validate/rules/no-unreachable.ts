// Verbs after one that never hands control back are dead code. Twilio's docs: "Any TwiML verbs
// occurring after a <Dial> which specifies an action attribute are unreachable"; <Hangup>,
// <Reject> and <Redirect> end the document (https://www.twilio.com/docs/voice/twiml).
import type { Node, Severity } from '../../types.js';
import { attrOf, defOf, type Rule, type RuleContext } from './rule.js';
import { leavesSection } from '../template.js';

interface Stop {
  severity: Severity;
  why: string;
}

/** Whether control can pass a verb to the next one, from its grammar `flow`. */
function stopAt(ctx: RuleContext, node: Node): Stop | null {
  const flow = defOf(ctx, node)?.flow;
  const has = (name: string) => attrOf(ctx, node, name) !== undefined;
  const isTrue = (name: string) => attrOf(ctx, node, name)?.value.trim().toLowerCase() === 'true';
  if (flow === 'terminal') return { severity: 'warning', why: `<${node.tag}> ends the document` };
  if (flow === 'action' && has('action')) {
    return { severity: 'warning', why: `control goes to the action URL of <${node.tag}> when it ends` };
  }
  if (flow === 'gather' && isTrue('actionOnEmptyResult')) {
    return { severity: 'warning', why: `<${node.tag} actionOnEmptyResult="true"> always goes to its action URL` };
  }
  if (flow === 'record') {
    return { severity: 'info', why: `<${node.tag}> goes to its action URL whenever a recording is made, so these run only when none is` };
  }
  return null;
}

export const noUnreachable: Rule = {
  id: 'no-unreachable',
  severity: 'warning',
  description: 'Verbs after <Hangup>, <Reject>, <Redirect>, or a verb whose action takes control, never run.',
  check(ctx) {
    const visit = (parent: Node) => {
      const verbs = parent.children.filter((c) => defOf(ctx, c)?.verb);
      for (let i = 0; i < verbs.length - 1; i++) {
        const stop = stopAt(ctx, verbs[i]!);
        if (!stop) continue;
        const first = verbs[i + 1]!;
        const last = verbs[verbs.length - 1]!;
        const count = verbs.length - i - 1;
        if (leavesSection(ctx.doc, verbs[i]!.span.end, last.span.start)) continue; // may render apart
        ctx.report({
          severity: stop.severity,
          message: `${count === 1 ? `<${first.tag}> is` : `${count} verbs from <${first.tag}> on are`} never reached: ${stop.why} (line ${verbs[i]!.line})`,
          span: { start: first.span.start, end: last.span.end },
          suggestions: [
            {
              description: `remove the unreachable verb${count === 1 ? '' : 's'}`,
              edits: [{ start: verbs[i]!.span.end, end: last.span.end, text: '' }],
            },
          ],
        });
        break;
      }
    };
    if (ctx.doc.root) visit(ctx.doc.root);
  },
};
