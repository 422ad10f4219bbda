// `didml serve`: the long-running runtime. It takes calls from a telephony backend and runs a
// Session for each, and it runs a small control server on loopback (by default):
//   GET  /health   liveness and counters, for a load balancer or an orchestrator
//   POST /calls    (mock backend) run one simulated call from a JSON script; answers the transcript
//                  (with `http.authToken`, only for a request that proves it knows it: control-auth.ts)
// Logs are JSON lines (src/log.ts). Nothing a call does can take the process down: a session
// always resolves, and its failures are logged with their codes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realClock } from '../clock.js';
import { createLogger, type Logger } from '../log.js';
import { Session } from '../runtime/session.js';
import { Queues } from '../runtime/queues.js';
import { randomIds } from '../runtime/ids.js';
import { simulateCall } from '../runtime/simulate.js';
import type { InboundCall, TelephonyAdapter } from '../telephony/adapter.js';
import { createWebhookClient } from '../webhook/client.js';
import { hostPolicy, type HostPolicy } from '../webhook/hosts.js';
import { checkControlAuth } from './control-auth.js';
import type { WebhookClient } from '../webhook/types.js';
import type { MockCallScript } from '../telephony/mock/index.js';
import type { ServeConfig } from './config.js';

export interface Runtime {
  /** The control server's base URL. */
  url: string;
  stats(): { activeCalls: number; callsStarted: number; callsEnded: number; callsRefused: number };
  /** Ends every call in progress, closes the backend, the webhook pool and the control server. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The backend that brings calls; without one (mock), calls come only through POST /calls. */
  adapter?: TelephonyAdapter;
  log?: Logger;
  webhooks?: WebhookClient;
  /** The folder of a folder app (`app://` URLs). */
  appRoot?: string;
}

const MAX_SCRIPT_BYTES = 256 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_SCRIPT_BYTES) {
        reject(new Error(`the script is larger than ${MAX_SCRIPT_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return text.trim() ? JSON.parse(text) : {};
  } catch (e) {
    throw new Error(`the body is not JSON: ${(e as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Host names of the URLs the operator configured: allowed by name whatever webhook.allowHosts says. */
/** The host rules of a configuration (webhook.allowHosts/denyHosts, the app's own hosts trusted): for webhooks and stream websockets alike. */
export function configuredHostPolicy(config: ServeConfig): HostPolicy {
  return hostPolicy({ allow: config.webhook.allowHosts ?? [], deny: config.webhook.denyHosts ?? [], trusted: configuredHosts(config.app) });
}

function configuredHosts(app: ServeConfig['app']): string[] {
  return [app.url, app.fallbackUrl, app.statusCallback].flatMap((u) => (u && URL.canParse(u) && /^https?:$/.test(new URL(u).protocol) ? [new URL(u).hostname] : []));
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export async function startRuntime(config: ServeConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? createLogger({ level: config.log.level });
  const webhooks =
    options.webhooks ??
    createWebhookClient({
      ...(config.authToken ? { authToken: config.authToken } : {}),
      connectTimeoutMs: config.webhook.connectTimeoutMs,
      readTimeoutMs: config.webhook.readTimeoutMs,
      maxBytes: config.webhook.maxBytes,
      ...(config.webhook.maxConnectionsPerOrigin !== undefined ? { maxConnectionsPerOrigin: config.webhook.maxConnectionsPerOrigin } : {}),
      hosts: configuredHostPolicy(config),
      ...(options.appRoot ? { appRoot: options.appRoot } : {}),
    });
  const sessions = new Set<Session>();
  // One set of queues for every call this runtime takes: <Enqueue> on one call, <Dial><Queue> on another.
  const queues = new Queues(options.adapter?.clock ?? realClock, () => randomIds('QU'));
  const running = new Set<Promise<unknown>>();
  let started = 0;
  let ended = 0;
  const bootedAt = Date.now();

  const track = <T>(p: Promise<T>): Promise<T> => {
    running.add(p);
    const done = () => running.delete(p);
    p.then(done, done);
    return p;
  };

  /** At limits.maxConcurrentCalls: one more call is refused at once (503), so its carrier can try elsewhere. */
  const full = (): boolean => config.limits.maxConcurrentCalls !== undefined && started - ended >= config.limits.maxConcurrentCalls;
  let refused = 0;

  function onCall(call: InboundCall): void {
    if (full()) {
      refused++;
      log.warn('call refused: the runtime is running limits.maxConcurrentCalls calls', { callId: call.callId, from: call.from, to: call.to, activeCalls: started - ended });
      void call.leg.reject('unavailable').catch((e: unknown) => log.debug('refusing the call failed', { callId: call.callId, error: String(e) }));
      return;
    }
    started++;
    const session = new Session(call, {
      app: config.app,
      webhooks,
      clock: options.adapter?.clock ?? realClock,
      ...(config.accountSid ? { accountSid: config.accountSid } : {}),
      limits: config.limits,
      maxDocumentBytes: config.webhook.maxBytes,
      queues,
      onEvent: (e) => {
        const level = e.type === 'error' ? 'warn' : 'debug';
        callLog[level](e.type, e);
      },
    });
    const callLog = log.child({ callSid: session.callSid, callId: call.callId });
    callLog.info('call started', { from: call.from, to: call.to });
    sessions.add(session);
    void track(
      session.run().then(
        (s) => callLog.info('call ended', { status: s.status, duration: s.duration, reason: s.reason, documents: s.documents, errors: s.errors.length }),
        // run() resolves by design; reaching here is a bug of ours, logged, never a crash.
        (e: unknown) => callLog.error('session failed', { error: String(e) }),
      ).finally(() => {
        sessions.delete(session);
        ended++;
      }),
    );
  }

  async function simulate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let script: MockCallScript;
    try {
      const body = await readBody(req);
      const token = config.http.authToken;
      const auth = token ? checkControlAuth(token, req, body) : { ok: true as const };
      if (!auth.ok) {
        log.warn('control request refused', { status: auth.status, path: req.url, error: auth.error, remote: req.socket.remoteAddress });
        return send(res, auth.status, { error: auth.error }, auth.status === 401 ? { 'www-authenticate': 'Bearer realm="didml"' } : {});
      }
      script = parseJson(body) as MockCallScript;
    } catch (e) {
      return send(res, 400, { error: (e as Error).message });
    }
    if (full()) {
      refused++;
      return send(res, 503, { error: `the runtime is running ${started - ended} calls, its limits.maxConcurrentCalls; try again later` }, { 'retry-after': '1' });
    }
    started++;
    try {
      const r = await track(simulateCall({ app: config.app, call: script, webhooks, limits: config.limits }));
      log.info('simulated call ended', { callSid: r.summary.callSid, status: r.summary.status, reason: r.summary.reason });
      send(res, 200, { ...r.summary, events: r.events });
    } catch (e) {
      send(res, 400, { error: (e as Error).message });
    } finally {
      ended++;
    }
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://control').pathname;
    if (req.method === 'GET' && path === '/health') {
      return send(res, 200, {
        status: 'ok',
        adapter: config.adapter,
        activeCalls: started - ended,
        callsStarted: started,
        callsEnded: ended,
        callsRefused: refused,
        uptimeSeconds: Math.round((Date.now() - bootedAt) / 1000),
      });
    }
    if (req.method === 'POST' && path === '/calls' && config.adapter === 'mock') {
      void simulate(req, res);
      return;
    }
    send(res, 404, { error: `no ${req.method ?? ''} ${path} here (GET /health${config.adapter === 'mock' ? ', POST /calls' : ''})` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  if (options.adapter) {
    try {
      await options.adapter.listen(onCall);
    } catch (e) {
      // The backend cannot start (drachtio-server refused the secret...): nothing may keep running.
      await options.adapter.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.webhooks) await webhooks.close();
      throw e;
    }
  }
  log.info('didml runtime started', { control: url, adapter: config.adapter, app: config.app.url });
  if (!config.http.authToken && config.adapter === 'mock' && !LOOPBACK.test(address.address)) {
    log.warn('the control server takes POST /calls from anyone who can reach it: set http.authToken', { control: url });
  }

  return {
    url,
    stats: () => ({ activeCalls: started - ended, callsStarted: started, callsEnded: ended, callsRefused: refused }),
    async close() {
      for (const s of sessions) s.stop('the runtime is shutting down');
      await options.adapter?.close();
      await Promise.allSettled([...running]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (!options.webhooks) await webhooks.close();
      log.info('didml runtime stopped', { callsStarted: started, callsEnded: ended });
    },
  };
}
