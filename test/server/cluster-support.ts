// What the server tests over several instances share: waiting for a condition (bounded), and a
// `didml serve` of its own in a child process for the tests that SIGKILL an instance (its config
// written to a temporary file, its control URL read from its start log).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

export interface ChildServe {
  child: ChildProcess;
  /** The runtime's URL (Calls API, /health). */
  url: string;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** SIGKILL, resolved once it has exited. */
  kill(): Promise<void>;
}

/** Starts `didml serve --config <config>`; `cleanups` gets the folder's removal and a kill. */
export async function serveChild(name: string, config: unknown, cleanups: (() => Promise<void>)[]): Promise<ChildServe> {
  const dir = mkdtempSync(join(tmpdir(), 'didml-child-serve-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [join(root, 'bin/didml.js'), 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(async () => void (child.exitCode === null && child.kill('SIGKILL')));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"control":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => reject(new Error(`serve exited early: ${out}`)));
  });
  const kill = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGKILL');
    await exited;
  };
  return { child, url, output: () => out, kill };
}

/** Polls `f` every 25 ms until it gives something truthy; throws after `ms` naming `what`. */
export async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}
