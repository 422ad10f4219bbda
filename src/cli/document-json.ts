import type { Node } from '../types.js';

export interface NodeJson {
  name: string;
  tag: string;
  attributes: Record<string, string>;
  text: string;
  children: NodeJson[];
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A node as `didml parse` prints it: what it is and where, without internal spans. */
export function documentJson(node: Node): NodeJson {
  return {
    name: node.name,
    tag: node.tag,
    attributes: node.attributes,
    text: node.text,
    children: node.children.map(documentJson),
    line: node.line,
    column: node.column,
    endLine: node.endLine,
    endColumn: node.endColumn,
  };
}
