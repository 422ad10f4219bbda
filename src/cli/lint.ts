import { writeFileSync } from 'node:fs';
import type { DialectName } from '../types.js';
import { lint } from '../validate/lint.js';
import { lintAndFix } from '../validate/fix.js';
import { formatter, type FileReport, type FormatName } from '../validate/formatters/index.js';
import { counts } from '../validate/formatters/types.js';
import { expandPaths, rewritable } from './inputs.js';

export interface LintCommandOptions {
  format: FormatName;
  fix: boolean;
  strict: boolean;
  lenient?: boolean;
  maxWarnings?: number;
  dialect: DialectName | 'auto';
  maxBytes?: number;
  color: boolean;
}

/** Runs `didml lint`; returns the exit code (0 clean, 1 errors or too many warnings, 2 unreadable input). */
export function runLint(paths: readonly string[], o: LintCommandOptions, out: (s: string) => void, err: (s: string) => void): number {
  const { inputs, problems } = expandPaths(paths.length ? paths : ['.']);
  const reports: FileReport[] = [];
  const lintOptions = { dialect: o.dialect, strict: o.strict, lenient: o.lenient ?? false, ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}) };
  for (const input of inputs) {
    let source: Buffer;
    try {
      source = input.read();
    } catch (e) {
      problems.push(`${input.file}: ${(e as Error).message}`);
      continue;
    }
    const editable = o.fix ? rewritable(source) : undefined;
    if (editable && 'refused' in editable) {
      problems.push(`${input.file}: not fixed: ${editable.refused}`);
      reports.push(report(input.file, lint(source, lintOptions)));
    } else if (editable) {
      const { output, fixed, result } = lintAndFix(editable.text, lintOptions);
      if (fixed && input.file !== '<stdin>') writeFileSync(input.file, output);
      if (input.file === '<stdin>') out(output);
      reports.push(report(input.file, result, fixed));
    } else {
      reports.push(report(input.file, lint(source, lintOptions)));
    }
  }
  const text = formatter(o.format, o.color)(reports);
  if (o.fix && inputs.some((i) => i.file === '<stdin>')) err(text);
  else out(text);
  for (const p of problems) err(`didml: ${p}\n`);
  if (problems.length) return 2;
  const { errors, warnings } = counts(reports);
  if (errors) return 1;
  if (o.maxWarnings !== undefined && warnings > o.maxWarnings) {
    err(`didml: ${warnings} warnings, more than --max-warnings ${o.maxWarnings}\n`);
    return 1;
  }
  return 0;
}

function report(file: string, r: ReturnType<typeof lint>, fixed?: number): FileReport {
  return {
    file,
    dialect: r.dialect,
    ...(r.dialectReason ? { dialectReason: r.dialectReason } : {}),
    diagnostics: r.diagnostics,
    ...(fixed ? { fixed } : {}),
  };
}
