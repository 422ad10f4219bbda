// didml's shapes → LSP's. didml counts UTF-16 code units from the start of the source (offsets)
// and 1-based lines and columns; LSP counts 0-based lines and UTF-16 characters within a line.
// Everything here goes through offsets and TextDocument.positionAt, which splits lines at
// "\n", "\r\n" and a lone "\r" exactly as didml's LineIndex does.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Diagnostic as LspDiagnostic,
  type Range as LspRange,
  type TextEdit as LspTextEdit,
} from 'vscode-languageserver';
import type { Diagnostic, Severity, Span, TextEdit } from '../types.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

// Editors fade unreachable code and strike deprecated names through.
const TAGS: Record<string, DiagnosticTag[]> = {
  'no-unreachable': [DiagnosticTag.Unnecessary],
  deprecated: [DiagnosticTag.Deprecated],
};

export function toRange(doc: TextDocument, span: Span): LspRange {
  return { start: doc.positionAt(span.start), end: doc.positionAt(span.end) };
}

export function toTextEdit(doc: TextDocument, edit: TextEdit): LspTextEdit {
  return { range: toRange(doc, edit), newText: edit.text };
}

/** The identifier a diagnostic is shown with, as `didml lint` prints it: `tag-case (12100)`. */
export const codeOf = (d: Diagnostic): string => (d.code ? `${d.rule} (${d.code})` : d.rule);

export function toLspDiagnostic(doc: TextDocument, d: Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toRange(doc, d),
    severity: SEVERITY[d.severity],
    source: 'didml',
    code: codeOf(d),
    message: d.message,
  };
  // Twilio's page for the code explains what the platform does with such a document.
  if (d.code) out.codeDescription = { href: `https://www.twilio.com/docs/api/errors/${d.code}` };
  const tags = TAGS[d.rule];
  if (tags) out.tags = tags;
  return out;
}

/** Whether two ranges share a position (an empty range touching another counts). */
export function rangesMeet(a: LspRange, b: LspRange): boolean {
  const before = (p: LspRange['start'], q: LspRange['start']) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}
