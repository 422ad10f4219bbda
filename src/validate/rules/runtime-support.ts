// An attribute the grammar marks as not run by didml's runtime (`x-runtime`): the platform runs
// it, so the document is right, but `didml call`, `didml test` and `didml serve` go on without it
// (and say so in the call's transcript). A note, so a user knows before a test passes for the
// wrong reason.
import { childNotRun } from '../../grammar/index.js';
import { walk } from '../walk.js';
import { attrOf, defOf, typedAttributes, type Rule } from './rule.js';

export const runtimeSupport: Rule = {
  id: 'runtime-support',
  severity: 'info',
  description: "Attributes didml's runtime does not run yet (the platform does); the grammar's x-runtime marks say why.",
  check(ctx) {
    for (const [node, parent] of walk(ctx.doc.root)) {
      const def = defOf(ctx, node);
      const parentDef = parent ? defOf(ctx, parent) : undefined;
      const inParent = parent && node.def ? childNotRun(parentDef, node.def, def, (a) => (attrOf(ctx, node, a)?.value.trim() ?? '') !== '') : undefined;
      if (inParent?.attribute) {
        const attr = attrOf(ctx, node, inParent.attribute)!;
        ctx.report({ message: `<${node.tag} ${attr.name}> in <${parent!.tag}>: didml's runtime does not run it (${ctx.grammar.title} does): ${inParent.why}`, span: attr.nameSpan });
      } else if (inParent) {
        ctx.report({ message: `<${node.tag}> in <${parent!.tag}>: didml's runtime does not run it (${ctx.grammar.title} does): ${inParent.why}`, span: node.openSpan });
        continue;
      }
      for (const [attr, schema] of typedAttributes(ctx, node)) {
        const mark = schema['x-runtime'];
        // A blank value asks for nothing (`waitUrl=""` is Twilio's way of saying silence).
        if (!mark || attr.value.trim() === '') continue;
        const why =
          typeof mark === 'string'
            ? `didml's runtime does not run it yet (${ctx.grammar.title} does): ${mark}`
            : `didml's ${Object.keys(mark).join(' and ')} backend does not run it yet (${ctx.grammar.title} does): ${Object.values(mark).join('; ')}`;
        ctx.report({ message: `<${node.tag} ${attr.name}>: ${why}`, span: attr.nameSpan });
      }
    }
  },
};
