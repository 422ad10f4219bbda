// A real LSP client for the tests: `didml lsp --stdio` in a child process, spoken to over its
// standard input and output with vscode-languageserver-protocol (vscode-jsonrpc), as an editor does.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type {
  ClientCapabilities,
  InitializeResult,
  LogMessageParams,
  PublishDiagnosticsParams,
  ShowMessageParams,
} from 'vscode-languageserver-protocol';

export const repo = join(import.meta.dirname, '../..');

export const CAPABILITIES: ClientCapabilities = {
  textDocument: {
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown'] } },
    publishDiagnostics: { versionSupport: true },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } } },
  },
};

export interface Client {
  connection: ProtocolConnection;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  logs: LogMessageParams[];
  messages: ShowMessageParams[];
  /** Resolves with the first diagnostics for `uri` (at `version`, when given) published from now on, or already received. */
  diagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams>;
  /** Resolves once a log message matching `pattern` has arrived. */
  log(pattern: RegExp): Promise<LogMessageParams>;
  exited: Promise<number | null>;
}

/** A bounded wait for something the server sends: a test fails with what it waited for, never hangs. */
function waiter<T>(what: string, ms = 15_000) {
  let done!: (v: T) => void;
  let timer: NodeJS.Timeout;
  const promise = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} from the server`)), ms);
    done = (v) => {
      clearTimeout(timer);
      resolve(v);
    };
  });
  return { promise, done };
}

export function startClient(args: string[] = []): Client {
  const child = spawn(process.execPath, [join(repo, 'bin/didml.js'), 'lsp', '--stdio', ...args], { cwd: repo });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const published: PublishDiagnosticsParams[] = [];
  const logs: LogMessageParams[] = [];
  const messages: ShowMessageParams[] = [];
  const watchers: ((p: PublishDiagnosticsParams) => void)[] = [];
  const logWatchers: ((p: LogMessageParams) => void)[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (const w of [...watchers]) w(p);
  });
  connection.onNotification('window/logMessage', (p: LogMessageParams) => {
    logs.push(p);
    for (const w of [...logWatchers]) w(p);
  });
  connection.onNotification('window/showMessage', (p: ShowMessageParams) => messages.push(p));
  // The server asks the client to show a message and waits for the choice: none.
  connection.onRequest('window/showMessageRequest', (p: ShowMessageParams) => {
    messages.push(p);
    return null;
  });
  connection.listen();
  const matches = (uri: string, version?: number) => (p: PublishDiagnosticsParams) => p.uri === uri && (version === undefined || p.version === version);
  return {
    connection,
    child,
    stderr: () => stderr,
    logs,
    messages,
    exited,
    diagnostics(uri, version) {
      const hit = version !== undefined ? published.find(matches(uri, version)) : undefined;
      if (hit) return Promise.resolve(hit);
      const w = waiter<PublishDiagnosticsParams>(`diagnostics for ${uri}${version !== undefined ? ` version ${version}` : ''}`);
      const watch = (p: PublishDiagnosticsParams) => {
        if (!matches(uri, version)(p)) return;
        watchers.splice(watchers.indexOf(watch), 1);
        w.done(p);
      };
      watchers.push(watch);
      return w.promise;
    },
    log(pattern) {
      const hit = logs.find((l) => pattern.test(l.message));
      if (hit) return Promise.resolve(hit);
      const w = waiter<LogMessageParams>(`log message matching ${pattern}`);
      const watch = (p: LogMessageParams) => {
        if (!pattern.test(p.message)) return;
        logWatchers.splice(logWatchers.indexOf(watch), 1);
        w.done(p);
      };
      logWatchers.push(watch);
      return w.promise;
    },
  };
}

export async function initialize(client: Client, initializationOptions?: unknown, capabilities: ClientCapabilities = CAPABILITIES): Promise<InitializeResult> {
  const result = (await client.connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities,
    ...(initializationOptions !== undefined ? { initializationOptions } : {}),
  })) as InitializeResult;
  await client.connection.sendNotification('initialized', {});
  return result;
}

/** shutdown then exit, as an editor closes a server; resolves with its exit code. */
export async function stop(client: Client): Promise<number | null> {
  await client.connection.sendRequest('shutdown');
  await client.connection.sendNotification('exit');
  const code = await client.exited;
  client.connection.dispose();
  return code;
}

export async function open(client: Client, uri: string, text: string, version = 1): Promise<PublishDiagnosticsParams> {
  const published = client.diagnostics(uri, version);
  await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'xml', version, text } });
  return published;
}
