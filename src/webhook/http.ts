// The real transport: one HTTP exchange over undici, on pooled keep-alive connections.
//
// Timeouts are Twilio's (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides)
// and run on native timers: undici's own connect, headers and body timeouts tick on a shared
// clock of about one second, far too coarse for Twilio's 100 ms minimum.
// - Connect (`ct`): TCP and, for https, the TLS handshake. It lives in the connector, which undici
//   sets per dispatcher, so there is one Agent per distinct connect timeout (a `#ct=` override is
//   rare; the cache is small and bounded). A connect that times out destroys its socket.
// - Read (`rt`): "after sending your webhook an HTTP request ... wait for the initial HTTP
//   response packet. Also applies to the amount of time Twilio will wait between individual
//   packets": from the request's start on its socket to the headers, then the longest silence
//   between two chunks of the body.
// - The whole exchange is bounded by the caller's signal (the client's `tt` deadline), so a body
//   that trickles in forever still ends.
// The body is counted as it arrives and the exchange is cut, socket included, as soon as it passes
// `maxBytes`: an endless body is never buffered. Redirects are not followed here: a 3xx comes
// back as it is and the client follows it, so every hop is signed for its own URL and the rule is
// the same for every transport.
import type { LookupFunction, Socket } from 'node:net';
import { Agent, buildConnector, errors, type Dispatcher } from 'undici';
import { DidmlError, type ErrorCode } from '../errors.js';
import { decodeBytes, type BadByte } from '../parse/bytes.js';
import { guardedLookup, type HostPolicy } from './hosts.js';
import { markPhase } from './phase.js';
import type { Transport, TransportRequest, TransportResponse } from './types.js';

export interface HttpTransportOptions {
  /** How long an idle keep-alive socket is kept (ms). undici's default, 4 s, unless the server says less. */
  keepAliveTimeoutMs?: number;
  /** Most sockets per origin (default: no limit). */
  connections?: number;
  /** TLS options for https (a private CA, ...), passed to undici's connector. */
  tls?: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean };
  /** How host names resolve (default: `dns.lookup`, as the operating system does). */
  lookup?: LookupFunction;
  /** Checked for every address a host name resolves to, before connecting (src/webhook/hosts.ts). */
  hosts?: HostPolicy;
}

export interface HttpTransport extends Transport {
  close(): Promise<void>;
}

const MAX_AGENTS = 8;
/** The most of an unused body (a redirect's, a status callback's) read to keep its socket; more and the socket is dropped. */
const DRAIN_LIMIT = 64 * 1024;

export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const agents = new Map<number, Agent>();
  let closed = false;
  const lookup = options.hosts ? guardedLookup(options.hosts, options.lookup) : options.lookup;

  const agentFor = (connectTimeoutMs: number): Agent => {
    let agent = agents.get(connectTimeoutMs);
    if (agent) return agent;
    agent = new Agent({
      connect: timedConnector(connectTimeoutMs, { ...options.tls, ...(lookup && { lookup }) }),
      ...(options.keepAliveTimeoutMs !== undefined && { keepAliveTimeout: options.keepAliveTimeoutMs }),
      ...(options.connections !== undefined && { connections: options.connections }),
    });
    agents.set(connectTimeoutMs, agent);
    if (agents.size > MAX_AGENTS) {
      const [oldest, old] = agents.entries().next().value as [number, Agent];
      agents.delete(oldest);
      void old.close().catch(() => undefined); // lets its requests in flight finish
    }
    return agent;
  };

  return {
    send(req, signal) {
      if (closed) return Promise.reject(new DidmlError('DIDML_WEBHOOK_CONNECT', 'the HTTP transport is closed'));
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        return Promise.reject(new DidmlError('DIDML_WEBHOOK_URL', 'not an absolute URL'));
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return Promise.reject(new DidmlError('DIDML_WEBHOOK_URL', `the HTTP transport cannot request a ${url.protocol} URL`));
      }
      // Address literals never reach `lookup`: they are checked here, names once resolved.
      const refused = options.hosts?.checkUrl(req.url);
      if (refused) return Promise.reject(refused);
      // Send the path and query exactly as given (and signed): re-serialising through URL would
      // percent-encode characters such as `'` that the signature was computed over.
      const raw = req.url.replace(/#.*$/s, '');
      const path = raw.startsWith(url.origin) ? raw.slice(url.origin.length) || '/' : url.pathname + url.search;
      return exchange(agentFor(req.connectTimeoutMs), url.origin, path, req, signal);
    },
    async close() {
      closed = true;
      await Promise.all([...agents.values()].map((a) => a.close()));
      agents.clear();
    },
  };
}

/** undici's connector with its own (coarse) timeout off, and a native-timer one in its place. */
function timedConnector(timeoutMs: number, socketOptions: HttpTransportOptions['tls'] & { lookup?: LookupFunction }): buildConnector.connector {
  const connect = buildConnector({ ...socketOptions, timeout: 0 }) as unknown as (o: buildConnector.Options, cb: buildConnector.Callback) => Socket;
  return ((opts: buildConnector.Options, callback: buildConnector.Callback) => {
    let done = false;
    // As for the read timer (below): a connection that completed while this process was busy is
    // seen in the poll phase, after the timers; look once more before giving up on it.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (done) return;
          done = true;
          socket.destroy();
          callback(new errors.ConnectTimeoutError(`connect timeout after ${timeoutMs} ms`), null);
        }),
      timeoutMs,
    );
    const socket = connect(opts, (...args: Parameters<buildConnector.Callback>) => {
      if (done) return args[1]?.destroy();
      done = true;
      clearTimeout(timer);
      callback(...args);
    });
    return socket;
  }) as buildConnector.connector;
}

/** Why the read timer fired: no headers yet, or a silence inside the body. */
type ReadPhase = 'headers' | 'body';

function exchange(agent: Agent, origin: string, path: string, req: TransportRequest, signal: AbortSignal): Promise<TransportResponse> {
  return new Promise<TransportResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let status = 0;
    let headers: Record<string, string> = {};
    let setCookie: string[] = [];
    let discard = false;
    const chunks: Buffer[] = [];
    let size = 0;

    const finish = (err: DidmlError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ status, headers, ...(setCookie.length ? { setCookie } : {}), ...(discard ? { body: '' } : decode(Buffer.concat(chunks), headers['content-type'])) });
    };
    /** Ends the exchange now: the request is aborted, which closes its socket if it is in flight. */
    const cut = (err: DidmlError | undefined, abortReason: Error = err ?? new Error('body not needed')) => {
      finish(err);
      if (controller && !controller.aborted) controller.abort(abortReason);
    };
    const arm = (phase: ReadPhase) => {
      clearTimeout(timer);
      const armed = setTimeout(() => {
        // Timers run before the event loop polls for I/O: when this process was busy for longer
        // than the timeout, an answer may already be waiting on the socket. Let the poll phase read
        // it first (setImmediate runs after it); it re-arms the timer if it came.
        setImmediate(() => {
          if (settled || timer !== armed) return;
          const what = phase === 'headers' ? `no response within the ${req.readTimeoutMs} ms read timeout` : `the response body stalled for longer than the ${req.readTimeoutMs} ms read timeout`;
          cut(markPhase(new DidmlError('DIDML_WEBHOOK_TIMEOUT', what), 'read'));
        });
      }, req.readTimeoutMs);
      timer = armed;
    };
    const onAbort = () => {
      const reason: unknown = signal.reason;
      cut(reason instanceof DidmlError ? reason : new DidmlError('DIDML_WEBHOOK_ABORTED', 'the request was cancelled', { cause: reason }));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) return c.abort(new Error('cancelled before it was sent'));
        arm('headers');
      },
      onResponseStart(c, statusCode, rawHeaders) {
        if (settled || statusCode < 200) return;
        status = statusCode;
        headers = flattenHeaders(rawHeaders);
        setCookie = setCookiesOf(rawHeaders);
        discard = Boolean(req.discardBody) || (statusCode >= 300 && statusCode < 400 && headers.location !== undefined);
        const declared = Number(headers['content-length']);
        if (declared > (discard ? DRAIN_LIMIT : req.maxBytes)) {
          return discard ? cut(undefined) : cut(tooLarge(req.maxBytes, `declares Content-Length ${declared}`));
        }
        arm('body');
      },
      onResponseData(_c, chunk) {
        if (settled) return;
        size += chunk.length;
        if (discard) {
          if (size > DRAIN_LIMIT) cut(undefined); // the answer is known; drop the socket rather than read on
        } else if (size > req.maxBytes) {
          cut(tooLarge(req.maxBytes, 'sent more than that'));
        } else {
          chunks.push(chunk);
        }
        if (!settled) arm('body');
      },
      onResponseEnd() {
        finish(undefined);
      },
      onResponseError(_c, err) {
        // Before onRequestStart the request never reached a socket: a connect failure. A host the
        // policy refused is no failure to retry.
        const error = classify(err, req);
        finish(error.code === 'DIDML_URL_FORBIDDEN' ? error : markPhase(error, controller ? 'read' : 'connect'));
      },
    };

    agent.dispatch(
      {
        origin,
        path,
        method: req.method,
        headers: req.headers,
        body: req.method === 'POST' ? (req.body ?? '') : null,
        // Off: the native timers above do this job, to the millisecond.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      handler,
    );
  });
}

/** Set-Cookie headers one by one: joined with ", " they could not be told apart from an Expires date. */
function setCookiesOf(raw: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(raw)) if (k.toLowerCase() === 'set-cookie' && v !== undefined) out.push(...(Array.isArray(v) ? v : [v]));
  return out;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Decodes by the charset the Content-Type names, else the XML declaration's, else UTF-8 (XML's
 * default), keeping the first byte that is not in that encoding for the parser to report.
 */
function decode(bytes: Buffer, contentType: string | undefined): { body: string; badByte?: BadByte } {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  const { text, bad } = decodeBytes(bytes, charset);
  return { body: text, ...(bad ? { badByte: bad } : {}) };
}

const tooLarge = (max: number, what: string) =>
  new DidmlError('DIDML_WEBHOOK_TOO_LARGE', `the response is larger than the ${max}-byte limit: it ${what}`);

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_OSSL_)/;

/** Turns what undici or the socket reported into a DidmlError whose message says what happened. */
function classify(err: unknown, req: TransportRequest): DidmlError {
  if (err instanceof DidmlError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const say = (c: ErrorCode, m: string) => new DidmlError(c, m, { cause: err });
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return say('DIDML_WEBHOOK_TIMEOUT', `no connection within the ${req.connectTimeoutMs} ms connect timeout`);
    case 'ECONNREFUSED':
      return say('DIDML_WEBHOOK_CONNECT', 'connection refused: nothing is listening on that host and port');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say('DIDML_WEBHOOK_CONNECT', `the host name does not resolve (${code})`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return say('DIDML_WEBHOOK_CONNECT', 'the server closed the connection before a complete response');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say('DIDML_WEBHOOK_CONNECT', `the host is unreachable (${code})`);
    default:
      if (code.startsWith('HPE_')) return say('DIDML_WEBHOOK_CONNECT', `the server's answer is not valid HTTP (${code})`);
      if (TLS_CODES.test(code)) return say('DIDML_WEBHOOK_CONNECT', `TLS failed: ${e.message ?? code}`);
      return say('DIDML_WEBHOOK_CONNECT', e.message ? `${e.message}${code ? ` (${code})` : ''}` : String(err));
  }
}
