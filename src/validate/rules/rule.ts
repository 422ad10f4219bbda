import type { AttributeNode, DialectName, Document, Node, Severity } from '../../types.js';
import { attributeByLowerName, type AttributeSchema, type ElementDef, type Grammar } from '../../grammar/index.js';
import type { DiagnosticInput } from '../diagnostic.js';

export type Report = Omit<DiagnosticInput, 'rule' | 'severity'> & { severity?: Severity };

export interface RuleContext {
  doc: Document;
  grammar: Grammar;
  dialect: DialectName;
  report(d: Report): void;
}

/** A lint rule: metadata beside behaviour, one file each, listed in rules/index.ts. */
export interface Rule {
  id: string;
  /** Default severity; a report may lower or raise it. */
  severity: Severity;
  description: string;
  /** Twilio's code for the problem, where there is one. */
  code?: number;
  check(ctx: RuleContext): void;
}

export function defOf(ctx: RuleContext, node: Node): ElementDef | undefined {
  return node.def ? ctx.grammar.elements[node.def] : undefined;
}

/** The attribute the grammar calls `name`, however the document spelled it (per dialect). */
export function attrOf(ctx: RuleContext, node: Node, name: string): AttributeNode | undefined {
  const def = defOf(ctx, node);
  return node.attrs.find((a) => {
    if (a.name === name) return true;
    if (ctx.grammar.attributeAliases[a.name] === name) return true;
    return !ctx.grammar.caseSensitive && def !== undefined && attributeByLowerName(def).get(a.name.toLowerCase()) === name;
  });
}

/** Each attribute of the node with the grammar's schema for it. */
export function* typedAttributes(ctx: RuleContext, node: Node): Generator<[AttributeNode, AttributeSchema, string]> {
  const def = defOf(ctx, node);
  if (!def) return;
  for (const attr of node.attrs) {
    const name =
      attr.name in def.attributes
        ? attr.name
        : (ctx.grammar.attributeAliases[attr.name] ??
          (ctx.grammar.caseSensitive ? undefined : attributeByLowerName(def).get(attr.name.toLowerCase())));
    const schema = name ? def.attributes[name] : undefined;
    if (name && schema) yield [attr, schema, name];
  }
}

/**
 * Text of a template engine left in a document: placeholders ({{ x }}, ${x}, <%= x %>, {x}, %s)
 * and Jinja/Django tags and comments ({% if x %}, {# note #}). The lint rules do not check such
 * a value: what it will be is only known once the template is rendered.
 */
export function isTemplated(s: string): boolean {
  return /\{\{|\{%|\{#|\$\{|<%|\{[A-Za-z_][\w.]*\}|%s\b/.test(s);
}
