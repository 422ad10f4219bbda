// What is at an offset of a parsed document: which element, and whether the offset is on its
// tag name, an attribute's name or value, or in its content.
import type { AttributeNode, Node, Span } from '../types.js';
import { attributeByLowerName, type ElementDef, type Grammar } from '../grammar/index.js';

export type Spot =
  | { kind: 'tag'; node: Node; span: Span }
  | { kind: 'attribute-name' | 'attribute-value'; node: Node; attr: AttributeNode; span: Span };

const within = (offset: number, s: Span) => offset >= s.start && offset <= s.end;

/** The innermost elements whose span holds the offset, outermost first. */
export function pathAt(root: Node | null, offset: number): Node[] {
  const path: Node[] = [];
  let node = root && within(offset, root.span) ? root : undefined;
  while (node) {
    path.push(node);
    node = node.children.find((c) => within(offset, c.span));
  }
  return path;
}

export function spotAt(root: Node | null, offset: number): Spot | undefined {
  const node = pathAt(root, offset).at(-1);
  if (!node) return undefined;
  const open = { start: node.openSpan.start + 1, end: node.openSpan.start + 1 + node.tag.length };
  if (within(offset, open)) return { kind: 'tag', node, span: open };
  if (node.closeSpan) {
    const close = { start: node.closeSpan.start + 2, end: node.closeSpan.start + 2 + node.tag.length };
    if (within(offset, close)) return { kind: 'tag', node, span: close };
  }
  for (const attr of node.attrs) {
    if (within(offset, attr.nameSpan)) return { kind: 'attribute-name', node, attr, span: attr.nameSpan };
    if (within(offset, attr.valueSpan)) return { kind: 'attribute-value', node, attr, span: attr.valueSpan };
  }
  return undefined;
}

/** The grammar's definition of an element the linter resolved (node.def), or by its tag. */
export function elementDef(grammar: Grammar, node: Node): { id: string; def: ElementDef } | undefined {
  const id = node.def ?? grammar.tags[node.tag.toLowerCase()]?.[0];
  const def = id ? grammar.elements[id] : undefined;
  return id && def ? { id, def } : undefined;
}

/** The grammar's name of an attribute as written: its own spelling, another case, or a dialect's alias. */
export function attributeName(grammar: Grammar, def: ElementDef, written: string): string | undefined {
  if (Object.hasOwn(def.attributes, written)) return written;
  const byCase = attributeByLowerName(def).get(written.toLowerCase());
  if (byCase) return byCase;
  const alias = grammar.attributeAliases[written] ?? grammar.attributeAliases[written.toLowerCase()];
  return alias && Object.hasOwn(def.attributes, alias) ? alias : undefined;
}
