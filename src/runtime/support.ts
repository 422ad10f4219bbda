// What of a document the runtime does not honour, from the grammar's `x-runtime` marks: an
// attribute the document writes (not one it merely has by default) that no backend runs yet, or
// that the call's backend cannot (drachtio has no speech-to-text for <Record transcribe>). The
// session says so once per call for each document and attribute, in the transcript and the log,
// so no attribute is silently ignored. Lint notes the same marks (rule runtime-support).
import { childNotRun, loadGrammar, type AttributeSchema, type Projected } from '../grammar/index.js';
import type { DialectName } from '../types.js';
import { writtenAttributes } from '../validate/written.js';

/** Why the attribute is not honoured on this backend, and whether only this backend lacks it; undefined when honoured. */
export function notHonouredBecause(schema: AttributeSchema | undefined, backend: string | undefined): { why: string; backendOnly: boolean } | undefined {
  const mark = schema?.['x-runtime'];
  if (mark === undefined || mark === null) return undefined;
  if (typeof mark === 'string') return { why: mark, backendOnly: false };
  const why = backend === undefined ? undefined : mark[backend];
  return why ? { why, backendOnly: true } : undefined;
}

export interface NotHonoured {
  /** The grammar definition id and tag of the element. */
  element: string;
  tag: string;
  /** The attribute not honoured; none when the whole element is not run (in `parentTag`). */
  attribute?: string;
  parentTag?: string;
  why: string;
  /** Only the call's backend lacks it (another backend honours it). */
  backendOnly: boolean;
}

/** Every attribute the document writes that the runtime does not honour on `backend`, in document order. */
export function notHonoured(root: Projected, dialect: DialectName, backend: string | undefined): NotHonoured[] {
  const grammar = loadGrammar(dialect);
  const out: NotHonoured[] = [];
  const visit = (node: Projected, parent: Projected | undefined): void => {
    const id = node.def ?? node.name;
    const def = grammar.elements[id];
    const parentDef = parent ? grammar.elements[parent.def ?? parent.name] : undefined;
    const written = writtenAttributes(node);
    // A child not run at all is said once, not attribute by attribute, and not looked into.
    const inParent = parent && def ? childNotRun(parentDef, id, def, (a) => written.includes(a)) : undefined;
    if (inParent) out.push({ element: id, tag: def!.tag, parentTag: parentDef!.tag, why: inParent.why, backendOnly: false, ...(inParent.attribute ? { attribute: inParent.attribute } : {}) });
    if (inParent && !inParent.attribute) return;
    for (const attribute of def ? written : []) {
      if (attribute === inParent?.attribute) continue;
      const mark = notHonouredBecause(def!.attributes[attribute], backend);
      if (mark) out.push({ element: id, tag: def!.tag, attribute, ...mark });
    }
    for (const c of node.children) visit(c, node);
  };
  visit(root, undefined);
  return out;
}

/** The words of the warning: names the element and the attribute, and says the call goes on without it. */
export function notHonouredMessage(n: NotHonoured, backend: string | undefined): string {
  const who = n.backendOnly ? `didml's ${backend ?? ''} backend` : "didml's runtime";
  if (n.attribute === undefined) return `<${n.tag}> in <${n.parentTag ?? ''}> is not supported by ${who} (the platform runs it): ${n.why}`;
  if (n.parentTag !== undefined) return `<${n.tag} ${n.attribute}> in <${n.parentTag}> is not run by ${who} (the platform runs it): ${n.why}; the call goes on without it`;
  return `<${n.tag} ${n.attribute}> is not run by ${who} (the platform runs it): ${n.why}; the call goes on without it`;
}
