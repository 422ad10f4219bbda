// What an element must hold beyond its schema, read from the grammar's `requires` (one of A or
// B, A only with B): <Play> needs a URL or digits, <Enqueue> a queue name or workflowSid,
// <Record transcribeCallback> needs transcribe="true". The requirements are data in
// grammar/*.json, so a dialect that differs says so there; this rule only reads them.
import type { AttributeNode, Node } from '../../types.js';
import type { ElementDef, Requirement } from '../../grammar/index.js';
import { orList } from '../diagnostic.js';
import { walk } from '../walk.js';
import { attrOf, defOf, type Rule, type RuleContext } from './rule.js';

const TWILIO_SCHEMA_WARNING = 12200;

/** `@name=value` → ['name', 'value']; `@name` → ['name', undefined]. */
function attrItem(item: string): [string, string | undefined] {
  const eq = item.indexOf('=');
  return eq < 0 ? [item.slice(1), undefined] : [item.slice(1, eq), item.slice(eq + 1)];
}

function attrHolds(ctx: RuleContext, node: Node, item: string): AttributeNode | undefined {
  const [name, value] = attrItem(item);
  const attr = attrOf(ctx, node, name);
  if (!attr || !attr.value.trim()) return undefined;
  if (value !== undefined && attr.value.trim().toLowerCase() !== value.toLowerCase()) return undefined;
  return attr;
}

function holds(ctx: RuleContext, node: Node, item: string): boolean {
  if (item === 'text') return node.text.trim() !== '';
  if (item === 'children') return node.children.length > 0;
  if (item.startsWith('<')) return node.children.some((c) => c.def === item.slice(1, -1));
  return attrHolds(ctx, node, item) !== undefined;
}

// "an <Identity>", "a url", "a <Uri>": u reads as "you" in every name the grammar has.
const article = (word: string) => (/^[<"]?[aeio]/i.test(word) ? `an ${word}` : `a ${word}`);

/**
 * What is missing, in words that say the fix: content first ("the URL of the audio file
 * inside it"), then attributes ("a url or connectorName attribute").
 */
function needs(ctx: RuleContext, def: ElementDef, items: readonly string[]): string {
  const tag = (id: string) => `<${ctx.grammar.elements[id]?.tag ?? id}>`;
  const content = items.flatMap((item) => {
    if (item === 'text') {
      const what = def.text?.description.replace(/\.$/, '');
      return [what ? `${what.charAt(0).toLowerCase()}${what.slice(1)}` : 'text'];
    }
    if (item === 'children') {
      const tags = def.children.map(tag);
      return [`an element (${tags.length > 4 ? `${tags.slice(0, 4).join(', ')}, …` : orList(tags)})`];
    }
    return item.startsWith('<') ? [article(tag(item.slice(1, -1)))] : [];
  });
  const attrs = items.filter((item) => item.startsWith('@')).map((item) => {
    const [name, value] = attrItem(item);
    return value === undefined ? name : `${name}="${value}"`;
  });
  const bare = attrs.filter((a) => !a.includes('='));
  const valued = attrs.filter((a) => a.includes('='));
  const parts = [
    ...(content.length ? [`${orList(content)} inside it`] : []),
    ...(bare.length ? [`${article(orList(bare))} attribute`] : []),
    ...valued,
  ];
  return parts.join(', or ');
}

function check(ctx: RuleContext, node: Node, parent: Node | null, def: ElementDef, req: Requirement): void {
  if (req.parents && !(parent?.def && req.parents.includes(parent.def))) return;
  const trigger = req.if ? attrHolds(ctx, node, req.if) : undefined;
  if (req.if && !trigger) return;
  if (req.anyOf.some((item) => holds(ctx, node, item))) return;
  const missing = needs(ctx, def, req.anyOf);
  const hint = req.hint ? `: ${req.hint}` : '';
  const code = req.code ?? (trigger ? undefined : TWILIO_SCHEMA_WARNING);
  ctx.report({
    severity: req.severity ?? 'error',
    ...(code !== undefined ? { code } : {}),
    message: trigger
      ? `<${node.tag} ${trigger.name}> works only with ${missing}${hint}`
      : `<${node.tag}> needs ${missing}${hint}`,
    span: trigger ? trigger.nameSpan : node.openSpan,
  });
}

export const requires: Rule = {
  id: 'requires',
  severity: 'error',
  description: 'What an element must hold beyond its schema (the grammar\'s "requires"): one of A or B, A only with B.',
  check(ctx) {
    for (const [node, parent] of walk(ctx.doc.root)) {
      const def = defOf(ctx, node);
      for (const req of def?.requires ?? []) check(ctx, node, parent, def!, req);
    }
  },
};
