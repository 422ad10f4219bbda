// `didml lsp`: the language server. Lints each open document as it changes (the same lint as
// `didml lint`), and answers code actions, hover, completion and formatting from the same
// lint result. Every request is checked before use: bad params, a document that is not open or
// a failure inside didml come back as protocol errors, and the server goes on.
import {
  CodeActionKind,
  ErrorCodes,
  MarkupKind,
  ResponseError,
  TextDocumentSyncKind,
  type ClientCapabilities,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath } from 'node:url';
import { ConfigError, ConfigLookup, lintOptionsOf as configOptions } from '../config/index.js';
import { Documents } from './documents.js';
import { checkSettings, DEFAULT_SETTINGS, lintOptionsOf, SettingsError, type LintOptionsFor, type Settings } from './settings.js';
import { contentChanges, invalid, objectAt, positionAt, rangeAt, stringAt, uriOf, versionOf } from './params.js';
import { toLspDiagnostic } from './convert.js';
import { codeActions, FIX_ALL } from './actions.js';
import { hover } from './hover.js';
import { complete } from './completion.js';
import { formatEdits } from './format.js';

export interface ServerOptions {
  /** Defaults for every document (`didml lsp --dialect …`); the client's settings override them. */
  settings?: Settings;
  /**
   * The lint options of one document. Default: the settings. A config file looked up from the
   * document's folder goes here; it gets the settings in force to fall back on.
   */
  lintOptionsFor?: (uri: string, settings: Settings) => ReturnType<LintOptionsFor>;
  /**
   * Without lintOptionsFor: the config of `file:` documents (didml.config.json looked up from
   * the document's folder, as `didml lint` does); a file for every document, or false for none.
   */
  config?: string | false;
  version?: string;
}

/**
 * A document's options: the settings, with what the config file that applies to it says on
 * top (the repository's config is more particular than an editor's settings). Also says which
 * documents the config ignores, and a config that cannot be read.
 */
function configured(config: string | false | undefined) {
  const lookup = new ConfigLookup(config);
  const resolve = (uri: string) => (uri.startsWith('file:') ? lookup.resolve(fileURLToPath(uri)) : undefined);
  return {
    optionsFor: (uri: string, settings: Settings) => {
      const found = resolve(uri);
      return found ? configOptions(found, lintOptionsOf(settings)) : lintOptionsOf(settings);
    },
    /** Why the config does not apply to the document: ignored by it, or it cannot be read. */
    problem(uri: string): { ignoredBy: string; configFile: string } | { error: string } | undefined {
      try {
        const found = resolve(uri);
        return found?.ignoredBy !== undefined && found.configFile ? { ignoredBy: found.ignoredBy, configFile: found.configFile } : undefined;
      } catch (e) {
        if (e instanceof ConfigError) return { error: e.message };
        throw e;
      }
    },
  };
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  // The command line's, then the client's initializationOptions: what a settings change starts from.
  let initial = options.settings ?? DEFAULT_SETTINGS;
  let settings = initial;
  const config = options.lintOptionsFor ? undefined : configured(options.config);
  const optionsFor: LintOptionsFor = (uri) => {
    if (options.lintOptionsFor) return options.lintOptionsFor(uri, settings);
    try {
      return config!.optionsFor(uri, settings);
    } catch (e) {
      // A config that cannot be read: the settings alone, and the reason at the top of the document (publish).
      if (e instanceof ConfigError) return lintOptionsOf(settings);
      throw e;
    }
  };
  const documents = new Documents(optionsFor);
  let caps = { hover: MarkupKind.PlainText as MarkupKind, docs: MarkupKind.PlainText as MarkupKind, snippets: false };

  /** Notifications have no reply: a problem with one goes to the client's log. */
  const guard =
    <P>(method: string, fn: (params: P) => void) =>
    (params: P) => {
      try {
        fn(params);
      } catch (e) {
        connection.console.error(`didml: ${method}: ${(e as Error).message}`);
      }
    };
  /** Requests: protocol errors as they are, anything else as an internal error that says where. */
  const answer =
    <P, R>(method: string, fn: (params: P) => R) =>
    (params: P): R => {
      try {
        return fn(params);
      } catch (e) {
        if (e instanceof ResponseError) throw e;
        connection.console.error(`didml: ${method}: ${(e as Error).stack ?? String(e)}`);
        throw new ResponseError(ErrorCodes.InternalError, `didml: ${method} failed: ${(e as Error).message}`);
      }
    };
  const openDocument = (params: unknown) => {
    const uri = uriOf(params);
    const found = documents.lintResult(uri);
    if (!found) throw invalid(`textDocument.uri: ${uri} is not open (send textDocument/didOpen first)`);
    return found;
  };

  // Diagnostics are published once per turn of the event loop, for the latest text only.
  const pending = new Set<string>();
  let scheduled = false;
  const publish = () => {
    scheduled = false;
    for (const uri of pending) {
      pending.delete(uri);
      try {
        const open = documents.get(uri);
        if (!open) continue;
        const problem = config?.problem(uri);
        if (problem && 'ignoredBy' in problem) {
          // As ESLint's editors do: a file the config ignores has no problems to show.
          void connection.sendDiagnostics({ uri, version: open.version, diagnostics: [] });
          continue;
        }
        const found = documents.lintResult(uri);
        if (!found) continue;
        const { doc, result } = found;
        const diagnostics = result.diagnostics.map((d) => toLspDiagnostic(doc, d));
        if (problem) diagnostics.unshift(configDiagnostic(problem.error));
        void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
      } catch (e) {
        connection.console.error(`didml: linting ${uri} failed: ${(e as Error).stack ?? String(e)}`);
      }
    }
  };
  const schedule = (uri: string) => {
    pending.add(uri);
    if (!scheduled) {
      scheduled = true;
      setImmediate(publish);
    }
  };

  connection.onInitialize((params): InitializeResult => {
    try {
      initial = checkSettings((params as { initializationOptions?: unknown }).initializationOptions, 'initializationOptions', initial);
      settings = initial;
    } catch (e) {
      if (e instanceof SettingsError) throw new ResponseError(ErrorCodes.InvalidParams, e.message, { retry: false });
      throw e;
    }
    caps = capabilitiesOf(params.capabilities);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['<', ' ', '"', "'", '/'] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL] },
        documentFormattingProvider: true,
      },
      serverInfo: { name: 'didml', ...(options.version ? { version: options.version } : {}) },
    };
  });

  connection.onDidChangeConfiguration(
    guard('workspace/didChangeConfiguration', (params) => {
      const all = (params as { settings?: unknown }).settings;
      const ours = typeof all === 'object' && all !== null ? (all as Record<string, unknown>)['didml'] : undefined;
      try {
        settings = checkSettings(ours, 'settings.didml', initial);
      } catch (e) {
        // Said where the user looks; the settings in force stay.
        void connection.window.showErrorMessage(`didml: ${(e as Error).message}`);
        throw e;
      }
      for (const uri of documents.uris()) schedule(uri);
    }),
  );

  connection.onDidOpenTextDocument(
    guard('textDocument/didOpen', (params) => {
      const td = objectAt(params, 'textDocument');
      const uri = uriOf(params);
      const text = stringAt(td['text'], 'textDocument.text');
      const languageId = typeof td['languageId'] === 'string' ? td['languageId'] : 'xml';
      documents.openDocument(uri, languageId, versionOf(params), text);
      schedule(uri);
    }),
  );

  connection.onDidChangeTextDocument(
    guard('textDocument/didChange', (params) => {
      const uri = uriOf(params);
      const changed = documents.change(uri, versionOf(params), contentChanges(params));
      if (!changed) throw new Error(`${uri} is not open (send textDocument/didOpen first)`);
      schedule(uri);
    }),
  );

  connection.onDidCloseTextDocument(
    guard('textDocument/didClose', (params) => {
      const uri = uriOf(params);
      if (!documents.close(uri)) throw new Error(`${uri} is not open`);
      pending.delete(uri);
      // The document's problems leave the Problems panel with it.
      void connection.sendDiagnostics({ uri, diagnostics: [] });
    }),
  );

  connection.onCodeAction(
    answer('textDocument/codeAction', (params) => {
      const { doc, result } = openDocument(params);
      const range = rangeAt((params as { range?: unknown }).range, 'range');
      const context = (params as { context?: { only?: unknown } }).context;
      const only = context?.only;
      if (only !== undefined && !(Array.isArray(only) && only.every((k) => typeof k === 'string'))) throw invalid('context.only: must be an array of code action kinds');
      return codeActions(doc, result, range, only as string[] | undefined, optionsFor(doc.uri));
    }),
  );

  connection.onHover(
    answer('textDocument/hover', (params) => {
      const { doc, result } = openDocument(params);
      return hover(doc, result, offsetOf(doc, params), caps.hover);
    }),
  );

  connection.onCompletion(
    answer('textDocument/completion', (params) => {
      const { doc, result } = openDocument(params);
      return complete(doc, result, offsetOf(doc, params), { snippets: caps.snippets, markup: caps.docs });
    }),
  );

  connection.onDocumentFormatting(
    answer('textDocument/formatting', (params) => {
      const { doc, result } = openDocument(params);
      const o = (params as { options?: { tabSize?: unknown; insertSpaces?: unknown } }).options;
      // One canonical layout, as `didml fmt --check` in CI expects: the editor's indentation is not used.
      if (o && (o.tabSize !== 2 || o.insertSpaces !== true)) {
        connection.console.info('didml: formatting in didml fmt\'s canonical layout (two spaces), not the editor\'s indentation');
      }
      return formatEdits(doc, result);
    }),
  );

  connection.listen();
}

/** A config that cannot be read, said where the user looks: the first line of each document it governs. */
function configDiagnostic(message: string) {
  return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 1 as const, source: 'didml', code: 'config', message: `didml config: ${message}` };
}

function offsetOf(doc: TextDocument, params: unknown): number {
  return doc.offsetAt(positionAt((params as { position?: unknown }).position, 'position'));
}

function capabilitiesOf(c: ClientCapabilities | undefined) {
  const md = (formats: readonly string[] | undefined) => (formats?.includes(MarkupKind.Markdown) ? MarkupKind.Markdown : MarkupKind.PlainText);
  return {
    hover: md(c?.textDocument?.hover?.contentFormat),
    docs: md(c?.textDocument?.completion?.completionItem?.documentationFormat),
    snippets: Boolean(c?.textDocument?.completion?.completionItem?.snippetSupport),
  };
}
