import type { AttributeNode, Node, Span } from '../../types.js';
import { walk } from '../walk.js';
import { defOf, typedAttributes, type RuleContext } from './rule.js';

export interface FormattedValue {
  node: Node;
  /** Trimmed. */
  value: string;
  /** Where the trimmed value is in the source. */
  span: Span;
  /** Set when the value is an attribute's; absent for element text. */
  attr?: AttributeNode;
  /** The grammar's name of the attribute. */
  attrName?: string;
  /** URL schemes the grammar allows for this value, when it names them. */
  schemes?: readonly string[];
}

/** Every attribute value and element text the grammar marks with this `x-format`. */
export function* valuesOfFormat(ctx: RuleContext, formats: readonly string[]): Generator<FormattedValue & { format: string }> {
  for (const [node] of walk(ctx.doc.root)) {
    const def = defOf(ctx, node);
    const textFormat = def?.text?.format;
    if (textFormat && formats.includes(textFormat) && node.textSpan && node.text.trim()) {
      const schemes = def.text?.schemes;
      yield { node, format: textFormat, ...(schemes ? { schemes } : {}), ...trimmed(node.text, node.textSpan) };
    }
    for (const [attr, schema, attrName] of typedAttributes(ctx, node)) {
      const format = schema['x-format'];
      if (format && formats.includes(format)) {
        const schemes = schema['x-schemes'];
        yield { node, attr, attrName, format, ...(schemes ? { schemes } : {}), ...trimmed(attr.value, attr.valueSpan) };
      }
    }
  }
}

/**
 * The value without surrounding white space and its span. Entities in the source
 * (`&amp;`) make source and value lengths differ; then the whole span is used.
 */
function trimmed(raw: string, span: Span): { value: string; span: Span } {
  const value = raw.trim();
  if (span.end - span.start !== raw.length) return { value, span };
  const lead = raw.length - raw.trimStart().length;
  return { value, span: { start: span.start + lead, end: span.start + lead + value.length } };
}
