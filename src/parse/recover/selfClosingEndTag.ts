// DIDforSale's `<Dial>19499300366<dial/><hangup/>`: an end tag written as an empty element of the
// same name. saxes reads it as a child, which leaves `<Dial>` open and nests every later verb in
// it; in the working copy it becomes the end tag it stands for.
import type { El } from '../tree.js';
import type { Outcome, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const selfClosingEndTagMeta: RecoveryMeta = {
  rule: 'xml/self-closing-end-tag',
  severity: 'warning',
  destructive: true,
  description: '<x/> after the text of an unclosed <X> is read as its end tag',
};

/** The `<dial/>` inside an unclosed `<Dial>` that has text before it, if there is one. */
export function findSelfClosingEndTag(el: El): El | undefined {
  const name = el.tag.toLowerCase();
  return el.children.find(
    (child) => child.selfClosing && child.afterText && child.attrs.length === 0 && child.tag.toLowerCase() === name,
  );
}

export function selfClosingEndTag(el: El, child: El): Outcome {
  const span = { start: child.start, end: child.end };
  const close = `</${el.tag}>`;
  return {
    diagnostics: [draft(selfClosingEndTagMeta, `<${child.tag}/> stands for the end of <${el.tag}>; write ${close}`, span, {
      description: `replace <${child.tag}/> with ${close}`,
      edits: [{ ...span, text: close }],
    })],
    edits: [{ ...span, text: close }],
  };
}
