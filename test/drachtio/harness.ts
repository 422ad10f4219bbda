// Real didml sessions on the drachtio backend against the stand-in drachtio-server: the adapter
// with the real drachtio-srf, runCall with an in-process app (handlerTransport), real time.
import { realClock } from '../../src/clock.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { TimedEvent } from '../../src/runtime/events.js';
import type { Conferences } from '../../src/runtime/conferences.js';
import { runCall, type AppConfig, type CallSummary, type SessionOptions } from '../../src/runtime/session.js';
import { createDrachtioAdapter, withDefaults, type DrachtioAdapter, type DrachtioConfig, type MediaServerLink, type RegistrationTiming } from '../../src/telephony/drachtio/index.js';
import type { DialTarget, InboundCall, OriginateResult } from '../../src/telephony/adapter.js';
import { placedCall } from './placed.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport, type HandlerRequest, type HandlerResult } from '../../src/webhook/handler.js';
import { StandIn, type AppRequest } from './stand-in/server.js';
import type { HostPolicy } from '../../src/webhook/hosts.js';

export const APP = 'https://app.example';

export type Route = string | ((req: HandlerRequest) => HandlerResult | Promise<HandlerResult>);

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export interface FinishedCall {
  /** The call as the backend saw it (undefined for a placed call: the session holds it). */
  call: InboundCall | undefined;
  summary: CallSummary;
  events: TimedEvent[];
}

export interface Harness {
  stand: StandIn;
  adapter: DrachtioAdapter;
  /** Webhook requests the app got, in order. */
  requests: HandlerRequest[];
  /** Requests for one path. */
  to(path: string): HandlerRequest[];
  /** Log lines of the adapter and sessions. */
  logs: LogLine[];
  /** Resolves with the n-th call (0-based) once its session has ended. */
  finished(n?: number, timeoutMs?: number): Promise<FinishedCall>;
  /**
   * Places a call to `target` (the Calls API's create): a session whose originate is the
   * adapter's, the app's document at /voice once answered; it counts among the calls `finished`
   * waits for. `result` is what the adapter's originate resolved with.
   */
  place(target: DialTarget, o?: { from?: string; timeout?: number }): { result: Promise<OriginateResult> };
  close(): Promise<void>;
}

export interface HarnessOptions {
  routes: Record<string, Route>;
  config?: Partial<DrachtioConfig>;
  app?: Partial<AppConfig>;
  media?: (srf: unknown) => Promise<MediaServerLink>;
  registrationTiming?: Partial<RegistrationTiming>;
  secret?: string;
  /** Outbound mode: the app listens and the stand-in connects to it. */
  outbound?: boolean;
  /** The app's document on a real HTTP server (webhooks over HTTP, not in-process): its URL. */
  http?: string;
  /** The host rules for stream websockets (DrachtioAdapterOptions.hosts). */
  hosts?: HostPolicy;
  /** Conference rooms shared by the calls (default: each call's own). */
  conferences?: Conferences;
}

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const stand = o.outbound ? StandIn.create({ secret: 'cymru' }) : await StandIn.listen({ secret: 'cymru' });
  const logs: LogLine[] = [];
  const log: Logger = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line) as LogLine) });
  const requests: HandlerRequest[] = [];
  // `http`: the app is a real HTTP server (its document at that URL); `routes` are not used.
  const webhooks = o.http ? createWebhookClient() : createWebhookClient({
    transport: handlerTransport(async (req) => {
      requests.push(req);
      const path = new URL(req.url).pathname;
      const route = o.routes[path];
      if (route === undefined) return { status: 404, body: 'not found', contentType: 'text/plain' };
      return typeof route === 'string' ? route : route(req);
    }),
  });
  const connection = o.outbound
    ? { outbound: { host: '127.0.0.1', port: 0, secret: 'cymru' } }
    : { inbound: { host: '127.0.0.1', port: stand.port, secret: o.secret ?? 'cymru' } };
  const adapter = createDrachtioAdapter({
    config: withDefaults({ ...connection, ...o.config }),
    log,
    connectTimeoutMs: 3000,
    ...(o.media ? { media: o.media as never } : {}),
    ...(o.registrationTiming ? { registrationTiming: o.registrationTiming } : {}),
    endSessionDelayMs: 50,
    ...(o.hosts ? { hosts: o.hosts } : {}),
  });
  const calls: Promise<FinishedCall>[] = [];
  const session = (call: InboundCall | undefined, more: Partial<SessionOptions> = {}) => {
    const events: TimedEvent[] = [];
    calls.push(
      runCall(call, {
        app: { url: o.http ?? `${APP}/voice`, ...o.app },
        webhooks,
        clock: realClock,
        onEvent: (e) => events.push(e),
        ...(o.conferences ? { conferences: o.conferences } : {}),
        ...more,
      }).then((summary) => ({ call, summary, events })),
    );
  };
  await adapter.listen((call) => session(call));
  if (!o.outbound) await stand.authenticated();
  return {
    stand,
    adapter,
    requests,
    to: (path) => requests.filter((r) => new URL(r.url).pathname === path),
    logs,
    place(target, p = {}) {
      const placed = placedCall(adapter, target, p);
      session(undefined, { outbound: placed.outbound });
      return { result: placed.result };
    },
    async finished(n = 0, timeoutMs = 8000) {
      for (let i = 0; i < timeoutMs / 10 && calls[n] === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      const p = calls[n];
      if (!p) throw new Error(`call ${n} never reached the app (${calls.length} did); SIP seen:\n${stand.summary()}`);
      return Promise.race([
        p,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`call ${n} did not end within ${timeoutMs} ms; SIP seen:\n${stand.summary()}`)), timeoutMs)),
      ]);
    },
    async close() {
      await adapter.close();
      await stand.close();
      await webhooks.close();
    },
  };
}

/** A realClock pause, for "nothing more happens" checks only; never asserted on as time. */
export const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

/** A far end that answers at once and hangs up `talkMs` after the ACK. */
export const answersThenHangsUp =
  (talkMs: number) =>
  (req: AppRequest): void => {
    req.respond(200);
    void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), talkMs));
  };

export { realClock };
