// `didml serve --adapter drachtio`: the command, spawned from the built CLI, takes a call from the
// stand-in drachtio-server and stops cleanly on SIGTERM; a wrong secret stops it with exit 2.
// It needs the build (`npm test` builds first); without a build of the drachtio backend it is
// skipped, saying so.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { StandIn } from './stand-in/server.js';

const root = process.env['DIDML_ROOT'] ?? fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(root, 'dist/telephony/drachtio/index.js'));
if (!built) console.warn('test/drachtio/serve.test.ts: skipped, dist/ has no drachtio backend; run `npm run build` (npm test does)');

let stand: StandIn | undefined;
afterEach(async () => {
  await stand?.close();
  stand = undefined;
});

function serve(config: object): { stderr: () => string; started: Promise<string>; exit: Promise<number | null>; kill: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'didml-serve-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [join(root, 'bin/didml.js'), 'serve', '--config', file, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  const started = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /runtime on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`serve exited: ${stderr}`)));
  });
  started.catch(() => undefined); // a test that expects the exit does not wait for the start
  const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { stderr: () => stderr, started, exit, kill: () => child.kill('SIGTERM') };
}

describe.skipIf(!built)('didml serve --adapter drachtio', () => {
  it('takes calls from drachtio-server and stops cleanly on SIGTERM', async () => {
    stand = await StandIn.listen({ secret: 'cymru' });
    const s = serve({
      app: { url: join(root, 'examples/didforsale-forward') },
      adapter: 'drachtio',
      drachtio: { inbound: { host: '127.0.0.1', port: stand.port, secret: 'cymru' } },
      log: { level: 'warn' },
    });
    const url = await s.started;
    expect(((await (await fetch(`${url}/health`)).json()) as { adapter: string }).adapter).toBe('drachtio');
    await stand.authenticated();
    stand.onRequest = (req) => req.respond(486);
    const caller = stand.call({ to: '+19495551212' });
    expect(await caller.response()).toBe(486);
    expect(stand.sent('INVITE')[0]!.message.startLine).toBe('INVITE sip:+19495551212@sip.example.com SIP/2.0');
    s.kill();
    expect(await s.exit).toBe(0);
  });

  it('refuses a call beyond limits.maxConcurrentCalls with 503 on the wire', async () => {
    stand = await StandIn.listen({ secret: 'cymru' });
    const s = serve({
      app: { url: join(root, 'examples/didforsale-forward') },
      adapter: 'drachtio',
      drachtio: { inbound: { host: '127.0.0.1', port: stand.port, secret: 'cymru' } },
      limits: { maxConcurrentCalls: 1 },
      log: { level: 'warn' },
    });
    const url = await s.started;
    await stand.authenticated();
    // The far end rings and never answers: the first call stays in its Dial.
    stand.onRequest = (req) => req.respond(180);
    stand.call({ to: '+19495551212' });
    await stand.waitFor((r) => r.from === 'app' && r.method === 'INVITE', 3000, 'the first call dialling out');
    const second = stand.call({ to: '+19495551213' });
    expect(await second.response()).toBe(503);
    expect(((await (await fetch(`${url}/health`)).json()) as { callsRefused: number }).callsRefused).toBe(1);
    s.kill();
    expect(await s.exit).toBe(0);
  });

  it('exits 2 when drachtio-server refuses the secret, saying which key to check', async () => {
    stand = await StandIn.listen({ secret: 'cymru' });
    const s = serve({
      app: { url: join(root, 'examples/didforsale-forward') },
      adapter: 'drachtio',
      drachtio: { inbound: { host: '127.0.0.1', port: stand.port, secret: 'wrong' } },
    });
    expect(await s.exit).toBe(2);
    expect(s.stderr()).toMatch(/refused the connection .*check drachtio.inbound.secret/);
  });
});
