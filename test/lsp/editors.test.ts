// editors/vscode: the extension starts `didml lsp` with settings the server takes. Its own
// dependencies (vscode, vscode-languageclient) exist only inside VS Code, so they are stood in
// for here; what it would start is then started for real and spoken to over stdio.
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/grammar/index.js';
import { SETTING_NAMES } from '../../src/lsp/settings.js';
import { initialize, open, repo, startClient, stop } from './client.js';

const dir = join(repo, 'editors/vscode');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
  main: string;
  activationEvents: string[];
  contributes: { configuration: { properties: Record<string, { enum?: string[]; default?: unknown }> } };
};

interface Started {
  server: { command: string; args: string[]; transport: number };
  client: { documentSelector: { language: string; pattern?: string }[]; initializationOptions: Record<string, unknown> };
  sent: [string, unknown][];
}

/** Runs the extension's activate() with stand-ins for VS Code and its language client. */
async function activate(config: Record<string, unknown>): Promise<Started & { change: () => void }> {
  const started: Partial<Started> = { sent: [] };
  let onChange: ((e: { affectsConfiguration: (s: string) => boolean }) => void) | undefined;
  const vscode = {
    workspace: {
      workspaceFolders: [],
      getConfiguration: () => ({ get: (key: string, fallback?: unknown) => (key in config ? config[key] : fallback) }),
      onDidChangeConfiguration: (fn: typeof onChange) => {
        onChange = fn;
        return { dispose() {} };
      },
    },
  };
  class LanguageClient {
    constructor(_id: string, _name: string, server: Started['server'], client: Started['client']) {
      started.server = server;
      started.client = client;
    }
    start() {
      return Promise.resolve();
    }
    sendNotification(method: string, params: unknown) {
      started.sent?.push([method, params]);
      return Promise.resolve();
    }
  }
  const stand = { vscode, 'vscode-languageclient/node': { LanguageClient, TransportKind: { stdio: 0 } } } as Record<string, unknown>;
  const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = M._load;
  M._load = (request: string, ...rest: unknown[]) => (request in stand ? stand[request] : load(request, ...rest));
  try {
    const ext = createRequire(import.meta.url)(join(dir, manifest.main)) as { activate: (ctx: unknown) => Promise<void> };
    await ext.activate({ subscriptions: [] });
  } finally {
    M._load = load;
  }
  return { ...(started as Started), change: () => onChange?.({ affectsConfiguration: (s) => s === 'didml' }) };
}

describe('editors/vscode', () => {
  it('offers the server\'s settings, with its dialects', () => {
    const props = manifest.contributes.configuration.properties;
    const server = Object.keys(props).filter((k) => !['didml.command', 'didml.pattern'].includes(k));
    expect(server.map((k) => k.replace('didml.', '')).sort()).toEqual([...SETTING_NAMES].sort());
    expect(props['didml.dialect']?.enum).toEqual(['auto', ...DIALECTS]);
    expect(manifest.activationEvents).toEqual(['onLanguage:xml']);
  });

  it('starts didml lsp over stdio for XML files with settings the server accepts', async () => {
    const ext = await activate({ command: join(repo, 'bin/didml.js'), dialect: 'didml', strict: true, maxBytes: null, pattern: '**/twiml/*.xml' });
    expect(ext.server).toMatchObject({ command: join(repo, 'bin/didml.js'), args: ['lsp'], transport: 0 });
    expect(ext.client.documentSelector[0]).toMatchObject({ language: 'xml', pattern: '**/twiml/*.xml' });
    expect(ext.client.initializationOptions).toEqual({ dialect: 'didml', strict: true, lenient: false });
    // What it would start, started: the language client adds --stdio for TransportKind.stdio.
    const client = startClient();
    await initialize(client, ext.client.initializationOptions);
    const published = await open(client, 'file:///w/twiml/a.xml', '<Response><Say>unclosed</Response>');
    // strict: the recovery is an error even in DIDML.
    expect(published.diagnostics.find((d) => String(d.code).startsWith('xml/'))?.severity).toBe(1);
    ext.change();
    expect(ext.sent).toEqual([['workspace/didChangeConfiguration', { settings: { didml: { dialect: 'didml', strict: true, lenient: false } } }]]);
    const relinted = client.diagnostics('file:///w/twiml/a.xml');
    await client.connection.sendNotification(...(ext.sent[0] as [string, unknown]));
    expect((await relinted).diagnostics.length).toBe(published.diagnostics.length);
    expect(await stop(client)).toBe(0);
  });
});
