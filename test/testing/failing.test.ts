// Wrong expectations are caught: every scenario in fixtures/flows-failing must fail (expectations/)
// or be refused as invalid (invalid/), with exactly the report a user would read, kept beside it
// as <name>.expected.txt (the failures as `didml test` prints them, unindented; the repository's
// path written <repo>). DIDML_WRITE_EXPECTED=1 rewrites those files from what the runner says.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientPool, findScenarios, formatFailure, runScenarioFile } from '../../src/testing/index.js';

const repo = join(import.meta.dirname, '../..');
const root = join(repo, 'fixtures/flows-failing');
const clients = new ClientPool();
afterAll(() => clients.close());

const report = (r: Awaited<ReturnType<typeof runScenarioFile>>) =>
  (r.status === 'invalid' ? r.problems.join('\n') : r.failures.map((f) => formatFailure(f)).join('\n')).replaceAll(repo, '<repo>') + '\n';

for (const [folder, status] of [['expectations', 'failed'], ['invalid', 'invalid']] as const) {
  describe(`fixtures/flows-failing/${folder}: ${status}`, () => {
    const { files } = findScenarios([join(root, folder)]);
    it('has cases', () => expect(files.length).toBeGreaterThan(5));
    for (const file of files) {
      it(file.slice(root.length + 1), async () => {
        const r = await runScenarioFile(file, { clients });
        const text = report(r);
        const expectedFile = file.replace(/\.call\.json$/, '.expected.txt');
        if (process.env['DIDML_WRITE_EXPECTED']) writeFileSync(expectedFile, text);
        expect(r.status, text).toBe(status);
        expect(existsSync(expectedFile), `${expectedFile} holds the report a user reads`).toBe(true);
        expect(text).toBe(readFileSync(expectedFile, 'utf8'));
      });
    }
  });
}
