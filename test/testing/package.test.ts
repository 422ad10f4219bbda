// `didml/testing` as a user's project imports it: through the package's "exports", from the
// built files (npm test builds them first), with no server process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');

describe('didml/testing', () => {
  it('is importable by its package name and drives a call', () => {
    const script = `
      import { startCall, CallExpectationError } from 'didml/testing';
      const call = await startCall({ app: 'fixtures/flows/voicemail/mailbox' });
      await call.talk(4, { then: '*' });
      await call.expectRecord({ duration: 4 });
      try { await call.expectSay('Hello'); } catch (e) { console.log(e instanceof CallExpectationError, e.message.split('\\n')[0]); }
      await call.expectStatus('completed');
      console.log('ok');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true expectation 2: say "Hello"\nok\n');
  });
});
