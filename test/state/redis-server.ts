// A real redis-server for the tests (Debian's package; .ci/run installs it): started on a free
// loopback port in a temporary folder, without persistence, so a restart loses every key, as an
// outage of a cache-only Redis does. Tests that need it skip, saying why, when it is not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_BIN = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
export const haveRedis = spawnSync(REDIS_BIN, ['--version']).status === 0;
export const NO_REDIS = `${REDIS_BIN} is not installed (apt-get install -y redis-server; .ci/run does): the Redis tests are skipped`;
if (!haveRedis) console.warn(NO_REDIS);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}

export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was saved). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** `args`: more of redis-server's options (`['--requirepass', 'secret']`). */
export async function startRedis(args: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'didml-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const p = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (p.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}: ${out}`);
      await new Promise((ok) => setTimeout(ok, 25));
    }
  };
  const stop = async () => {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((ok) => p.once('exit', ok));
    p.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a server on the port answers PING. */
function answers(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    s.once('error', () => ok(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      ok(/^(\+PONG|-NOAUTH)/.test(d.toString())); // a server with requirepass answers too
    });
  });
}
