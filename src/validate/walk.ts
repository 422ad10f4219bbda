import type { Node } from '../types.js';

/** Depth-first, parents before children. */
export function* walk(node: Node | null, parent: Node | null = null): Generator<[Node, Node | null]> {
  if (!node) return;
  yield [node, parent];
  for (const child of node.children) yield* walk(child, node);
}

/** All text under a node, its own and its descendants'. */
export function deepText(node: Node): string {
  let s = node.text;
  for (const c of node.children) s += deepText(c);
  return s;
}
