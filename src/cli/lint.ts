import { writeFileSync } from 'node:fs';
import type { DialectName, Severity } from '../types.js';
import { lint, type LintOptions } from '../validate/lint.js';
import { lintAndFix } from '../validate/fix.js';
import { formatter, type FileReport, type FormatName } from '../validate/formatters/index.js';
import { counts } from '../validate/formatters/types.js';
import { ConfigError, ConfigLookup, lintOptionsOf } from '../config/index.js';
import { expandPaths, rewritable } from './inputs.js';

export interface LintCommandOptions {
  format: FormatName;
  fix: boolean;
  /** The flags below are the ones given on the command line: they win over the config file. */
  strict?: boolean;
  lenient?: boolean;
  maxWarnings?: number;
  dialect?: DialectName | 'auto';
  maxBytes?: number;
  color: boolean;
  /** One config file for every document, false for none; default: the nearest to each document. */
  config?: string | false;
  /** Report didml-disable comments that silenced nothing, at this severity. */
  reportUnusedDisableDirectives?: Severity | 'off';
}

/** What the command line says, over what the config says. */
function flagOptions(o: LintCommandOptions): LintOptions {
  return {
    ...(o.dialect !== undefined ? { dialect: o.dialect } : {}),
    ...(o.strict ? { strict: true, lenient: false } : {}),
    ...(o.lenient ? { lenient: true, strict: false } : {}),
    ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}),
    ...(o.reportUnusedDisableDirectives !== undefined ? { reportUnusedDirectives: o.reportUnusedDisableDirectives } : {}),
  };
}

/** Runs `didml lint`; returns the exit code (0 clean, 1 errors or too many warnings, 2 unreadable input or a bad config). */
export function runLint(paths: readonly string[], o: LintCommandOptions, out: (s: string) => void, err: (s: string) => void): number {
  const given = paths.length ? paths : ['.'];
  const { inputs, problems } = expandPaths(given);
  const configs = new ConfigLookup(o.config);
  const reports: FileReport[] = [];
  for (const input of inputs) {
    let lintOptions: LintOptions;
    try {
      const resolved = configs.resolve(input.file);
      if (resolved.ignoredBy !== undefined) {
        // Named on the command line: said, as ESLint does; found in a folder: left out quietly.
        if (given.includes(input.file)) err(`didml: ${input.file}: not linted: ignored by ${resolved.configFile} ("${resolved.ignoredBy}")\n`);
        continue;
      }
      lintOptions = { ...lintOptionsOf(resolved), ...flagOptions(o) };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // A bad config stops the run: linting with half of it would report the wrong things.
      err(`didml: ${e.message}\n`);
      return 2;
    }
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

/** `didml lint --print-config <file>`: the settings that apply to that file, as JSON. */
export function printConfig(file: string, o: LintCommandOptions, out: (s: string) => void, err: (s: string) => void): number {
  try {
    const resolved = new ConfigLookup(o.config).resolve(file);
    const options = { ...lintOptionsOf(resolved), ...flagOptions(o) };
    const strictness = options.strict ? 'strict' : options.lenient ? 'lenient' : 'dialect';
    out(
      JSON.stringify(
        {
          file,
          configFile: resolved.configFile,
          ignored: resolved.ignoredBy !== undefined,
          ...(resolved.ignoredBy !== undefined ? { ignoredBy: resolved.ignoredBy } : {}),
          dialect: options.dialect ?? 'auto',
          strictness,
          maxBytes: options.maxBytes ?? 65536,
          rules: options.severities ?? {},
          reportUnusedDisableDirectives: options.reportUnusedDirectives ?? 'off',
          overrides: resolved.overrides,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`didml: ${e.message}\n`);
    return 2;
  }
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
