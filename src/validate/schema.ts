// Runs the dialect's ahead-of-time compiled ajv validator over the document and turns each
// ajv error into a diagnostic at the right place, in words a person understands.
import type { AttributeNode, Diagnostic, Document, Node, Severity, Span } from '../types.js';
import {
  attributeByLowerName,
  loadValidator,
  type AjvError,
  type AttributeSchema,
  type ElementDef,
  type Grammar,
  type Projected,
} from '../grammar/index.js';
import { diagnostic, orList } from './diagnostic.js';
import { isTemplated } from './rules/rule.js';
import { isTemplateMarkup } from './template.js';
import { markWritten } from './written.js';

/** Where each projected attribute came from, to put its diagnostics on the source. */
type AttrSources = Map<string, AttributeNode>;

export interface SchemaResult {
  diagnostics: Diagnostic[];
  /** Attributes with the grammar's spelling, coerced types and defaults filled in (for the runtime). */
  projected: Projected | null;
}

const TWILIO_SCHEMA_WARNING = 12200;

export function validateSchema(doc: Document, grammar: Grammar): SchemaResult {
  if (!doc.root) return { diagnostics: [], projected: null };
  const sources = new WeakMap<Node, AttrSources>();
  const diagnostics: Diagnostic[] = [];
  const projected = project(doc, grammar, doc.root, sources, diagnostics);
  const validate = loadValidator(grammar.dialect);
  if (!validate(projected)) {
    for (const err of validate.errors ?? []) {
      const d = describe(doc, grammar, doc.root, sources, err);
      if (d) diagnostics.push(d);
    }
  }
  return { diagnostics, projected };
}

function project(
  doc: Document,
  grammar: Grammar,
  node: Node,
  sources: WeakMap<Node, AttrSources>,
  out: Diagnostic[],
): Projected {
  const def = node.def ? grammar.elements[node.def] : undefined;
  const attributes: Record<string, unknown> = {};
  const attrSources: AttrSources = new Map();
  for (const attr of node.attrs) {
    if (attr.name === 'xmlns' || attr.name.startsWith('xmlns:')) continue;
    const name = def ? canonicalAttribute(doc, grammar, node, def, attr, out) : attr.name;
    const schema = def?.attributes[name];
    attributes[name] = schema ? canonicalValue(doc, node, attr, name, schema, out) : attr.value;
    attrSources.set(name, attr);
  }
  sources.set(node, attrSources);
  const projected: Projected = {
    name: node.name,
    ...(node.def && node.def !== node.name ? { def: node.def } : {}),
    attributes,
    text: node.text.trim(),
    children: node.children.map((c) => project(doc, grammar, c, sources, out)),
  };
  // Before the validator fills in defaults: what the document itself set (a blank value sets nothing).
  markWritten(projected, [...attrSources].filter(([, a]) => a.value.trim() !== '').map(([name]) => name));
  return projected;
}

/**
 * Whether renaming `attr` to `name` would write an attribute twice: the name is there already, or
 * another attribute is a spelling of it too (`LANGUAGE` and `lANGUaGE`, each fixed to `language`).
 */
function renameClashes(grammar: Grammar, node: Node, attr: AttributeNode, name: string): boolean {
  const lower = name.toLowerCase();
  return node.attrs.some((a) => a !== attr && (a.name.toLowerCase() === lower || (grammar.attributeAliases[a.name] ?? grammar.attributeAliases[a.name.toLowerCase()]) === name));
}

/** The grammar's spelling of an attribute: exact, a dialect's known misspelling, or any case. */
function canonicalAttribute(
  doc: Document,
  grammar: Grammar,
  node: Node,
  def: ElementDef,
  attr: AttributeNode,
  out: Diagnostic[],
): string {
  if (attr.name in def.attributes) return attr.name;
  const alias = grammar.attributeAliases[attr.name] ?? grammar.attributeAliases[attr.name.toLowerCase()];
  if (alias && alias in def.attributes) {
    const rename = { description: `rename ${attr.name} to ${alias}`, edits: [{ ...attr.nameSpan, text: alias }] };
    out.push(
      diagnostic(doc, {
        rule: 'attribute-alias',
        severity: 'warning',
        message: `<${node.tag} ${attr.name}> is a misspelling that ${grammar.title} accepts; write ${alias}`,
        span: attr.nameSpan,
        // With the name already there, renaming would write it twice: a suggestion, not a fix.
        ...(renameClashes(grammar, node, attr, alias) ? { suggestions: [rename] } : { fix: rename }),
      }),
    );
    return alias;
  }
  if (!grammar.caseSensitive) return attributeByLowerName(def).get(attr.name.toLowerCase()) ?? attr.name;
  return attr.name;
}

/**
 * The enum's spelling of a value the engine reads in any letter case (`x-any-case`: an HTTP
 * method, `get` for GET). It works, so it is a warning with a fix, and the runtime sees GET.
 */
function canonicalValue(
  doc: Document,
  node: Node,
  attr: AttributeNode,
  name: string,
  schema: AttributeSchema,
  out: Diagnostic[],
): string {
  const value = attr.value;
  if (!schema['x-any-case'] || !schema.enum || schema.enum.includes(value)) return value;
  const match = schema.enum.find((v) => typeof v === 'string' && v.toLowerCase() === value.trim().toLowerCase());
  if (typeof match !== 'string') return value;
  const exact = attr.valueSpan.end - attr.valueSpan.start === value.length;
  out.push(
    diagnostic(doc, {
      rule: 'attribute-value',
      severity: 'warning',
      message: `<${node.tag} ${attr.name}="${clip(value)}">: write ${match}; ${name} works in any letter case, but is documented as ${orList(schema.enum)}`,
      span: attr.quote || value ? attr.valueSpan : attr.span,
      ...(exact ? { fix: { description: `write ${match}`, edits: [{ ...attr.valueSpan, text: match }] } } : {}),
    }),
  );
  return match;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Follows an ajv instancePath (`/children/2/attributes/input`) back to the node it names. */
function locate(root: Node, path: string): { node: Node; rest: string[] } | null {
  const segments = path.split('/').slice(1).map(unescapePointer);
  let node = root;
  let i = 0;
  while (segments[i] === 'children' && segments[i + 1] !== undefined) {
    const child = node.children[Number(segments[i + 1])];
    if (!child) return null;
    node = child;
    i += 2;
  }
  return { node, rest: segments.slice(i) };
}

function describe(
  doc: Document,
  grammar: Grammar,
  root: Node,
  sources: WeakMap<Node, AttrSources>,
  err: AjvError,
): Diagnostic | null {
  const at = locate(root, err.instancePath);
  if (!at) return null;
  const { node, rest } = at;
  const def = node.def ? grammar.elements[node.def] : undefined;
  const [part, attrName] = rest;
  if (part === 'attributes' && attrName === undefined && err.keyword === 'additionalProperties') {
    const name = String(err.params['additionalProperty']);
    const attr = sources.get(node)?.get(name);
    return attr ? unknownAttribute(doc, grammar, node, def, attr) : null;
  }
  if (part === 'attributes' && attrName !== undefined) {
    const attr = sources.get(node)?.get(attrName);
    const schema = def?.attributes[attrName];
    if (!attr || !schema) return null;
    return badValue(doc, node, attr, attrName, schema, err);
  }
  if (part === 'text' && isTemplateMarkup(doc, node.text)) return null; // section tags render no text
  if (part === 'text') return badText(doc, node, def, err);
  if (part === 'children' && err.keyword === 'maxItems') return noChildren(doc, node);
  if (part === undefined && err.keyword === 'discriminator') return misplaced(doc, grammar, root, node, err);
  if (part === 'name' && err.keyword === 'const') {
    return diagnostic(doc, {
      rule: 'root-element',
      severity: 'error',
      // Twilio: "The root element must be Response".
      code: 12102,
      message: `The document element must be <${grammar.elements[grammar.root]?.tag ?? grammar.root}>, not <${node.tag}>`,
      span: tagNameSpan(node),
    });
  }
  return null;
}

function tagNameSpan(node: Node): Span {
  const start = node.openSpan.start + 1;
  return { start, end: Math.min(start + node.tag.length, node.openSpan.end) };
}

function unknownAttribute(
  doc: Document,
  grammar: Grammar,
  node: Node,
  def: ElementDef | undefined,
  attr: AttributeNode,
): Diagnostic {
  const known = def ? Object.keys(def.attributes) : [];
  const sameLetters = def ? attributeByLowerName(def).get(attr.name.toLowerCase()) : undefined;
  const close = sameLetters ? undefined : nearest(attr.name, known);
  const rename = (to: string) => ({ description: `rename ${attr.name} to ${to}`, edits: [{ ...attr.nameSpan, text: to }] });
  const hint = sameLetters
    ? `: attribute names are case-sensitive, write ${sameLetters}`
    : close
      ? `: did you mean ${close}?`
      : known.length
        ? `; it is ignored (known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`
        : `; <${node.tag}> takes no attributes`;
  return diagnostic(doc, {
    rule: 'unknown-attribute',
    severity: 'warning',
    code: TWILIO_SCHEMA_WARNING,
    message: `<${node.tag}> has no attribute ${attr.name} in ${grammar.title}${hint}`,
    span: attr.nameSpan,
    // With the name already there (`vERsION="1" version="2"`), or another spelling of it, renaming would write it twice.
    ...(sameLetters && !renameClashes(grammar, node, attr, sameLetters) ? { fix: rename(sameLetters) } : {}),
    ...(sameLetters && renameClashes(grammar, node, attr, sameLetters) ? { suggestions: [rename(sameLetters)] } : {}),
    ...(close ? { suggestions: [rename(close)] } : {}),
  });
}

/** The closest known name within two edits, if any (Damerau-free Levenshtein, case-insensitive). */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  const a = name.toLowerCase();
  for (const c of candidates) {
    const d = distance(a, c.toLowerCase(), bestDist);
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return best;
}

function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** What a value must be, per failing keyword: data, not a switch. */
const VALUE_RULES: Record<string, (s: AttributeSchema, p: Record<string, unknown>) => string> = {
  enum: (s) => `must be ${orList(s.enum ?? [])}`,
  const: (s) => `must be ${String(s.const)}`,
  type: (_s, p) =>
    p['type'] === 'integer'
      ? 'must be a whole number'
      : p['type'] === 'boolean'
        ? 'must be true or false'
        : p['type'] === 'number'
          ? 'must be a number'
          : `must be a ${String(p['type'])}`,
  minimum: (s) => `must be at least ${s.minimum}`,
  maximum: (s) => `must be at most ${s.maximum}`,
  exclusiveMinimum: (_s, p) => `must be more than ${String(p['limit'])}`,
  exclusiveMaximum: (_s, p) => `must be less than ${String(p['limit'])}`,
  minLength: (s) => `must be at least ${s.minLength} characters long`,
  maxLength: (s) => `must be at most ${s.maxLength} characters long`,
  pattern: (s) =>
    s['x-list'] ? `must be a space-separated list of ${orList(s['x-list'])}` : `must match ${s.pattern ?? 'its pattern'}`,
};

function badValue(
  doc: Document,
  node: Node,
  attr: AttributeNode,
  name: string,
  schema: AttributeSchema,
  err: AjvError,
): Diagnostic {
  const commas = err.keyword === 'pattern' && schema['x-list'] && attr.value.includes(',') ? ', separated by spaces, not commas' : '';
  const must = schema['x-hint'] ?? `${name} ${(VALUE_RULES[err.keyword] ?? (() => 'is not valid'))(schema, err.params)}${commas}`;
  const span = attr.quote || attr.value ? attr.valueSpan : attr.span;
  const where = `<${node.tag} ${attr.name}="${clip(attr.value)}">`;
  if (isTemplated(attr.value)) {
    // A template (${timeout}, {{ timeout }}) linted before rendering: say what the value must
    // become, without failing the template for a placeholder.
    return diagnostic(doc, {
      rule: 'attribute-value',
      severity: 'warning',
      message: `${where}: a template placeholder, checked only once rendered: ${must}`,
      span,
    });
  }
  const severity: Severity = schema['x-severity'] ?? 'error';
  const fix = valueFix(attr, schema, err);
  return diagnostic(doc, {
    rule: 'attribute-value',
    severity,
    code: schema['x-code'] ?? TWILIO_SCHEMA_WARNING,
    message: `${where}: ${must}`,
    span,
    ...(fix !== undefined ? { fix: { description: `write ${fix}`, edits: [{ ...attr.valueSpan, text: fix }] } } : {}),
  });
}

/**
 * The value the author evidently meant, where that is certain: an enum value in another letter
 * case (`Dtmf`), or a list written with commas (`initiated,ringing`, as RestComm reads it) whose
 * items are all valid.
 */
function valueFix(attr: AttributeNode, schema: AttributeSchema, err: AjvError): string | undefined {
  if (attr.valueSpan.end - attr.valueSpan.start !== attr.value.length) return undefined;
  if (err.keyword === 'enum') {
    const match = schema.enum?.find((v) => String(v).toLowerCase() === attr.value.trim().toLowerCase());
    return match === undefined ? undefined : String(match);
  }
  const list = schema['x-list'];
  if (err.keyword === 'pattern' && list) {
    const items = attr.value.split(/[\s,]+/).filter(Boolean);
    if (items.length && items.every((i) => list.includes(i))) return items.join(' ');
  }
  return undefined;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

function badText(doc: Document, node: Node, def: ElementDef | undefined, err: AjvError): Diagnostic {
  const span = node.textSpan ?? node.openSpan;
  const what = def?.text?.description ? ` (${def.text.description.replace(/\.$/, '')})` : '';
  const message =
    err.keyword === 'maxLength' && !def?.text
      ? `<${node.tag}> takes no text; remove it or move it into an element that does`
      : err.keyword === 'minLength'
        ? `<${node.tag}> needs text${what}`
        : `<${node.tag}> text ${err.message ?? 'is not valid'}${what}`;
  const text = node.text.trim();
  if (text && isTemplated(text)) {
    // Template tags between elements ({% if x %} … {% endif %}) vanish when the template renders.
    return diagnostic(doc, {
      rule: 'element-text',
      severity: 'warning',
      code: TWILIO_SCHEMA_WARNING,
      message: `${message}: "${clip(text.replace(/\s+/g, ' '))}" is template markup, checked only once rendered`,
      span,
    });
  }
  return diagnostic(doc, { rule: 'element-text', severity: 'error', code: TWILIO_SCHEMA_WARNING, message, span });
}

function noChildren(doc: Document, node: Node): Diagnostic {
  const first = node.children[0];
  const last = node.children[node.children.length - 1];
  return diagnostic(doc, {
    rule: 'nesting',
    severity: 'error',
    code: TWILIO_SCHEMA_WARNING,
    message: `<${node.tag}> cannot contain elements, but holds <${first?.tag ?? '?'}>`,
    span: first && last ? { start: first.span.start, end: last.span.end } : node.openSpan,
  });
}

function misplaced(doc: Document, grammar: Grammar, root: Node, node: Node, err: AjvError): Diagnostic {
  const parent = findParent(root, node);
  const parentDef = parent?.def ? grammar.elements[parent.def] : undefined;
  const allowed = parentDef ? parentDef.children.map((c) => `<${grammar.elements[c]?.tag ?? c}>`) : [];
  const known = node.def !== undefined;
  const where = parent ? ` inside <${parent.tag}>` : '';
  const message = known
    ? `<${node.tag}> is not allowed${where}; <${parent?.tag}> may contain ${orList(allowed)}`
    : `<${node.tag}> is not an element of ${grammar.title}${allowed.length ? `; here you may use ${orList(allowed)}` : ''}`;
  void err;
  return diagnostic(doc, {
    rule: known ? 'nesting' : 'unknown-element',
    severity: 'error',
    code: TWILIO_SCHEMA_WARNING,
    message,
    span: tagNameSpan(node),
  });
}

function findParent(root: Node, target: Node): Node | null {
  for (const child of root.children) {
    if (child === target) return root;
    const found = findParent(child, target);
    if (found) return found;
  }
  return null;
}
