// The language server finds a document's config as `didml lint` does (ServerOptions.lintOptionsFor's
// default), through a real LSP client over stdio: its rules and dialect, its ignores, a config
// edited while the server runs, and a config that cannot be read said on the document.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialize, open, startClient, stop, type Client } from '../lsp/client.js';

const WARNS = '<Response><Dial><Number>4155550100</Number></Dial><Say></Say></Response>';
let client: Client;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'didml-lsp-config-'));
  mkdirSync(join(dir, 'vendor'));
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, 'didml.config.json'), JSON.stringify({ dialect: 'didml', rules: { e164: 'off', 'say-empty': 'error' }, ignores: ['vendor'] }));
  writeFileSync(join(dir, 'broken', 'didml.config.json'), JSON.stringify({ rules: { e614: 'off' } }));
  client = startClient();
  await initialize(client);
});

afterAll(async () => {
  expect(await stop(client)).toBe(0);
});

const uriOf = (...p: string[]) => pathToFileURL(join(dir, ...p)).href;

describe('didml lsp with a config file', () => {
  it("lints a document with its folder's config: the config's severities, not the defaults", async () => {
    const published = await open(client, uriOf('voice.xml'), WARNS);
    // say-empty raised to an error (1), e164 off.
    expect(published.diagnostics.map((d) => [d.code, d.severity])).toEqual([['say-empty', 1]]);
  });

  it('a document the config ignores has no diagnostics', async () => {
    const published = await open(client, uriOf('vendor', 'a.xml'), WARNS);
    expect(published.diagnostics).toEqual([]);
  });

  it('a config that cannot be read is an error on the first line, naming the file and the key; the document is still linted', async () => {
    const published = await open(client, uriOf('broken', 'v.xml'), WARNS);
    const first = published.diagnostics[0]!;
    expect(first.range.start).toEqual({ line: 0, character: 0 });
    expect(first.severity).toBe(1);
    expect(first.message).toContain(join(dir, 'broken', 'didml.config.json'));
    expect(first.message).toMatch(/rules: unknown key "e614" \(did you mean "e164"\?\)/);
    // The settings alone: both default warnings.
    expect(published.diagnostics.slice(1).map((d) => [d.code, d.severity])).toEqual([['e164', 2], ['say-empty', 2]]);
  });

  it('a config changed while the server runs applies at the next change', async () => {
    const uri = uriOf('later.xml');
    await open(client, uri, WARNS);
    writeFileSync(join(dir, 'didml.config.json'), JSON.stringify({ rules: { 'say-empty': 'off' } }));
    const next = client.diagnostics(uri, 2);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: WARNS + ' ' }] });
    const published = await next;
    // Now e164 is back (a warning) and say-empty is off.
    expect(published.diagnostics.map((d) => [d.code, d.severity])).toEqual([['e164', 2]]);
  });
});

describe('didml lsp --config and --no-config', () => {
  it('--no-config lints with the settings alone; --config <file> uses that file for every document', async () => {
    const here = mkdtempSync(join(tmpdir(), 'didml-lsp-flags-'));
    writeFileSync(join(here, 'didml.config.json'), JSON.stringify({ rules: { e164: 'off', 'say-empty': 'off' } }));
    writeFileSync(join(here, 'strict.json'), JSON.stringify({ rules: { 'say-empty': 'error', e164: 'off' } }));
    const uri = pathToFileURL(join(here, 'voice.xml')).href;
    const none = startClient(['--no-config']);
    await initialize(none);
    expect((await open(none, uri, WARNS)).diagnostics.map((d) => [d.code, d.severity])).toEqual([['e164', 2], ['say-empty', 2]]);
    expect(await stop(none)).toBe(0);
    const given = startClient(['--config', join(here, 'strict.json')]);
    await initialize(given);
    expect((await open(given, uri, WARNS)).diagnostics.map((d) => [d.code, d.severity])).toEqual([['say-empty', 1]]);
    expect(await stop(given)).toBe(0);
  });
});
