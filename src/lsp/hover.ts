// Hover: what the grammar says about the element or attribute under the cursor (its
// description, text, children, type, allowed values, default and where the grammar has it from).
import { MarkupKind, type Hover, type MarkupContent } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { loadGrammar, type AttributeSchema, type ElementDef, type Grammar } from '../grammar/index.js';
import type { LintResult } from '../validate/lint.js';
import { attributeName, elementDef, spotAt } from './locate.js';
import { toRange } from './convert.js';

/** A hover's content as lines of parts; each part is plain words or code (a tag, a value). */
type Part = string | { code: string } | { link: string };
type Line = Part[];

const code = (s: unknown): Part => ({ code: String(s) });

export function renderLines(lines: Line[], kind: MarkupKind): MarkupContent {
  // Markdown would take `<Say>` in plain words for HTML: escape what it reads as markup.
  const md = (p: Part) =>
    typeof p === 'string' ? p.replace(/[\\`*_[\]<>|#]/g, '\\$&') : 'link' in p ? `<${p.link}>` : '`' + p.code.replace(/`/g, "'") + '`';
  const text = (p: Part) => (typeof p === 'string' ? p : 'link' in p ? p.link : p.code);
  const join = kind === MarkupKind.Markdown ? (l: Line) => l.map(md).join('') : (l: Line) => l.map(text).join('');
  return { kind, value: lines.map(join).join('\n\n') };
}

/** The grammar's source: a URL (made a link), often followed by words, or only words. */
function sourceLine(source: string): Line {
  const url = /^https?:\/\/\S+/.exec(source)?.[0];
  return url ? ['Source: ', { link: url }, source.slice(url.length)] : ['Source: ' + source];
}

function list(values: readonly unknown[]): Part[] {
  return values.flatMap((v, i) => (i ? [', ', code(v)] : [code(v)]));
}

export function elementLines(grammar: Grammar, def: ElementDef): Line[] {
  const role = def === grammar.elements[grammar.root] ? 'root element' : def.verb ? 'verb' : 'noun';
  const lines: Line[] = [[code(`<${def.tag}>`), ` · ${role} of ${grammar.title}`]];
  if (def.description) lines.push([def.description]);
  if (def.text) lines.push([`Text${def.text.required ? ' (required)' : ''}: ${def.text.description || def.text.format || 'any'}`]);
  if (def.anyChildren) lines.push(['May contain: any elements (not checked)']);
  else if (def.children.length) {
    const tags = [...new Set(def.children.map((id) => grammar.elements[id]?.tag ?? id))];
    lines.push(['May contain: ', ...list(tags.map((t) => `<${t}>`))]);
  }
  const attrs = Object.keys(def.attributes);
  if (attrs.length) lines.push(['Attributes: ', ...list(attrs)]);
  if (def.source) lines.push(sourceLine(def.source));
  return lines;
}

export function attributeLines(def: ElementDef, name: string, schema: AttributeSchema): Line[] {
  const lines: Line[] = [[code(name), ' on ', code(`<${def.tag}>`)]];
  if (schema.description) lines.push([schema.description]);
  if (schema['x-deprecated']) lines.push([`Deprecated: ${schema['x-deprecated']}`]);
  if (schema.enum) lines.push(['Allowed values: ', ...list(schema.enum), schema['x-any-case'] ? ' (any letter case)' : '']);
  else if (schema['x-list']) lines.push(['One or more of ', ...list(schema['x-list']), ', separated by spaces']);
  else if (schema.const !== undefined) lines.push(['Only ', code(schema.const)]);
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  const format = schema['x-format'] ? ` (${schema['x-format']})` : '';
  if (type && !schema.enum) {
    const range =
      schema.minimum !== undefined && schema.maximum !== undefined
        ? `, ${schema.minimum} to ${schema.maximum}`
        : schema.minimum !== undefined
          ? `, at least ${schema.minimum}`
          : schema.maximum !== undefined
            ? `, at most ${schema.maximum}`
            : '';
    const length = schema.maxLength !== undefined ? `, at most ${schema.maxLength} characters` : '';
    lines.push([`Type: ${type}${format}${range}${length}`]);
  }
  if (schema['x-hint']) lines.push([schema['x-hint']]);
  else if (schema.pattern) lines.push(['Pattern: ', code(schema.pattern)]);
  if (schema.default !== undefined) lines.push(['Default: ', code(schema.default)]);
  if (schema['x-code']) lines.push([`Twilio code for a bad value: ${schema['x-code']}`]);
  if (def.source) lines.push(sourceLine(def.source));
  return lines;
}

export function hover(doc: TextDocument, result: LintResult, offset: number, kind: MarkupKind): Hover | null {
  const spot = spotAt(result.document.root, offset);
  if (!spot) return null;
  const grammar = loadGrammar(result.dialect);
  const found = elementDef(grammar, spot.node);
  const range = toRange(doc, spot.span);
  if (!found) {
    if (spot.kind !== 'tag') return null;
    return { contents: renderLines([[code(`<${spot.node.tag}>`), ` is not an element of ${grammar.title}`]], kind), range };
  }
  if (spot.kind === 'tag') {
    const lines = elementLines(grammar, found.def);
    // On the root, which dialect the document is linted as, and why (auto-detection can surprise).
    if (spot.node === result.document.root) lines.splice(1, 0, [`Linted as ${grammar.title}${result.dialectReason ? `: ${result.dialectReason}` : ''}`]);
    return { contents: renderLines(lines, kind), range };
  }
  const name = attributeName(grammar, found.def, spot.attr.name);
  const schema = name ? found.def.attributes[name] : undefined;
  if (!name || !schema) {
    return { contents: renderLines([[code(spot.attr.name), ' is not an attribute of ', code(`<${found.def.tag}>`), ` in ${grammar.title}`]], kind), range };
  }
  return { contents: renderLines(attributeLines(found.def, name, schema), kind), range };
}
