// A minimal VS Code extension: starts `didml lsp --stdio` for XML documents and passes it the
// didml.* settings (the server's own: dialect, strict, maxBytes) at start and on every change.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { workspace } = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

/** The settings `didml lsp` takes; the extension's own (command, pattern) stay here. */
function serverSettings() {
  const c = workspace.getConfiguration('didml');
  const settings = { dialect: c.get('dialect', 'auto'), strict: c.get('strict', false), lenient: c.get('lenient', false) };
  const maxBytes = c.get('maxBytes');
  if (typeof maxBytes === 'number') settings.maxBytes = maxBytes;
  return settings;
}

/** didml.command, else the workspace's own install, else didml on the PATH. */
function didmlCommand() {
  const configured = workspace.getConfiguration('didml').get('command');
  if (configured) return configured;
  const bin = process.platform === 'win32' ? 'didml.cmd' : 'didml';
  for (const folder of workspace.workspaceFolders ?? []) {
    const local = join(folder.uri.fsPath, 'node_modules', '.bin', bin);
    if (existsSync(local)) return local;
  }
  return bin;
}

exports.activate = async function activate(context) {
  const pattern = workspace.getConfiguration('didml').get('pattern', '**/*.xml');
  client = new LanguageClient(
    'didml',
    'didml',
    // TransportKind.stdio adds --stdio to the arguments.
    { command: didmlCommand(), args: ['lsp'], transport: TransportKind.stdio, options: { shell: process.platform === 'win32' } },
    {
      documentSelector: [
        { scheme: 'file', language: 'xml', pattern },
        { scheme: 'untitled', language: 'xml' },
      ],
      initializationOptions: serverSettings(),
    },
  );
  context.subscriptions.push(
    workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('didml') && client) {
        void client.sendNotification('workspace/didChangeConfiguration', { settings: { didml: serverSettings() } });
      }
    }),
  );
  await client.start();
};

exports.deactivate = function deactivate() {
  return client?.stop();
};
