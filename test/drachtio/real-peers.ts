// What the opt-in suites against real servers share (real-server.test.ts, real-media.test.ts):
// the environment they need, didml on a drachtio adapter with a scripted app, and sipp peers.
// Set DRACHTIO_HOST, DRACHTIO_PORT and DRACHTIO_SECRET (drachtio-server's admin connection);
// drachtio-server must reach 127.0.0.1 (same host, e.g. `docker run --net=host
// drachtio/drachtio-server`). DRACHTIO_SIP=host:port overrides the SIP address the callers send to
// (default: the first UDP address drachtio-server reports); SIPP names the sipp binary (default
// `sipp`); DRACHTIO_BIN, the drachtio binary, lets a test start a server of its own.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer as createTcpServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { runCall, type CallSummary, type SessionOptions } from '../../src/runtime/session.js';
import { Queues } from '../../src/runtime/queues.js';
import { randomIds } from '../../src/ids.js';
import { createDrachtioAdapter, withDefaults, type DrachtioAdapter, type DrachtioConfig } from '../../src/telephony/drachtio/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport, type HandlerRequest, type HandlerResult } from '../../src/webhook/handler.js';
import type { DialTarget, InboundCall, OriginateResult } from '../../src/telephony/adapter.js';
import { placedCall } from './placed.js';

export const HOST = process.env['DRACHTIO_HOST'];
export const PORT = Number(process.env['DRACHTIO_PORT']);
export const SECRET = process.env['DRACHTIO_SECRET'];
export const SIPP = process.env['SIPP'] ?? 'sipp';
/** drachtio-server's binary: with it the outbound-mode test starts a server of its own. */
export const BIN = process.env['DRACHTIO_BIN'];
const haveServer = Boolean(HOST && PORT && SECRET);
const haveSipp = spawnSync(SIPP, ['-v'], { stdio: 'ignore' }).error === undefined;

/** Why a suite against a real drachtio-server cannot run here, or '' when it can. */
export const noDrachtio = !haveServer
  ? 'set DRACHTIO_HOST, DRACHTIO_PORT and DRACHTIO_SECRET to run the seed flows against a real drachtio-server'
  : !haveSipp
    ? `no sipp (${SIPP}): apt-get install -y sip-tester, or set SIPP`
    : '';

export type Route = string | ((req: HandlerRequest) => HandlerResult);

export interface Setup {
  adapter: DrachtioAdapter;
  /** Where callers send INVITEs: drachtio-server's SIP address. */
  sip: string;
  requests: HandlerRequest[];
  summaries: Promise<CallSummary>[];
  /** didml's log lines. */
  logs: Record<string, unknown>[];
  /** Places a call (the Calls API's create): its session runs the app's document once answered, its summary among `summaries`. */
  place(target: DialTarget, o?: { from?: string; timeout?: number }): { result: Promise<OriginateResult> };
  close(): Promise<void>;
}

/** `queuesFor`: the queues a call's session uses (default: one set for every call, as `didml serve` has). */
export async function setup(routes: Record<string, Route>, config: Partial<DrachtioConfig> = {}, app: { url?: string; method?: 'GET' | 'POST' } = {}, o: { queuesFor?: (call: InboundCall) => Queues } = {}): Promise<Setup> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const requests: HandlerRequest[] = [];
  const webhooks = createWebhookClient({
    transport: handlerTransport((req) => {
      requests.push(req);
      const r = routes[new URL(req.url).pathname];
      if (r === undefined) return { status: 404, body: 'no route', contentType: 'text/plain' };
      return typeof r === 'string' ? r : r(req);
    }),
  });
  const adapter = createDrachtioAdapter({ config: withDefaults({ inbound: { host: HOST!, port: PORT, secret: SECRET! }, ...config }), log });
  const summaries: Promise<CallSummary>[] = [];
  // One set of queues for all the calls, as `didml serve` has.
  const queues = new Queues(realClock, () => randomIds('QU'));
  const session = (call: InboundCall | undefined, more: Partial<SessionOptions> = {}) =>
    summaries.push(runCall(call, { app: { url: app.url ?? 'https://app.example/voice', ...(app.method ? { method: app.method } : {}) }, webhooks, clock: realClock, queues, ...more }));
  await adapter.listen((call) => session(call, o.queuesFor ? { queues: o.queuesFor(call) } : {}));
  if (!adapter.connected) {
    await adapter.close();
    throw new Error(`no connection to drachtio-server at ${HOST}:${PORT} (is it running, is the secret right?)`);
  }
  const hostports = String(lines.find((l) => l['msg'] === 'connected to drachtio-server')?.['sip'] ?? '');
  const udp = /udp\/([^,]+)/.exec(hostports)?.[1];
  const sip = process.env['DRACHTIO_SIP'] ?? udp;
  if (!sip) throw new Error(`drachtio-server reported no UDP SIP address (${hostports}); set DRACHTIO_SIP`);
  return {
    adapter,
    sip,
    requests,
    summaries,
    logs: lines,
    place(target, o = {}) {
      const placed = placedCall(adapter, target, o);
      session(undefined, { outbound: placed.outbound });
      return { result: placed.result };
    },
    async close() {
      await adapter.close();
      await webhooks.close();
    },
  };
}

export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A base port for sipp's media (-mp): sipp binds it and the ports after it (RTP, RTCP, and a
 * second stream), so the four from an even base must all be free for UDP.
 */
export async function freeMediaPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 10000);
    const sockets = [0, 1, 2, 3].map(() => createSocket('udp4'));
    const ok = await Promise.all(
      sockets.map((s, i) => new Promise<boolean>((resolve) => (s.once('error', () => resolve(false)), s.bind(base + i, '127.0.0.1', () => resolve(true))))),
    );
    await Promise.all(sockets.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no four free UDP ports in a row for sipp media');
}

/** A port free for TCP on 127.0.0.1 (a far end listening on TCP; freePort() checks UDP only). */
export async function freeTcpPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Runs `calls` sipp calls (one by default) with `scenario`; resolves with its exit code (0: every call went as scripted). */
export function runSipp(scenario: string, args: string[], calls = 1): { done: Promise<{ code: number | null; errors: string }>; stop: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'didml-sipp-'));
  const file = join(dir, 'scenario.xml');
  writeFileSync(file, scenario);
  const child = spawn(SIPP, ['-sf', file, '-m', String(calls), '-timeout', '30s', '-timeout_error', '-trace_err', '-error_file', join(dir, 'errors.log'), '-i', '127.0.0.1', ...args], { stdio: 'ignore' });
  const done = new Promise<{ code: number | null; errors: string }>((resolve) =>
    child.once('exit', (code) => {
      let errors = '';
      try {
        errors = readFileSync(join(dir, 'errors.log'), 'utf8');
      } catch {
        /* no errors file: nothing went wrong */
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, errors });
    }),
  );
  return { done, stop: () => child.kill() };
}

/** A far end on 127.0.0.1:<port> running `scenario` (on a free port unless given one). */
export async function callee(scenario: string, at?: number): Promise<{ port: number; done: Promise<{ code: number | null; errors: string }>; stop: () => void }> {
  const port = at ?? (await freePort());
  const run = runSipp(scenario, ['-p', String(port)]);
  await new Promise((r) => setTimeout(r, 300)); // sipp binds its port
  return { port, done: run.done, stop: run.stop };
}

/** The caller: sends to drachtio-server (its From is the scenario's). */
export async function caller(s: Setup, scenario: string, to: string): Promise<{ code: number | null; errors: string }> {
  return runSipp(scenario, [s.sip, '-s', to, '-p', String(await freePort())]).done;
}
