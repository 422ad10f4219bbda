// A drachtio-server of the test's own (DRACHTIO_BIN), on free loopback ports, with its
// configuration file and log in a temp folder: started, stopped and restarted by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OwnDrachtioOptions {
  bin: string;
  secret: string;
  /** `<contact>` values, e.g. `sips:127.0.0.1:5061;transport=tls`. */
  contacts: string[];
  /** TLS: the server's certificate and key, and the chain file (the CAs it trusts, and its own intermediates). */
  tls?: { cert: string; key: string; chain: string };
  /** drachtio-server's own check of TLS peers (DRACHTIO_TLS_VERIFY_CLIENT_CERT=1). */
  verifyPeers?: boolean;
}

export interface OwnDrachtio {
  admin: number;
  dir: string;
  /** Its log so far (sofia-sip's included). */
  log(): string;
  stop(): Promise<void>;
  /** Stops it and starts it again on the same ports. */
  restart(): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A port free for TCP and UDP on 127.0.0.1, below the kernel's ephemeral range (32768 and up) and
 * FreeSWITCH's RTP range (16384 and up): a port the kernel hands out for port 0 can be taken again
 * by another process's outgoing connection before drachtio-server binds it.
 */
export async function freeFixedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const { createSocket } = await import('node:dgram');
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 6000);
    const tcp = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (!tcp) continue;
    const udp = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => (sock.close(), resolve(false)));
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (udp) return port;
  }
  throw new Error('no free port between 10000 and 16000 on 127.0.0.1');
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function startOwnDrachtio(o: OwnDrachtioOptions & { admin: number }): Promise<OwnDrachtio> {
  const dir = mkdtempSync(join(tmpdir(), 'didml-own-drachtio-'));
  const conf = join(dir, 'drachtio.conf.xml');
  const logFile = join(dir, 'drachtio.log');
  const tls = o.tls ? `<tls><key-file>${o.tls.key}</key-file><cert-file>${o.tls.cert}</cert-file><chain-file>${o.tls.chain}</chain-file></tls>` : '';
  writeFileSync(
    conf,
    `<drachtio>
  <admin port="${o.admin}" secret="${o.secret}">127.0.0.1</admin>
  <sip><contacts>${o.contacts.map((c) => `<contact>${c}</contact>`).join('')}</contacts>${tls}</sip>
  <cdrs>false</cdrs>
  <logging><file><name>${logFile}</name><archive>${join(dir, 'archive')}</archive><size>20</size><maxFiles>1</maxFiles><auto-flush>true</auto-flush></file><loglevel>debug</loglevel><sofia-loglevel>5</sofia-loglevel></logging>
</drachtio>`,
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    const env = { ...process.env, ...(o.verifyPeers ? { DRACHTIO_TLS_VERIFY_CLIENT_CERT: '1' } : {}) };
    const c = spawn(o.bin, ['-f', conf], { stdio: 'ignore', env });
    child = c;
    // Its admin port, then each stream (tcp, tls) SIP port: the SIP stack starts after the admin port opens.
    const streams = o.contacts.filter((x) => /transport=[^;]*(tcp|tls)/.test(x)).map((x) => Number(/:(\d+);/.exec(x)?.[1]));
    for (const port of [o.admin, ...streams]) {
      for (let i = 0; i < 200 && c.exitCode === null && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 25));
      if (c.exitCode !== null || !(await accepts(port))) throw new Error(`drachtio-server did not open port ${port}${c.exitCode !== null ? ` (it exited with ${c.exitCode})` : ''}; its log:\n${read().slice(-4000)}`);
    }
  };
  const read = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  await start();
  return {
    admin: o.admin,
    dir,
    log: read,
    stop,
    async restart() {
      await stop();
      await start();
    },
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
