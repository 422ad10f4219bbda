// Picks a dialect from the document itself, from the grammars (no verb lists here):
// an element only one dialect has names it (<Speak> is Plivo, <Forward> DIDML); failing that,
// verbs written in lower case mean DIDML, whose docs write <dial><sip>; otherwise TwiML.
import type { DialectName, Document, Node } from '../types.js';
import { DIALECTS, loadGrammar } from '../grammar/index.js';

export interface DialectChoice {
  dialect: DialectName;
  reason: string;
}

function* nodes(node: Node | null): Generator<Node> {
  if (!node) return;
  yield node;
  for (const c of node.children) yield* nodes(c);
}

/** Tags that are in `dialect`'s grammar and in no other's but those it extends (computed once). */
const own = new Map<DialectName, Set<string>>();
function ownTags(dialect: DialectName): Set<string> {
  let tags = own.get(dialect);
  if (!tags) {
    const g = loadGrammar(dialect);
    const base = g.extends ? loadGrammar(g.extends) : null;
    tags = new Set(Object.keys(g.tags).filter((t) => !base || !(t in base.tags)));
    own.set(dialect, tags);
  }
  return tags;
}

export function detectDialect(doc: Document): DialectChoice {
  const all = [...nodes(doc.root)];
  for (const dialect of DIALECTS) {
    if (dialect === 'twiml') continue;
    const own = ownTags(dialect);
    const hit = all.find((n) => own.has(n.tag.toLowerCase()));
    if (hit) return { dialect, reason: `<${hit.tag}> is ${loadGrammar(dialect).title}` };
  }
  const twiml = loadGrammar('twiml');
  const lower = all.find((n) => {
    const ids = twiml.tags[n.tag.toLowerCase()];
    const canonical = ids?.[0] ? twiml.elements[ids[0]]?.tag : undefined;
    return canonical !== undefined && n.tag !== canonical && n.tag === n.tag.toLowerCase();
  });
  if (lower) return { dialect: 'didml', reason: `<${lower.tag}> is written in lower case, as DIDML documents are` };
  return { dialect: 'twiml', reason: 'no element or spelling of another dialect' };
}

/** Every tag any dialect knows, lower-cased (for the parser's missing-root recovery). */
let allTags: Set<string> | undefined;
export function knownTags(dialect?: DialectName): ReadonlySet<string> {
  if (dialect) return new Set(Object.keys(loadGrammar(dialect).tags));
  allTags ??= new Set(DIALECTS.flatMap((d) => Object.keys(loadGrammar(d).tags)));
  return allTags;
}
