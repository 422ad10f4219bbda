import type { DialectName, Diagnostic } from '../../types.js';

/** What lint found in one file, as every formatter receives it. */
export interface FileReport {
  /** Path as the user gave it, or `<stdin>`. */
  file: string;
  dialect: DialectName;
  dialectReason?: string;
  diagnostics: Diagnostic[];
  /** Fixes applied with --fix. */
  fixed?: number;
  /** Line-start offsets are not needed here: diagnostics carry line/column already. */
}

export type Formatter = (reports: readonly FileReport[]) => string;

export function counts(reports: readonly FileReport[]): { errors: number; warnings: number; infos: number } {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const r of reports) {
    for (const d of r.diagnostics) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      else infos++;
    }
  }
  return { errors, warnings, infos };
}
