// Document formatting: `didml fmt`'s one canonical layout, as a single edit of the whole text.
import { LSPErrorCodes, ResponseError, type TextEdit as LspTextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { formatDocument } from '../format/fmt.js';
import type { LintResult } from '../validate/lint.js';
import { toRange } from './convert.js';

export function formatEdits(doc: TextDocument, result: LintResult): LspTextEdit[] {
  const { output, reason } = formatDocument(result.document);
  // As `didml fmt` does, a document it cannot format without guessing is refused, saying why.
  if (output === null) throw new ResponseError(LSPErrorCodes.RequestFailed, `didml fmt: not formatted: ${reason}`);
  const text = doc.getText();
  return output === text ? [] : [{ range: toRange(doc, { start: 0, end: text.length }), newText: output }];
}
