// Gives every node its grammar definition and canonical name. Tags match case-insensitively
// (DIDML writes <dial><sip>, TwiML <Dial><Sip>); a dialect that is case-sensitive on the wire
// (Twilio fails such a document with 12100) gets an error with a fix that respells the tag.
import type { Diagnostic, Document, Node, TextEdit } from '../types.js';
import type { Grammar } from '../grammar/index.js';
import { diagnostic } from './diagnostic.js';

export function resolveNames(doc: Document, grammar: Grammar): Diagnostic[] {
  const out: Diagnostic[] = [];
  const visit = (node: Node, def: string | undefined): void => {
    const lower = node.tag.toLowerCase();
    const id = def ?? grammar.tags[lower]?.[0];
    const el = id ? grammar.elements[id] : undefined;
    if (id && el) {
      node.def = id;
      node.name = el.tag;
      if (grammar.caseSensitive && node.tag !== el.tag) out.push(caseDiagnostic(doc, grammar, node, el.tag));
    } else {
      // Unknown here: forget what another dialect's pass made of it (auto-detection lints a
      // document in more than one dialect).
      delete node.def;
      node.name = node.tag;
    }
    // Free-form content (anyChildren: SWAIG metadata) is the author's own markup, not verbs.
    if (el?.anyChildren) return;
    for (const child of node.children) visit(child, el?.childTags[child.tag.toLowerCase()]);
  };
  if (doc.root) {
    const rootEl = grammar.elements[grammar.root];
    visit(doc.root, rootEl && doc.root.tag.toLowerCase() === rootEl.tag.toLowerCase() ? grammar.root : undefined);
  }
  return out;
}

function caseDiagnostic(doc: Document, grammar: Grammar, node: Node, tag: string): Diagnostic {
  const nameAt = node.openSpan.start + 1;
  const edits: TextEdit[] = [{ start: nameAt, end: nameAt + node.tag.length, text: tag }];
  if (node.closeSpan) {
    const closeAt = node.closeSpan.start + 2;
    edits.push({ start: closeAt, end: closeAt + node.tag.length, text: tag });
  }
  return diagnostic(doc, {
    rule: 'tag-case',
    severity: 'error',
    code: 12100,
    message: `${grammar.title} is case-sensitive: write <${tag}>, not <${node.tag}>`,
    span: { start: nameAt, end: nameAt + node.tag.length },
    fix: { description: `respell <${node.tag}> as <${tag}>`, edits },
  });
}
