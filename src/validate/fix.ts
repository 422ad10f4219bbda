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

/** Where a fix starts (a loop: a fix may hold thousands of edits, too many to spread). */
function firstStart(fix: Fix): number {
  let min = Infinity;
  for (const e of fix.edits) min = Math.min(min, e.start);
  return min;
}

/** Whether an edit overlaps one already taken (sorted by start): a look at its neighbours. */
function clashes(e: TextEdit, taken: readonly TextEdit[]): boolean {
  let lo = 0;
  let hi = taken.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((taken[mid] as TextEdit).start < e.start) lo = mid + 1;
    else hi = mid;
  }
  // Taken edits do not overlap each other, so only the ones that start near e can overlap it.
  for (let i = lo - 1; i >= 0; i--) {
    const t = taken[i] as TextEdit;
    if (overlaps(e, t)) return true;
    if (t.end < e.start) break;
  }
  for (let i = lo; i < taken.length; i++) {
    const t = taken[i] as TextEdit;
    if (t.start > e.end) break;
    if (overlaps(e, t)) return true;
  }
  return false;
}

function insertionPoint(taken: readonly TextEdit[], e: TextEdit): number {
  let lo = 0;
  let hi = taken.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = taken[mid] as TextEdit;
    if (t.start < e.start || (t.start === e.start && t.end <= e.end)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function applyFixes(source: string, diagnostics: readonly Diagnostic[]): FixPass {
  const accepted: Fix[] = [];
  const taken: TextEdit[] = [];
  const fixes = diagnostics.flatMap((d) => (d.fix ? [d.fix] : []));
  fixes.sort((a, b) => firstStart(a) - firstStart(b));
  for (const fix of fixes) {
    if (fix.edits.some((e) => clashes(e, taken))) continue;
    accepted.push(fix);
    for (const e of fix.edits) taken.splice(insertionPoint(taken, e), 0, e);
  }
  // One pass from the start: replacing edit by edit would copy the document once per edit.
  const parts: string[] = [];
  let at = 0;
  for (const e of taken) {
    parts.push(source.slice(at, e.start), e.text);
    at = Math.max(at, e.end);
  }
  parts.push(source.slice(at));
  return { output: parts.join(''), applied: accepted };
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
