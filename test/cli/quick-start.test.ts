// The README's quick start: `npm start` runs one call through the bundled IVR, whose menu is a
// template (examples/ivr/menu.xml) that sends each key to its own branch.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');
const start = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;

const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8' });

describe('the quick start', () => {
  it('is `didml call examples/ivr --digits 1 --no-input`: the caller presses 1 and reaches sales', () => {
    expect(start).toBe('node bin/didml.js call examples/ivr --digits 1 --no-input');
    const r = run(start.split(' ').slice(1));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/caller presses 1\n.*gathered \"1\".*\n.*→ POST app:\/\/ivr\/menu \(200\)\n.*redirect to app:\/\/ivr\/menu\/1\n/);
    expect(r.stdout).toContain('say "Connecting you to sales."');
    // The dialled parties ring in parallel and the first to answer wins; virtual time, 43 s or so.
    expect(r.stdout).toMatch(/dial \+14155550123, sip:sales@pbx\.example\.com/);
    expect(r.stdout).toMatch(/SIP 200 \(answered\)\n.*SIP 487 \(canceled\)\n.*bridged/);
    expect(r.stdout).toMatch(/^\s+4\d\.\ds {2}call completed: <Hangup>$/m);
  });

  it('with --digits 2 takes the support branch', () => {
    const r = run(['bin/didml.js', 'call', 'examples/ivr', '--digits', '2', '--no-input']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('redirect to app://ivr/menu/2');
    expect(r.stdout).toContain('say "Connecting you to support."');
    expect(r.stdout).toContain('dial sip:support@pbx.example.com [X-Department: support]');
    expect(r.stdout).not.toContain('Connecting you to sales');
  });
});
