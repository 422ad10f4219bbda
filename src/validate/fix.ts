// Applies safe fixes the way ESLint does: non-overlapping fixes in one pass, the rest wait for
// the next pass over the re-linted output.
import type { Diagnostic, Fix, TextEdit } from '../types.js';
import { lint, type LintOptions, type LintResult } from './lint.js';

export interface FixPass {
  output: string;
  applied: Fix[];
}

function overlaps(a: TextEdit, b: TextEdit): boolean {
  if (a.start === a.end && b.start === b.end) return a.start === b.start;
  return a.start < b.end && b.start < a.end || (a.start === a.end && a.start > b.start && a.start < b.end) ||
    (b.start === b.end && b.start > a.start && b.start < a.end);
}

export function applyFixes(source: string, diagnostics: readonly Diagnostic[]): FixPass {
  const accepted: Fix[] = [];
  const taken: TextEdit[] = [];
  const fixes = diagnostics.flatMap((d) => (d.fix ? [d.fix] : []));
  fixes.sort((a, b) => Math.min(...a.edits.map((e) => e.start)) - Math.min(...b.edits.map((e) => e.start)));
  for (const fix of fixes) {
    if (fix.edits.some((e) => taken.some((t) => overlaps(e, t)))) continue;
    accepted.push(fix);
    taken.push(...fix.edits);
  }
  taken.sort((a, b) => b.start - a.start || b.end - a.end);
  let output = source;
  for (const e of taken) output = output.slice(0, e.start) + e.text + output.slice(e.end);
  return { output, applied: accepted };
}

export interface FixResult {
  output: string;
  /** How many fixes were applied over all passes. */
  fixed: number;
  /** The lint result of the final output. */
  result: LintResult;
}

/** Lints, fixes and re-lints until nothing more can be fixed (at most `maxPasses`). */
export function lintAndFix(source: string, options: LintOptions = {}, maxPasses = 10): FixResult {
  let text = source;
  let fixed = 0;
  let result = lint(text, options);
  const first = result;
  // Keep the dialect the first pass saw: a fix (respelling <say> as <Say>) must not change it.
  const fixedOptions: LintOptions = { ...options, dialect: result.dialect };
  for (let pass = 0; pass < maxPasses; pass++) {
    const { output, applied } = applyFixes(text, result.diagnostics);
    if (!applied.length || output === text) break;
    fixed += applied.length;
    text = output;
    result = lint(text, fixedOptions);
  }
  // The dialect is still the one the first pass chose, for the reason it gave.
  if (first.dialectReason && !result.dialectReason) result = { ...result, dialectReason: first.dialectReason };
  return { output: text, fixed, result };
}
