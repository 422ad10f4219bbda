// Call-flow tests against real apps: an HTTP server on 127.0.0.1 that answers documents per path
// and records what it was asked, and one call run on the mock backend in virtual time, checked
// afterwards for leftovers (virtual timers, open sockets).
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { expect } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { runCall, type AppConfig, type CallSummary } from '../../src/runtime/session.js';
import { sequentialIds } from '../../src/ids.js';
import type { Limits } from '../../src/runtime/limits.js';
import { createMockAdapter, type MockCallLeg, type MockCallScript, type TranscriptEvent } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import type { WebhookClient, WebhookClientOptions } from '../../src/webhook/types.js';

export interface AppRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** The query string's parameters (for GET, these are the webhook's parameters). */
  query: Record<string, string>;
  /** The webhook's parameters: the form body for POST, the query for GET. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export type Reply =
  | string
  | { status?: number; body?: string | Buffer; contentType?: string; headers?: Record<string, string>; delayMs?: number }
  /** Answers by hand (a stalled or endless body, a reset mid-answer); the server only tracks the socket. */
  | { raw: (res: ServerResponse) => void };
export type Route = Reply | ((req: AppRequest) => Reply | Promise<Reply>);

export interface TestApp {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  url(path: string): string;
  /** Every request, in order. */
  requests: AppRequest[];
  /** The requests for one path. */
  to(path: string): AppRequest[];
  /** Asserts that every connection to the server has closed, then closes it. */
  close(): Promise<void>;
}

const form = (text: string): Record<string, string> => Object.fromEntries(new URLSearchParams(text));

/** A loopback app: `routes` maps a path to a document (a string is a 200 text/xml answer). Other paths get 404. */
export async function startApp(routes: Record<string, Route>): Promise<TestApp> {
  const requests: AppRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const [path = '/', search = ''] = (req.url ?? '/').split('?');
        const query = form(search);
        const body = Buffer.concat(chunks).toString('utf8');
        const r: AppRequest = { method: req.method ?? '', path, query, params: req.method === 'POST' ? form(body) : query, headers: req.headers };
        requests.push(r);
        const route = routes[path];
        let reply: Reply = route === undefined ? { status: 404, body: 'Not Found', contentType: 'text/plain' } : typeof route === 'function' ? await route(r) : route;
        if (typeof reply === 'string') reply = { body: reply };
        if ('raw' in reply) return reply.raw(res);
        if (reply.delayMs) await new Promise((ok) => setTimeout(ok, reply.delayMs));
        if (res.destroyed) return;
        res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'text/xml', ...reply.headers });
        res.end(reply.body ?? '');
      })();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => origin + path,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    async close() {
      const until = Date.now() + 1000;
      while (sockets.size > 0 && Date.now() < until) await new Promise((ok) => setTimeout(ok, 5));
      const open = sockets.size;
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
      expect(open, 'connections the runtime left open to the app').toBe(0);
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens (connection refused). */
export async function refusedUrl(path = '/voice'): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return `http://127.0.0.1:${port}${path}`;
}

export interface CallOptions {
  app: AppConfig | string;
  script?: MockCallScript;
  /** A client to use (the caller closes it); else one is made with `client` options and closed. */
  webhooks?: WebhookClient;
  client?: WebhookClientOptions;
  limits?: Partial<Limits>;
  maxDocumentBytes?: number;
}

export interface CallResult {
  summary: CallSummary;
  /** The transcript: the backend's events and the runtime's, in order, with virtual `t` in ms. */
  events: TranscriptEvent[];
  leg: MockCallLeg;
  clock: VirtualClock;
}

/** Runs one call to its end on the mock backend and checks that it left no virtual timer behind. */
export async function runApp(o: CallOptions): Promise<CallResult> {
  const clock = new VirtualClock();
  const adapter = createMockAdapter({ clock });
  const webhooks = o.webhooks ?? createWebhookClient(o.client ?? {});
  const call = adapter.placeCall(o.script ?? {});
  try {
    const summary = await runCall(call, {
      app: typeof o.app === 'string' ? { url: o.app } : o.app,
      webhooks,
      clock,
      ids: sequentialIds(),
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.maxDocumentBytes !== undefined ? { maxDocumentBytes: o.maxDocumentBytes } : {}),
      onEvent: ({ t: _t, ...event }) => void call.leg.log(event),
    });
    await call.leg.ended;
    expect(clock.pendingTimers, 'virtual timers left after the call').toBe(0);
    // Closing the client waits for the status callbacks still in flight (and their outcome events).
    if (!o.webhooks) await webhooks.close();
    await new Promise((ok) => setImmediate(ok));
    return { summary, events: [...call.leg.transcript], leg: call.leg, clock };
  } finally {
    if (!o.webhooks) await webhooks.close();
    await adapter.close();
  }
}

/** The callSid sequentialIds() gives the first call. */
export const CALL_SID = 'CA' + '0'.repeat(32);

export const xml = (body: string): string => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;

export const ofType = (events: readonly TranscriptEvent[], type: string): TranscriptEvent[] => events.filter((e) => e.type === type);
export const one = (events: readonly TranscriptEvent[], type: string): TranscriptEvent => {
  const found = ofType(events, type);
  expect(found, `one ${type} event`).toHaveLength(1);
  return found[0]!;
};
/** The transcript's event types, without webhooks/callbacks/warnings, to compare a flow at a glance. */
export const flow = (events: readonly TranscriptEvent[]): string[] =>
  events.map((e) => e.type).filter((t) => !['webhook', 'callback', 'warning', 'inbound'].includes(t));
/** What the caller heard: the text of each say, the URL of each play. */
export const heard = (events: readonly TranscriptEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'say' ? [String(e.text)] : e.type === 'play' ? [String(e.url)] : []));
