// Elements as one parse pass sees them, in working-copy offsets; turned into the public `Node`
// shape (original offsets, line/column) only for the pass whose result is kept.
import type { AttributeNode, Node, Span } from '../types.js';
import type { EditedText } from './edits.js';
import type { LineIndex } from './positions.js';
import type { AttrSpans } from './scan.js';

export interface AttrEl extends AttrSpans {
  name: string;
  value: string;
}

export interface El {
  tag: string;
  /** `<` of the start tag. */
  start: number;
  /** Just past the `>` of the start tag; -1 while the tag is still being read. */
  openEnd: number;
  /** `<` of the end tag when one closed the element; -1 otherwise. */
  closeStart: number;
  /** Just past the element; -1 while it is open. */
  end: number;
  selfClosing: boolean;
  attrs: AttrEl[];
  text: string;
  textStart: number;
  textEnd: number;
  /** Some direct text is not white space. */
  hasText: boolean;
  /** The parent had non-space text before this element started. */
  afterText: boolean;
  children: El[];
  /** A virtual element made by recovery (`<Response>` around bare verbs). */
  virtual?: boolean;
}

export function newEl(tag: string, start: number): El {
  return {
    tag,
    start,
    openEnd: -1,
    closeStart: -1,
    end: -1,
    selfClosing: false,
    attrs: [],
    text: '',
    textStart: -1,
    textEnd: -1,
    hasText: false,
    afterText: false,
    children: [],
  };
}

/** Builds public nodes without recursion (depth is only bounded by the caller's maxDepth). */
export function toNode(root: El, work: EditedText, lines: LineIndex): Node {
  const spanOf = (start: number, end: number): Span => {
    // A span starts after text that recovery deleted there, and ends before it.
    const s = work.toOriginal(start, true);
    return { start: s, end: Math.max(s, work.toOriginal(end)) };
  };
  const convert = (el: El): Node => {
    const span = spanOf(el.start, el.end);
    const openSpan = spanOf(el.start, el.openEnd);
    const attributes: Record<string, string> = {};
    const attrs: AttributeNode[] = el.attrs.map((a) => {
      // `__proto__="x"` must be an attribute, not a prototype change.
      Object.defineProperty(attributes, a.name, { value: a.value, enumerable: true, writable: true, configurable: true });
      return {
        name: a.name,
        value: a.value,
        span: spanOf(a.start, a.end),
        nameSpan: spanOf(a.nameStart, a.nameEnd),
        valueSpan: spanOf(a.valueStart, a.valueEnd),
        quote: a.quote,
      };
    });
    const node: Node = {
      name: el.tag,
      tag: el.tag,
      attributes,
      text: el.text,
      children: [],
      span,
      openSpan,
      attrs,
      ...lines.rangeOf(span),
    };
    // An end tag that recovery wrote into the working copy is not in the user's source.
    if (el.closeStart >= 0 && !work.touchesEdit(el.closeStart, el.end)) node.closeSpan = spanOf(el.closeStart, el.end);
    if (el.textStart >= 0) node.textSpan = spanOf(el.textStart, el.textEnd);
    return node;
  };
  const top = convert(root);
  const todo: Array<[El, Node]> = [[root, top]];
  for (let item = todo.pop(); item; item = todo.pop()) {
    const [el, node] = item;
    for (const child of el.children) {
      const c = convert(child);
      node.children.push(c);
      todo.push([child, c]);
    }
  }
  return top;
}
