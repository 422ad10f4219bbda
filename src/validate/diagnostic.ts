import type { Diagnostic, Document, Fix, Range, Severity, Span } from '../types.js';
import { lineIndex } from '../parse/positions.js';

export interface DiagnosticInput {
  rule: string;
  severity: Severity;
  message: string;
  span: Span;
  code?: number;
  fix?: Fix;
  suggestions?: Fix[];
}

/** Builds a diagnostic with its line/column range derived from the span. */
export function diagnostic(doc: Document, d: DiagnosticInput): Diagnostic {
  const range: Range = lineIndex(doc.source).rangeOf(d.span);
  const out: Diagnostic = {
    rule: d.rule,
    severity: d.severity,
    message: d.message,
    ...range,
    start: d.span.start,
    end: d.span.end,
  };
  if (d.code !== undefined) out.code = d.code;
  if (d.fix) out.fix = d.fix;
  if (d.suggestions?.length) out.suggestions = d.suggestions;
  return out;
}

/** "a, b or c" */
export function orList(items: readonly unknown[], quote = false): string {
  const words = items.map((i) => (quote ? `'${String(i)}'` : String(i)));
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

export function andList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
