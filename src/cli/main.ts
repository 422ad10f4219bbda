// `didml`: the command line. Exit codes: 0 no errors, 1 errors found, 2 bad usage or unreadable input.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { DialectName, Severity } from '../types.js';
import { DIALECTS, isDialect, loadDocumentSchema, loadGrammar } from '../grammar/index.js';
import { FORMATS, type FormatName } from '../validate/formatters/index.js';
import { lint } from '../validate/lint.js';
import { printConfig, runLint } from './lint.js';
import { CONFIG_FILE, ConfigError, ConfigLookup, SCHEMA_FILE } from '../config/index.js';
import { expandPaths, rewritable } from './inputs.js';
import { formatDocument } from '../format/fmt.js';
import { toXsd } from '../grammar/xsd.js';
import { documentJson } from './document-json.js';
import { callCommand } from './call.js';
import { serveCommand } from './serve.js';
import { testCommand } from './test.js';
import { lspCommand } from './lsp.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

function dialectArg(value: string): DialectName | 'auto' {
  if (value === 'auto' || isDialect(value)) return value;
  throw new InvalidArgumentError(`must be one of ${['auto', ...DIALECTS].join(', ')}`);
}

const dialectOption = () =>
  new Option('--dialect <name>', `${['auto', ...DIALECTS].join('|')}: the markup dialect`).default('auto').argParser(dialectArg);
const maxBytesOption = () =>
  new Option('--max-bytes <n>', 'refuse documents larger than this (Twilio: 64 KiB)').argParser(positiveInt);

export interface Io {
  out(s: string): void;
  err(s: string): void;
  color: boolean;
  /** Asks the person at the terminal; absent when nobody is there to answer (not a TTY). */
  ask?(question: string): Promise<string | null>;
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('didml')
    .description('Lint, run and test TwiML and DIDML call-control documents')
    .version(version)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(run didml --help for usage)');

  program
    .command('lint')
    .description('check documents: files, folders (every *.xml below) or - for standard input')
    .argument('[paths...]', 'files, folders or -', [])
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('stylish'))
    .option('--fix', 'apply safe fixes in place (to standard output for -)', false)
    .option('--strict', 'every recovery from malformed XML is an error, even in DIDML', false)
    .addOption(new Option('--lenient', 'every recovery from malformed XML is a warning, even where the platform refuses the document (TwiML: 12100)').default(false).conflicts('strict'))
    .option('--max-warnings <n>', 'exit 1 when there are more warnings than this', positiveInt)
    .addOption(dialectOption())
    .addOption(maxBytesOption())
    .option('--config <file>', `use this config file for every document (schema: ${SCHEMA_FILE}); default: the nearest ${CONFIG_FILE} or package.json "didml" key`)
    .option('--no-config', 'use no config file')
    .option('--print-config <file>', 'print the settings that apply to this file (config, overrides, flags) and exit')
    .addOption(new Option('--report-unused-disable-directives [severity]', 'report didml-disable comments that silence nothing (default severity: error)').choices(['off', 'info', 'warning', 'error']).preset('error'))
    .action((paths: string[], o: { format: FormatName; fix: boolean; strict: boolean; lenient: boolean; maxWarnings?: number; dialect: DialectName | 'auto'; maxBytes?: number; config?: string | false; printConfig?: string; reportUnusedDisableDirectives?: Severity | 'off' }, cmd: Command) => {
      // Flags given on the command line win over the config file; their defaults do not.
      const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
      const options = {
        format: o.format,
        fix: o.fix,
        color: io.color,
        ...(given('strict') ? { strict: o.strict } : {}),
        ...(given('lenient') ? { lenient: o.lenient } : {}),
        ...(given('dialect') ? { dialect: o.dialect } : {}),
        ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}),
        ...(o.maxWarnings !== undefined ? { maxWarnings: o.maxWarnings } : {}),
        ...(o.config !== undefined ? { config: o.config } : {}),
        ...(o.reportUnusedDisableDirectives !== undefined ? { reportUnusedDisableDirectives: o.reportUnusedDisableDirectives } : {}),
      };
      setExit(o.printConfig !== undefined ? printConfig(o.printConfig, options, io.out, io.err) : runLint(paths, options, io.out, io.err));
    });

  program
    .command('parse')
    .description('print a document as JSON: its element tree with positions, and its diagnostics')
    .argument('<file>', 'a file, or - for standard input')
    .addOption(dialectOption())
    .addOption(maxBytesOption())
    .action((file: string, o: { dialect: DialectName | 'auto'; maxBytes?: number }) => {
      const source = readInput(file, io, setExit);
      if (source === null) return;
      const r = lint(source, { dialect: o.dialect, ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}) });
      io.out(
        JSON.stringify(
          {
            file: file === '-' ? '<stdin>' : file,
            dialect: r.dialect,
            ...(r.dialectReason ? { dialectReason: r.dialectReason } : {}),
            document: r.document.root ? documentJson(r.document.root) : null,
            diagnostics: r.diagnostics,
          },
          null,
          2,
        ) + '\n',
      );
      setExit(r.diagnostics.some((d) => d.severity === 'error') ? 1 : 0);
    });

  program
    .command('fmt')
    .description('print documents in one canonical layout, or rewrite them with --write')
    .argument('[paths...]', 'files, folders or -', [])
    .option('-w, --write', 'rewrite the files in place', false)
    .option('--check', 'change nothing; exit 1 if any file is not formatted', false)
    .addOption(dialectOption())
    .option('--config <file>', 'use this config file for every document (its dialect and ignores)')
    .option('--no-config', 'use no config file')
    .action((paths: string[], o: { write: boolean; check: boolean; dialect: DialectName | 'auto'; config?: string | false }, cmd: Command) => {
      const { inputs, problems } = expandPaths(paths.length ? paths : ['.']);
      // The lint config's dialect (a flag wins) and ignores, as didml lint reads them.
      const configs = new ConfigLookup(o.config);
      let unformatted = 0;
      for (const input of inputs) {
        let dialect = o.dialect;
        try {
          const resolved = configs.resolve(input.file);
          if (resolved.ignoredBy !== undefined) continue;
          if (cmd.getOptionValueSource('dialect') !== 'cli' && resolved.dialect) dialect = resolved.dialect;
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          io.err(`didml: ${e.message}\n`);
          setExit(2);
          return;
        }
        let source: string;
        try {
          const text = rewritable(input.read());
          if ('refused' in text) {
            problems.push(`${input.file}: not formatted: ${text.refused}`);
            continue;
          }
          source = text.text;
        } catch (e) {
          problems.push(`${input.file}: ${(e as Error).message}`);
          continue;
        }
        const r = lint(source, { dialect });
        const { output, reason } = formatDocument(r.document);
        if (output === null) {
          problems.push(`${input.file}: not formatted: ${reason}`);
          continue;
        }
        if (o.check) {
          if (output !== source) {
            unformatted++;
            io.err(`${input.file}: not formatted\n`);
          }
        } else if (o.write && input.file !== '<stdin>') {
          if (output !== source) writeFileSync(input.file, output);
        } else {
          io.out(output);
        }
      }
      for (const p of problems) io.err(`didml: ${p}\n`);
      setExit(problems.length ? 2 : unformatted ? 1 : 0);
    });

  program
    .command('schema')
    .description('export the grammar: a JSON Schema of a document, or an XSD for XML editors')
    .addOption(new Option('--dialect <name>', 'the dialect').choices([...DIALECTS]).default('twiml'))
    .option('--xsd', 'print an XSD instead of the JSON Schema', false)
    .action((o: { dialect: DialectName; xsd: boolean }) => {
      io.out(o.xsd ? toXsd(loadGrammar(o.dialect)) : JSON.stringify(loadDocumentSchema(o.dialect), null, 2) + '\n');
      setExit(0);
    });

  program.addCommand(callCommand(io, setExit));
  program.addCommand(serveCommand(io, setExit));
  program.addCommand(testCommand(io, setExit));
  program.addCommand(lspCommand(io, setExit, { dialect: dialectOption, maxBytes: maxBytesOption, version }));

  return program;
}

function readInput(file: string, io: Io, setExit: (code: number) => void): Buffer | null {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (e) {
    io.err(`didml: ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    setExit(2);
    return null;
  }
}

/** Runs the CLI with these arguments (without `node didml`); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    io.err(`didml: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
  return code;
}
