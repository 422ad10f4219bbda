// The runtime's Prometheus metrics (prom-client), served at GET /metrics. Nothing below src/server
// calls prom-client: the call service tells its hooks (src/calls/hooks.ts) what its calls do, the
// webhook client is wrapped here, and a scripted call of POST /calls is fed from its transcript.
// Each runtime has its own registry (several in one process stay apart); a scrape serves it after
// the process's own (src/metrics.ts: Node's default metrics, state-store errors).
//
// Label values are bounded: directions, statuses, request kinds and error codes come from fixed
// sets of ours; a SIP code outside 100-699 is "other"; queues get their own series only up to
// `metrics.queueLabels` names (the first ones seen), any later queue counts under "_other".
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DidmlError } from '../errors.js';
import type { Logger } from '../log.js';
import { METRIC_PREFIX as P, processRegistry } from '../metrics.js';
import { safely, type CallHooks, type SipRequestKind } from '../calls/hooks.js';
import type { RuntimeEvent } from '../runtime/events.js';
import type { CallStatus } from '../telephony/adapter.js';
import type { WebhookClient, WebhookRequest } from '../webhook/types.js';
import { sameSecret } from './control-auth.js';
import { CODES, twilioError } from './rest/errors.js';

export interface MetricsConfig {
  enabled: boolean;
  /** What a scraper must send as `Authorization: Bearer <token>`; none: /metrics is open like /health. */
  authToken?: string;
  /** Queues with a series of their own in didml_queue_size; later ones count under "_other". */
  queueLabels: number;
}

export const DEFAULT_METRICS: MetricsConfig = { enabled: true, queueLabels: 50 };

/** What a webhook request was for: the call's document, a verb's action (or <Redirect>), the fallback URL, or a callback. */
export type WebhookKind = NonNullable<WebhookRequest['purpose']> | 'callback';

/** Seconds; up to Twilio's 15 s read timeout, past which a request fails anyway. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

export const OTHER_QUEUES = '_other';

/** A scripted call (POST /calls): its transcript's events as they come, and its end. */
export interface ScriptedCall {
  event(e: RuntimeEvent): void;
  ended(status: CallStatus): void;
}

export interface RuntimeMetrics {
  /** This runtime's own metrics. */
  readonly registry: Registry;
  /** The exposition text: the process's metrics, then this runtime's. */
  scrape(): Promise<string>;
  /** For the call service: what its calls do. */
  readonly hooks: CallHooks;
  /** The webhook client, counting each request's latency and failure. */
  instrument(client: WebhookClient): WebhookClient;
  /** A scripted call begins (POST /calls on the mock backend). */
  scripted(direction: string): ScriptedCall;
}

/** A SIP status code as a label: the code, or "other" outside 100-699 (a backend's garbage stays one series). */
const sipLabel = (code: number): string => (Number.isInteger(code) && code >= 100 && code <= 699 ? String(code) : 'other');
const twilioLabel = (code: unknown): string => (typeof code === 'number' && code > 0 ? String(code) : '');

export function createMetrics(options: { queueLabels: number; refused?: () => number }): RuntimeMetrics {
  const registry = new Registry();
  const shared = processRegistry();
  const registers = [registry];

  const active = new Gauge({ name: `${P}calls_active`, help: 'Calls in progress, by direction', labelNames: ['direction'] as const, registers });
  const started = new Counter({ name: `${P}calls_started_total`, help: 'Calls begun, by direction', labelNames: ['direction'] as const, registers });
  const ended = new Counter({ name: `${P}calls_ended_total`, help: 'Calls ended, by direction and final status', labelNames: ['direction', 'status'] as const, registers });
  const refused = options.refused;
  new Counter({
    name: `${P}calls_refused_total`,
    help: 'Calls turned away because the runtime ran limits.maxConcurrentCalls calls',
    registers,
    collect() {
      if (!refused) return;
      this.reset();
      this.inc(refused());
    },
  });
  const latency = new Histogram({ name: `${P}webhook_duration_seconds`, help: 'Webhook requests, by kind, until answered or failed', labelNames: ['kind'] as const, buckets: LATENCY_BUCKETS, registers });
  const failures = new Counter({ name: `${P}webhook_failures_total`, help: 'Webhook requests that failed, by kind, DIDML code and Twilio error code', labelNames: ['kind', 'code', 'twilio_code'] as const, registers });
  const callErrors = new Counter({ name: `${P}call_errors_total`, help: "Failures on calls (webhooks, documents, limits, the backend), by DIDML code and Twilio error code, as in the call's transcript", labelNames: ['code', 'twilio_code'] as const, registers });
  const sip = new Counter({ name: `${P}sip_final_responses_total`, help: 'Final responses to the INVITEs and REFERs the runtime sent, by code and request', labelNames: ['code', 'request'] as const, registers });
  const queueSize = new Gauge({ name: `${P}queue_size`, help: `Callers waiting in each queue on this instance (queues beyond the first ${options.queueLabels} are "${OTHER_QUEUES}")`, labelNames: ['queue'] as const, registers });

  const queues = new Set<string>();
  const queueLabel = (name: string): string => {
    if (queues.has(name)) return name;
    if (queues.size >= options.queueLabels) return OTHER_QUEUES;
    queues.add(name);
    return name;
  };
  const sipFinal = (code: number, request: SipRequestKind) => sip.inc({ code: sipLabel(code), request });

  // What each of a call's runtime events counts for: a table, the event's type its key.
  const RUNTIME = new Map<string, (e: RuntimeEvent) => void>(Object.entries({
    error: (e) => callErrors.inc({ code: typeof e['code'] === 'string' ? e['code'] : 'none', twilio_code: twilioLabel(e['twilioCode']) }),
    enqueue: (e) => queueSize.inc({ queue: queueLabel(String(e['queue'])) }),
    // Every caller who joined a line leaves it with one such event (bridged, leave, hangup, redirected); queue-full never joined.
    queue: (e) => {
      if (e['result'] !== 'queue-full') queueSize.dec({ queue: queueLabel(String(e['queue'])) });
    },
  }));
  // A scripted call runs on a mock of its own: its final responses are in its transcript (a 401 challenge is followed by the retry's).
  const TRANSCRIPT = new Map<string, (e: RuntimeEvent) => void>(Object.entries({
    'dial-response': (e) => {
      if (e['status'] !== 'challenge') sipFinal(Number(e['sipResponseCode']), 'dial');
    },
    'outbound-response': (e) => sipFinal(Number(e['sipResponseCode']), 'outbound'),
    'refer-response': (e) => sipFinal(Number(e['sipResponseCode']), 'refer'),
  }));
  const onEvent = (e: RuntimeEvent) => safely(() => RUNTIME.get(e.type)?.(e));

  const hooks: CallHooks = {
    started(direction) {
      started.inc({ direction });
      active.inc({ direction });
    },
    ended(direction, status) {
      ended.inc({ direction, status });
      active.dec({ direction });
    },
    event: onEvent,
    sipFinal,
  };

  const failed = (kind: WebhookKind, error: DidmlError | undefined) =>
    failures.inc({ kind, code: error?.code ?? 'DIDML_WEBHOOK_STATUS', twilio_code: twilioLabel(error?.twilioCode) });
  // A request cancelled because its call ended (or was given new instructions) is no failure of the app's, nor a latency.
  const cancelled = (error: DidmlError | undefined) => error?.code === 'DIDML_WEBHOOK_ABORTED';

  return {
    registry,
    // Both end with a newline; their names are apart (the process's are not a runtime's).
    scrape: async () => (await shared.metrics()) + (await registry.metrics()),
    hooks,
    instrument(client) {
      return {
        async fetchDocument(request, signal) {
          const out = await client.fetchDocument(request, signal);
          safely(() => {
            const kind: WebhookKind = request.purpose ?? 'document';
            if (out.ok) return latency.observe({ kind }, out.document.elapsedMs / 1000);
            if (cancelled(out.failure.error)) return;
            latency.observe({ kind }, out.failure.elapsedMs / 1000);
            failed(kind, out.failure.error);
          });
          return out;
        },
        async notify(request, signal) {
          const t = performance.now();
          const r = await client.notify(request, signal);
          safely(() => {
            if (cancelled(r.error)) return;
            latency.observe({ kind: 'callback' }, (performance.now() - t) / 1000);
            if (!r.ok) failed('callback', r.error);
          });
          return r;
        },
        close: () => client.close(),
      };
    },
    scripted(direction) {
      // Begun at its first event: a script the mock refuses before the call starts (a 400) is no call.
      let begun = false;
      let answered = false;
      return {
        event(e) {
          if (!begun) {
            begun = true;
            hooks.started!(direction);
          }
          onEvent(e);
          safely(() => TRANSCRIPT.get(e.type)?.(e));
          // A placed call's INVITE answered: its 200 (the mock records the answer, not the response).
          if (direction === 'outbound-api' && e.type === 'answer' && !answered) {
            answered = true;
            sipFinal(200, 'outbound');
          }
        },
        ended(status) {
          if (begun) hooks.ended!(direction, status);
        },
      };
    },
  };
}

/**
 * GET /metrics on the control server, in Prometheus' text format. With `metrics.authToken` a
 * scrape must send `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials }`):
 * 401 without it, 403 with another; without a token it is open, as /health is.
 */
export function metricsRoute(http: FastifyInstance, metrics: RuntimeMetrics, config: MetricsConfig, log: Logger): void {
  http.get('/metrics', async (req, reply) => {
    const token = config.authToken;
    if (token) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || !sameSecret(m[1]!, token)) {
        const status = req.headers.authorization === undefined ? 401 : 403;
        log.warn('metrics scrape refused', { status, remote: req.socket.remoteAddress });
        if (status === 401) void reply.header('www-authenticate', 'Bearer realm="didml metrics"');
        const message = status === 401 ? '/metrics needs Authorization: Bearer <metrics.authToken>' : m ? 'the bearer token is not metrics.authToken' : 'Authorization must be "Bearer <metrics.authToken>"';
        return reply.code(status).send(twilioError(status, status === 401 ? CODES.authenticate : CODES.forbidden, message));
      }
    }
    const text = await metrics.scrape();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}
