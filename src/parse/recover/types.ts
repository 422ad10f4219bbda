import type { Fix, Severity, Span, TextEdit } from '../../types.js';

/** A diagnostic before positions are mapped to the original source (working-copy offsets). */
export interface Draft {
  rule: string;
  severity: Severity;
  message: string;
  span: Span;
  code?: number;
  fix?: Fix;
  suggestions?: Fix[];
}

/**
 * What a destructive recovery decided: its diagnostics, and the edits that make the working copy
 * parse the way the author meant. The edits are the fix, so they are the same text edits.
 */
export interface Outcome {
  diagnostics: Draft[];
  edits: TextEdit[];
}

export interface RecoveryMeta {
  rule: string;
  severity: Severity;
  /**
   * saxes' own recovery would lose the rest of the document: the pass stops, the recovery edits
   * the working copy, and the parse starts again.
   */
  destructive: boolean;
  description: string;
}

/** Twilio's code for a document that is not well-formed XML. */
export const XML_PARSE_ERROR = 12100;

export function draft(meta: RecoveryMeta, message: string, span: Span, fix?: Fix): Draft {
  return { rule: meta.rule, severity: meta.severity, message, span, code: XML_PARSE_ERROR, ...(fix ? { fix } : {}) };
}
