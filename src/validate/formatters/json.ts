import type { Fix } from '../../types.js';
import type { Formatter } from './types.js';

function fixJson(fix: Fix) {
  return { description: fix.description, edits: fix.edits.map((e) => ({ start: e.start, end: e.end, text: e.text })) };
}

/** One entry per file: {file, dialect, diagnostics: [{rule, severity, message, line, column, endLine, endColumn, fix?}]}. */
export const json: Formatter = (reports) =>
  JSON.stringify(
    reports.map((r) => ({
      file: r.file,
      dialect: r.dialect,
      ...(r.dialectReason ? { dialectReason: r.dialectReason } : {}),
      ...(r.fixed ? { fixed: r.fixed } : {}),
      diagnostics: r.diagnostics.map((d) => ({
        rule: d.rule,
        severity: d.severity,
        message: d.message,
        line: d.line,
        column: d.column,
        endLine: d.endLine,
        endColumn: d.endColumn,
        ...(d.code !== undefined ? { code: d.code } : {}),
        ...(d.fix ? { fix: fixJson(d.fix) } : {}),
        ...(d.suggestions ? { suggestions: d.suggestions.map((s) => fixJson(s)) } : {}),
      })),
    })),
    null,
    2,
  ) + '\n';
