// What of a document the runtime does not honour, from the grammar's `x-runtime` marks: an
// attribute the document writes (not one it merely has by default) that no backend runs yet, or
// that the call's backend cannot (drachtio has no speech-to-text for <Record transcribe>). The
// session says so once per call for each document and attribute, in the transcript and the log,
// so no attribute is silently ignored. Lint notes the same marks (rule runtime-support).
import { loadGrammar, type AttributeSchema, type Projected } from '../grammar/index.js';
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
  attribute: string;
  why: string;
  /** Only the call's backend lacks it (another backend honours it). */
  backendOnly: boolean;
}

/** Every attribute the document writes that the runtime does not honour on `backend`, in document order. */
export function notHonoured(root: Projected, dialect: DialectName, backend: string | undefined): NotHonoured[] {
  const grammar = loadGrammar(dialect);
  const out: NotHonoured[] = [];
  const visit = (node: Projected): void => {
    const id = node.def ?? node.name;
    const def = grammar.elements[id];
    for (const attribute of def ? writtenAttributes(node) : []) {
      const mark = notHonouredBecause(def!.attributes[attribute], backend);
      if (mark) out.push({ element: id, tag: def!.tag, attribute, ...mark });
    }
    node.children.forEach(visit);
  };
  visit(root);
  return out;
}

/** The words of the warning: names the element and the attribute, and says the call goes on without it. */
export function notHonouredMessage(n: NotHonoured, backend: string | undefined): string {
  const who = n.backendOnly ? `didml's ${backend ?? ''} backend` : "didml's runtime";
  return `<${n.tag} ${n.attribute}> is not run by ${who} (the platform runs it): ${n.why}; the call goes on without it`;
}
