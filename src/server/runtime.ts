// `didml serve`: the long-running runtime. Calls arrive from a telephony backend and are run by
// the call service, each by the app of the number it was addressed to; Twilio's Calls REST API
// places and steers calls; a small control surface reports health and (mock) runs scripted calls:
//   GET  /health   liveness and counters, for a load balancer or an orchestrator
//   POST /calls    (mock backend) run one simulated call from a JSON script; answers the transcript
//                  (with `http.authToken`, only for a request that proves it knows it: control-auth.ts)
//   /2010-04-01/Accounts/{AccountSid}/Calls[.json|/{Sid}.json]   Twilio's Calls resource
//   /2010-04-01/Accounts/{AccountSid}/Queues[.json|/{Sid}.json|/{Sid}/Members...]   its Queues and Members
//   /2010-04-01/Accounts/{AccountSid}/Conferences[.json|/{Sid}.json|/{Sid}/Participants...]   its Conferences and Participants
// Logs are JSON lines (src/log.ts). Nothing a call or a request does can take the process down:
// a session always resolves, and every failed request is answered with Twilio's error JSON.
import type { AddressInfo } from 'node:net';
import { realClock } from '../clock.js';
import { DidmlError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { CallService } from '../calls/service.js';
import { createCallStore } from '../state/index.js';
import { appFor, type AppTable } from '../calls/routing.js';
import { simulateCall, type CallScript } from '../runtime/simulate.js';
import type { TelephonyAdapter } from '../telephony/adapter.js';
import { DEFAULT_TO, createMockAdapter, party } from '../telephony/mock/index.js';
import { createWebhookClient } from '../webhook/client.js';
import { describeSigningToken } from '../webhook/signature.js';
import { hostPolicy, type HostPolicy } from '../webhook/hosts.js';
import { checkControlAuth } from './control-auth.js';
import { createMetrics, DEFAULT_METRICS, metricsRoute } from './metrics.js';
import type { WebhookClient } from '../webhook/types.js';
import type { ServeConfig } from './config.js';
import { createHttp, formRoutes } from './http.js';
import { callsApi } from './rest/calls.js';
import { queuesApi } from './rest/queues.js';
import { conferencesApi } from './rest/conferences.js';
import { CODES, twilioError } from './rest/errors.js';
import { SCENARIO_SCHEMA_ID } from './rest/schemas.js';

export interface Runtime {
  /** The control server's base URL. */
  url: string;
  stats(): { activeCalls: number; callsStarted: number; callsEnded: number; callsRefused: number };
  /** The calls, live and lately ended (what the Calls API serves). */
  readonly calls: CallService;
  /** Ends every call in progress, closes the backend, the webhook pool and the control server. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /**
   * The backend that brings calls and places them. Without one (mock), scripted calls come
   * through POST /calls, and calls placed through the Calls API run on a mock backend of the
   * runtime's own, on the wall clock, their far ends as the config's `mock.callees` say.
   */
  adapter?: TelephonyAdapter;
  log?: Logger;
  webhooks?: WebhookClient;
  /** The folder of a folder app (`app://` URLs). */
  appRoot?: string;
  /** Folder apps by the label of their `app://<label>/` URLs (several numbers' folders). */
  appRoots?: Record<string, string>;
}

/** The largest POST /calls script. */
const MAX_SCRIPT_BYTES = 256 * 1024;
/** The largest form body the Calls API takes (a Twiml of 4000 characters, encoded, fits many times). */
const MAX_FORM_BYTES = 64 * 1024;

/** The host rules of a configuration (webhook.allowHosts/denyHosts, the apps' own hosts trusted): for webhooks and stream websockets alike. */
export function configuredHostPolicy(config: ServeConfig): HostPolicy {
  return hostPolicy({ allow: config.webhook.allowHosts ?? [], deny: config.webhook.denyHosts ?? [], trusted: configuredHosts(config.apps) });
}

/** Host names of the URLs the operator configured: allowed by name whatever webhook.allowHosts says. */
function configuredHosts(apps: AppTable): string[] {
  return Object.values(apps)
    .flatMap((app) => [app.url, app.fallbackUrl, app.statusCallback])
    .flatMap((u) => (u && URL.canParse(u) && /^https?:$/.test(new URL(u).protocol) ? [new URL(u).hostname] : []));
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export async function startRuntime(config: ServeConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? createLogger({ level: config.log.level });
  // One set of host rules for webhooks and for the websockets a scripted agent is reached on.
  const hosts = configuredHostPolicy(config);
  const webhooks =
    options.webhooks ??
    createWebhookClient({
      ...(config.authToken ? { authToken: config.authToken } : {}),
      connectTimeoutMs: config.webhook.connectTimeoutMs,
      readTimeoutMs: config.webhook.readTimeoutMs,
      maxBytes: config.webhook.maxBytes,
      ...(config.webhook.maxConnectionsPerOrigin !== undefined ? { maxConnectionsPerOrigin: config.webhook.maxConnectionsPerOrigin } : {}),
      hosts,
      ...(options.appRoot ? { appRoot: options.appRoot } : {}),
      ...(options.appRoots ? { appRoots: options.appRoots } : {}),
    });
  // On the mock, calls placed through the Calls API run on a backend of the runtime's own, in real
  // time; what it does on a call (said, played, dialled) goes to the log, by the call's id.
  let adapter: TelephonyAdapter;
  if (options.adapter) adapter = options.adapter;
  else {
    // A scripted agent's websocket follows the webhooks' host rules, as drachtio's streams do.
    const own = createMockAdapter({ clock: realClock, forgetEnded: true, hosts, outbound: { ...(config.mock.callees ? { callees: config.mock.callees } : {}) } });
    own.onEvent((e, leg) => log.debug(e.type, { ...e, callId: leg.callId }));
    adapter = own;
  }
  const accountSid = config.accountSid ?? 'AC' + '0'.repeat(32);
  // Metrics (GET /metrics): the call service's hooks and the webhook client tell them what happens.
  const metricsConfig = config.metrics ?? DEFAULT_METRICS;
  const metrics = metricsConfig.enabled ? createMetrics({ queueLabels: metricsConfig.queueLabels, refused: (): number => calls.stats().callsRefused }) : undefined;
  const served = metrics ? metrics.instrument(webhooks) : webhooks;
  const calls = new CallService({
    apps: config.apps,
    adapter,
    webhooks: served,
    ...(metrics ? { hooks: metrics.hooks } : {}),
    clock: adapter.clock,
    log,
    accountSid,
    limits: config.limits,
    maxDocumentBytes: config.webhook.maxBytes,
    keepEnded: config.calls.keepEnded,
    keepEndedSeconds: config.calls.keepEndedSeconds,
    // In-process, or shared with the other instances over Redis (config `state`).
    store: createCallStore(config, log),
  });
  try {
    await calls.start();
  } catch (e) {
    // The shared state refused this instance (wrong credentials): nothing may keep running.
    await adapter.close().catch(() => undefined);
    if (!options.webhooks) await webhooks.close();
    throw e;
  }
  const bootedAt = Date.now();
  const scripts = config.adapter === 'mock';

  const http = await createHttp({ log, bodyLimit: Math.max(MAX_SCRIPT_BYTES, MAX_FORM_BYTES) });
  // Degraded (the shared state is unreachable or behind) is still HTTP 200: the calls go on, and a
  // Redis outage must not make a router drain every instance at once.
  http.get('/health', async () => {
    const state = calls.store.health();
    return { status: state.status, adapter: config.adapter, ...calls.stats(), uptimeSeconds: Math.round((Date.now() - bootedAt) / 1000), state };
  });
  if (metrics) metricsRoute(http, metrics, metricsConfig, log);
  if (scripts) {
    http.post<{ Body: CallScript }>(
      '/calls',
      {
        bodyLimit: MAX_SCRIPT_BYTES,
        schema: { body: { $ref: `${SCENARIO_SCHEMA_ID}#/$defs/callScript` } },
        // Who may ask, before anything of the body is looked at beyond its bytes.
        preValidation: async (req, reply) => {
          req.body ??= {};
          const token = config.http.authToken;
          if (!token) return;
          const raw = (req as unknown as { rawBody?: string }).rawBody ?? '';
          const auth = checkControlAuth(token, req.raw, Buffer.from(raw));
          if (auth.ok) return;
          log.warn('control request refused', { status: auth.status, path: req.url, error: auth.error, remote: req.socket.remoteAddress });
          if (auth.status === 401) void reply.header('www-authenticate', 'Bearer realm="didml"');
          return reply.code(auth.status).send(twilioError(auth.status, auth.status === 401 ? CODES.authenticate : CODES.forbidden, auth.error));
        },
      },
      async (req, reply) => {
        const script = req.body;
        // Addressed as the mock will address the call: the user part of a SIP URI, its host the domain.
        // A call the script has the runtime place (outbound) is addressed to no number of ours: the default app runs it.
        const to = party(script.to ?? DEFAULT_TO);
        const routed = script.outbound ? appFor(config.apps, { to: '*' }) : appFor(config.apps, { to: to.user, ...(to.uri ? { toUri: to.uri } : {}) });
        if (!routed) return reply.code(404).send(twilioError(404, CODES.notFound, `no app answers ${script.to ?? 'the number called'}: add it to the config's apps, or give a default app ("*" or app)`));
        if (calls.full) {
          calls.refuse();
          return reply
            .code(503)
            .header('retry-after', '1')
            .send(twilioError(503, CODES.unavailable, `the runtime is running ${calls.stats().activeCalls} calls, its limits.maxConcurrentCalls; try again later`));
        }
        let r;
        const scripted = metrics?.scripted(script.outbound ? 'outbound-api' : 'inbound');
        try {
          r = await calls.counted(() => simulateCall({ app: routed.app, call: script, webhooks: served, hosts, limits: config.limits, ...(scripted ? { onEvent: (e) => scripted.event(e) } : {}) }));
          scripted?.ended(r.summary.status);
        } catch (e) {
          scripted?.ended('failed');
          // A script the schema let through but the mock cannot play (caller[2] with two kinds...).
          if (e instanceof DidmlError) return reply.code(400).send(twilioError(400, CODES.callsResource, e.message));
          throw e;
        }
        log.info('simulated call ended', { callSid: r.summary.callSid, status: r.summary.status, reason: r.summary.reason });
        return { ...r.summary, events: r.events };
      },
    );
  }
  await formRoutes(http, async (scope) => {
    await callsApi(scope, { calls, accountSid, authToken: config.authToken, capabilities: adapter.capabilities, backend: adapter.name, apps: config.apps });
    // In the same scope: the Calls API's authentication covers the Queues, Members, Conferences and Participants resources too.
    await queuesApi(scope, { calls, accountSid });
    await conferencesApi(scope, { calls, accountSid });
  });

  await http.listen({ port: config.http.port, host: config.http.host });
  const address = http.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  try {
    await adapter.listen((call) => calls.inbound(call));
  } catch (e) {
    // The backend cannot start (drachtio-server refused the secret...): nothing may keep running.
    await adapter.close().catch(() => undefined);
    await http.close();
    await calls.store.close();
    if (!options.webhooks) await webhooks.close();
    throw e;
  }
  log.info('didml runtime started', { control: url, adapter: config.adapter, apps: Object.keys(config.apps), webhookSigning: describeSigningToken(config.authToken ? 'config' : 'development'), state: { backend: calls.store.health().backend, instance: calls.store.instanceId } });
  if (!config.http.authToken && scripts && !LOOPBACK.test(address.address)) {
    log.warn('the control server takes POST /calls from anyone who can reach it: set http.authToken', { control: url });
  }
  if (metrics && !metricsConfig.authToken && !LOOPBACK.test(address.address)) {
    log.warn('GET /metrics is open to anyone who can reach the control server: set metrics.authToken, or keep the port on a private network', { control: url });
  }

  return {
    url,
    calls,
    stats: () => calls.stats(),
    async close() {
      calls.stopAll();
      await adapter.close();
      await calls.settled();
      await http.close();
      await calls.store.close();
      if (!options.webhooks) await webhooks.close();
      log.info('didml runtime stopped', { callsStarted: calls.stats().callsStarted, callsEnded: calls.stats().callsEnded });
    },
  };
}
