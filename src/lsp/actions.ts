// Code actions from the linter's own fixes: each diagnostic's safe fix (preferred, what
// `didml lint --fix` would apply) and its suggestions (shown, never applied unasked), plus one
// source action that applies every safe fix as `--fix` does.
import { CodeActionKind, type CodeAction, type Range as LspRange } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Fix } from '../types.js';
import type { LintOptions, LintResult } from '../validate/lint.js';
import { lintAndFix } from '../validate/fix.js';
import { rangesMeet, toLspDiagnostic, toRange, toTextEdit } from './convert.js';

export const FIX_ALL = `${CodeActionKind.SourceFixAll}.didml`;

const wanted = (only: string[] | undefined, kind: string) => !only || only.some((k) => kind === k || kind.startsWith(k + '.'));

export function codeActions(doc: TextDocument, result: LintResult, range: LspRange, only: string[] | undefined, options: LintOptions): CodeAction[] {
  const actions: CodeAction[] = [];
  const edit = (fix: Fix) => ({ changes: { [doc.uri]: fix.edits.map((e) => toTextEdit(doc, e)) } });
  if (wanted(only, CodeActionKind.QuickFix)) {
    for (const d of result.diagnostics) {
      if (!d.fix && !d.suggestions) continue;
      const diagnostic = toLspDiagnostic(doc, d);
      if (!rangesMeet(diagnostic.range, range)) continue;
      if (d.fix) actions.push({ title: d.fix.description, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true, edit: edit(d.fix) });
      for (const s of d.suggestions ?? []) actions.push({ title: s.description, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit: edit(s) });
    }
  }
  // Asked for by kind (VS Code's source actions, fix-all on save), or beside a quick fix.
  const asked = only ? wanted(only, FIX_ALL) : actions.some((a) => a.isPreferred);
  if (asked && result.diagnostics.some((d) => d.fix)) {
    const text = doc.getText();
    // The dialect the document was linted in: a fix (<say> → <Say>) must not change it.
    const { output, fixed } = lintAndFix(text, { ...options, dialect: result.dialect });
    if (fixed && output !== text) {
      actions.push({
        title: `Fix all safely fixable didml problems (${fixed})`,
        kind: FIX_ALL,
        edit: { changes: { [doc.uri]: [{ range: toRange(doc, { start: 0, end: text.length }), newText: output }] } },
      });
    }
  }
  return actions;
}
