// Real documents through the server, as an editor would move over them: for a spread of the
// shared corpus (every dialect, every malformed one), the published diagnostics are lint's, and
// hover and completion answer every seventh character without a protocol error.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { lint } from '../../src/validate/lint.js';
import { initialize, open, repo, startClient, stop, type Client } from './client.js';

const corpus = join(repo, '../shared/corpus/real');
const rows = existsSync(join(corpus, 'INDEX.tsv'))
  ? readFileSync(join(corpus, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))
  : [];
// Every malformed document and every DIDML one, and every 40th of the rest.
const chosen = rows.filter(([, dialect, , wellFormed], i) => wellFormed !== 'yes' || dialect === 'didml' || i % 40 === 0);

let client: Client;
beforeAll(async () => {
  client = startClient();
  await initialize(client);
});
afterAll(async () => {
  expect(await stop(client)).toBe(0);
});

describe.skipIf(!chosen.length)('didml lsp on the shared corpus', () => {
  it(`answers over ${chosen.length} real documents`, async () => {
    let requests = 0;
    for (const [file] of chosen) {
      const text = readFileSync(join(corpus, file as string), 'utf8');
      const uri = `file:///corpus/${file}`;
      const published = await open(client, uri, text);
      expect(published.diagnostics.map((d) => d.message), file).toEqual(lint(text).diagnostics.map((d) => d.message));
      const doc = TextDocument.create(uri, 'xml', 1, text);
      for (let offset = 0; offset <= text.length; offset += 7) {
        const position = doc.positionAt(offset);
        await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position });
        await client.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position });
        requests += 2;
      }
      await client.connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) },
        context: { diagnostics: [] },
      });
      await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }
    expect(requests).toBeGreaterThan(chosen.length * 2);
    expect(client.logs.filter((l) => l.type === 1)).toEqual([]);
  }, 120_000);
});
