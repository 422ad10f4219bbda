// `didml lsp`: the language server on standard input and output. Loaded when the command runs,
// so that `didml lint` does not pay for the LSP libraries at start.
import { Command, Option } from 'commander';
import type { DialectName } from '../types.js';
import type { Io } from './main.js';

interface LspOptions {
  dialect: DialectName | 'auto';
  strict: boolean;
  lenient: boolean;
  maxBytes?: number;
  /** --config <file> gives a string, --no-config false; neither: true (look one up per document). */
  config: string | boolean;
}

export function lspCommand(io: Io, setExit: (code: number) => void, shared: { dialect: () => Option; maxBytes: () => Option; version: string }): Command {
  return new Command('lsp')
    // An added command does not inherit these: bad usage must reach main() (exit 2), not end the process.
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .description('run the language server over standard input and output (for editors)')
    .option('--stdio', 'talk over standard input and output (the default and only transport)', true)
    .option('--strict', 'every recovery from malformed XML is an error, even in DIDML', false)
    .addOption(new Option('--lenient', 'every recovery from malformed XML is a warning, even where the platform refuses the document').default(false).conflicts('strict'))
    .addOption(shared.dialect())
    .addOption(shared.maxBytes())
    .option('--config <file>', 'lint every document with this config file instead of the one found from its folder')
    .option('--no-config', 'lint without any didml.config.json')
    // vscode-languageclient adds it; the LSP library reads it from the command line itself.
    .option('--clientProcessId <pid>', "the editor's process id: the server exits when that process does")
    .action(async (o: LspOptions) => {
      const { createConnection } = await import('vscode-languageserver/node');
      const { startServer } = await import('../lsp/server.js');
      const connection = createConnection(process.stdin, process.stdout);
      // Standard output carries the protocol: anything printed by mistake goes to the client's log.
      console.log = console.info = (...a: unknown[]) => connection.console.log(a.map(String).join(' '));
      console.warn = (...a: unknown[]) => connection.console.warn(a.map(String).join(' '));
      console.error = (...a: unknown[]) => connection.console.error(a.map(String).join(' '));
      startServer(connection, {
        settings: { dialect: o.dialect, strict: o.strict, lenient: o.lenient, ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}) },
        version: shared.version,
        ...(o.config === false ? { config: false as const } : typeof o.config === 'string' ? { config: o.config } : {}),
      });
      // The connection runs until the client sends exit or closes the pipe; the library then exits.
      setExit(0);
    });
}
