// Picks a dialect from the document itself, from the grammars (no verb lists here):
// an element only one dialect has names it (<Speak> is Plivo, <Forward> DIDML); failing that,
// verbs written in lower case mean DIDML, whose docs write <dial><sip>; otherwise TwiML.
// That evidence is weak when it finds nothing: then a document TwiML refuses is linted in the
// other case-sensitive dialects (cXML, TeXML, Plivo) and takes the first that accepts it, so a
// Plivo <Conference> under <Response> or SignalWire's rtmp <Play> is not failed as TwiML.
// DIDML is never picked that way: being case-insensitive it would accept TwiML's case slips.
import type { DialectName, Diagnostic, Document, Node } from '../types.js';
import { DIALECTS, loadGrammar, type ElementDef } from '../grammar/index.js';
import { walk } from './walk.js';
import { resolveNames } from './resolve.js';

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

/** What auto-detection needs of a lint pass. */
export interface Linted {
  dialect: DialectName;
  dialectReason?: string;
  document: Document;
  diagnostics: Diagnostic[];
}

/** An error of the document's content; malformed XML (xml/*) is refused alike by every candidate. */
const contentErrors = (r: Linted) => r.diagnostics.filter((d) => d.severity === 'error' && !d.rule.startsWith('xml/'));

/** The case-sensitive dialects other than TwiML, in DIALECTS order (computed once). */
let candidates: DialectName[] | undefined;
function fallbacks(): DialectName[] {
  candidates ??= DIALECTS.filter((d) => d !== 'twiml' && loadGrammar(d).caseSensitive);
  return candidates;
}

/** The element a diagnostic is on, and its parent: the deepest node whose span holds its start. */
function placeOf(doc: Document, d: Diagnostic): [Node, Node | null] | undefined {
  let found: [Node, Node | null] | undefined;
  for (const [node, parent] of walk(doc.root)) {
    if (node.span.start <= d.start && d.start < node.span.end) found = [node, parent];
  }
  return found;
}

/** "<Stream> directly under <Response> is Plivo XML; it is not valid TwiML". */
function whyNotTwiml(doc: Document, twimlError: Diagnostic, dialect: DialectName): string {
  const title = loadGrammar(dialect).title;
  const place = placeOf(doc, twimlError);
  if (!place) return `the document is ${title}; in TwiML: ${twimlError.message}`;
  const [node, parent] = place;
  const structural = twimlError.rule === 'nesting' || twimlError.rule === 'unknown-element';
  const where = !structural
    ? `<${node.tag}> on line ${twimlError.line}`
    : parent === doc.root && parent
      ? `<${node.tag}> directly under <${parent.tag}>`
      : parent
        ? `<${node.tag}> inside <${parent.tag}>`
        : `<${node.tag}>`;
  return `${where} is ${title}; it is not valid TwiML${structural ? '' : ` (${twimlError.message})`}`;
}

/** Errors that say the document's elements are not this dialect's, or not in their places. */
const SHAPE = new Set(['nesting', 'unknown-element', 'root-element']);
const misfits = (r: Linted) => contentErrors(r).filter((d) => SHAPE.has(d.rule));

/**
 * The part of an element's definition each kind of error is about: an element holding text it
 * may not is judged by `text` alone, a bad attribute value by `attributes`. Other rules (and
 * those not listed) read the whole definition.
 */
const ASPECT: Record<string, readonly (keyof ElementDef)[]> = {
  'element-text': ['text'],
  'attribute-value': ['attributes'],
};

/** Whether an element definition reads the same in a dialect as in TwiML, in those parts (computed once each). */
const sameAsTwiml = new Map<string, boolean>();
function sameDef(dialect: DialectName, id: string, parts: readonly (keyof ElementDef)[] | undefined): boolean {
  const key = `${dialect}\0${id}\0${parts?.join() ?? ''}`;
  let same = sameAsTwiml.get(key);
  if (same === undefined) {
    const el = loadGrammar(dialect).elements[id];
    const base = loadGrammar('twiml').elements[id];
    const view = (e: ElementDef) => JSON.stringify(parts ? parts.map((p) => e[p]) : e);
    same = el !== undefined && base !== undefined && view(el) === view(base);
    sameAsTwiml.set(key, same);
  }
  return same;
}

/**
 * Whether the dialect could judge this TwiML error otherwise: its grammar differs at the element
 * the error is on (for a misplaced or unknown element: its parent may hold it there). Where the
 * grammars agree the error would come back, so that dialect is not tried.
 */
function couldDiffer(doc: Document, dialect: DialectName, d: Diagnostic): boolean {
  const place = placeOf(doc, d);
  if (!place) return true;
  const [node, parent] = place;
  if (d.rule === 'unknown-element' || d.rule === 'nesting') {
    // Misplaced or unknown: the dialect settles it only if its parent may hold this tag.
    const holder = parent?.def ? loadGrammar(dialect).elements[parent.def] : undefined;
    return !holder || node.tag.toLowerCase() in holder.childTags;
  }
  return !node.def || !sameDef(dialect, node.def, ASPECT[d.rule]);
}

/**
 * `--dialect auto`: the detected dialect's result, unless that is TwiML on weak evidence, TwiML
 * refuses the document and another case-sensitive dialect accepts it; failing one that accepts
 * it, one whose elements all fit where TwiML's do not (a Plivo <Conference> under <Response>
 * with an attribute wrong). A document valid in TwiML is linted once; one TwiML refuses is
 * linted again only in the dialects whose grammar differs where its errors are.
 */
export function lintAuto<R extends Linted>(doc: Document, lintIn: (dialect: DialectName) => R): R {
  const first = detectDialect(doc);
  const result = lintIn(first.dialect);
  const errors = first.dialect === 'twiml' ? contentErrors(result) : [];
  if (!errors.length) return { ...result, dialectReason: first.reason };
  const shapes = errors.filter((d) => SHAPE.has(d.rule));
  const refused = shapes[0] ?? errors[0]!;
  // Errors a candidate must not give: all of them to be valid there, the misfits to fit there.
  const decisive = shapes.length ? shapes : errors;
  const worthTrying = fallbacks().filter((dialect) => decisive.every((d) => couldDiffer(doc, dialect, d)));
  let fits: DialectName | undefined;
  for (const dialect of worthTrying) {
    const r = lintIn(dialect);
    if (contentErrors(r).length === 0) return { ...r, dialectReason: whyNotTwiml(doc, refused, dialect) };
    if (shapes.length && !fits && misfits(r).length === 0) fits = dialect;
  }
  // Each pass resolves the document's nodes anew, so the one returned is resolved last.
  if (fits) return { ...lintIn(fits), dialectReason: whyNotTwiml(doc, refused, fits) };
  if (worthTrying.length) resolveNames(doc, loadGrammar('twiml'));
  return { ...result, dialectReason: first.reason };
}

/** Every tag any dialect knows, lower-cased (for the parser's missing-root recovery). */
let allTags: Set<string> | undefined;
export function knownTags(dialect?: DialectName): ReadonlySet<string> {
  if (dialect) return new Set(Object.keys(loadGrammar(dialect).tags));
  allTags ??= new Set(DIALECTS.flatMap((d) => Object.keys(loadGrammar(d).tags)));
  return allTags;
}
