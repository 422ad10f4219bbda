// The webhook client the runtime talks to: one request done well. It strips and honours the
// connection-override fragment, encodes and signs the parameters, follows redirects, retries what
// Twilio would retry within the total time, checks status, type and size, and hands back either a
// document or a failure with a stable code and a message that names the URL, what happened and
// what to do. It never throws.
import { createRequire } from 'node:module';
import { setMaxListeners } from 'node:events';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DidmlError, type ErrorCode } from '../errors.js';
import { documentKind } from './content-type.js';
import { folderTransport } from './folder.js';
import { hostPolicy } from './hosts.js';
import { createHttpTransport } from './http.js';
import {
  appendQuery,
  encodeForm,
  FORM_CONTENT_TYPE,
  parseConnectionOverrides,
  TWILIO_CONNECTION_DEFAULTS,
  wellFormedParams,
  type ConnectionSettings,
  type RetryOn,
} from './params.js';
import { phaseOf } from './phase.js';
import { nextHop, type Hop } from './redirect.js';
import { DEVELOPMENT_AUTH_TOKEN, signRequest } from './signature.js';
import type { CookieJar } from './cookies.js';
import { requestTarget } from './url.js';
import type {
  FetchOutcome,
  HttpMethod,
  Transport,
  TransportResponse,
  WebhookClient,
  WebhookClientOptions,
  WebhookFailure,
  WebhookRequest,
} from './types.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Twilio sends `TwilioProxy/1.1`; didml names itself the same way. */
export const DEFAULT_USER_AGENT = `DidmlProxy/${version}`;
/** Largest document accepted by default: 64 KiB, as Twilio. */
export const DEFAULT_MAX_BYTES = 64 * 1024;
/** Twilio does not document its redirect limit (error 11215 says only "too many") [unverified]. */
export const DEFAULT_MAX_REDIRECTS = 5;
/** How long close() lets requests in flight (a call's last status callback) finish before it cancels them. */
export const DEFAULT_CLOSE_GRACE_MS = 5000;

// Headers Twilio sends with every webhook (Somleng's emulation of Twilio, twiml_endpoint.rb).
const ACCEPT = 'text/xml, application/xml, text/html';
const CACHE_CONTROL = 'max-age=259200';

/** One exchange's result before the document checks: the last answer, or why there was none. */
type Exchange =
  | { ok: true; url: string; method: HttpMethod; response: TransportResponse }
  | { ok: false; url: string; method: HttpMethod; error: DidmlError; status?: number };

export function createWebhookClient(options: WebhookClientOptions = {}): WebhookClient {
  const defaults: ConnectionSettings = {
    connectTimeoutMs: options.connectTimeoutMs ?? TWILIO_CONNECTION_DEFAULTS.connectTimeoutMs,
    readTimeoutMs: options.readTimeoutMs ?? TWILIO_CONNECTION_DEFAULTS.readTimeoutMs,
    totalTimeoutMs: options.totalTimeoutMs ?? TWILIO_CONNECTION_DEFAULTS.totalTimeoutMs,
    retries: options.retries ?? TWILIO_CONNECTION_DEFAULTS.retries,
    retryOn: options.retryOn ?? TWILIO_CONNECTION_DEFAULTS.retryOn,
  };
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  // Built-in rules (link-local, metadata) even when none is given.
  const hosts = options.hosts ?? hostPolicy();

  // Transports this client made (and so closes); a given transport belongs to the caller.
  let http: ReturnType<typeof createHttpTransport> | undefined;
  // Cancels what is still in flight when close() has waited long enough. Every request in flight
  // listens to it, so a shared client under load has many listeners by design, not by a leak.
  const closer = (): AbortController => {
    const c = new AbortController();
    setMaxListeners(0, c.signal);
    return c;
  };
  let closing = closer();
  let folder: Transport | undefined;
  const folders = new Map<string, Transport>();

  function transportFor(url: URL): Transport | DidmlError {
    if (options.transport) return options.transport;
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      return (http ??= createHttpTransport({
        hosts,
        ...(options.lookup && { lookup: options.lookup }),
        ...(options.maxConnectionsPerOrigin !== undefined && { connections: options.maxConnectionsPerOrigin }),
      }));
    }
    if (url.protocol === 'app:') {
      const root = options.appRoots?.[url.hostname];
      if (root !== undefined) {
        let t = folders.get(root);
        if (!t) folders.set(root, (t = folderTransport(root)));
        return t;
      }
      if (!options.appRoot) return new DidmlError('DIDML_WEBHOOK_URL', `${url.href}: app: URLs name documents of a folder app, and this client has none (appRoot)`);
      folder ??= folderTransport(options.appRoot);
      return folder;
    }
    if (url.protocol === 'file:') {
      // The app's folder is the one given, or else the folder of the first file: URL asked for
      // (the voice URL): later documents may not read outside it.
      folder ??= folderTransport(options.appRoot ?? (url.pathname.endsWith('/') ? fileURLToPath(url) : dirname(fileURLToPath(url))));
      return folder;
    }
    return new DidmlError('DIDML_WEBHOOK_URL', `${url.protocol} URLs cannot be requested (use http:, https:, or app:/file: for a folder app)`);
  }

  /** Sends one hop: the parameters in the query (GET) or the body (POST), signed for that URL. */
  async function sendHop(hop: Hop, settings: ConnectionSettings, auth: string | undefined, discardBody: boolean, signal: AbortSignal, jar: CookieJar | undefined): Promise<Exchange> {
    const isGet = hop.method === 'GET';
    const url = isGet ? appendQuery(hop.url, hop.params) : hop.url;
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: ACCEPT, 'cache-control': CACHE_CONTROL };
    let body: string | undefined;
    if (!isGet) {
      body = encodeForm(hop.params);
      headers['content-type'] = FORM_CONTENT_TYPE;
    }
    // Always signed, as Twilio's requests are: with the development token when none is given.
    headers['x-twilio-signature'] = signRequest(options.authToken ?? DEVELOPMENT_AUTH_TOKEN, url, isGet ? {} : hop.params);
    if (auth) headers.authorization = auth;
    const cookie = jar?.header(url);
    if (cookie) headers.cookie = cookie;

    const fail = (error: DidmlError): Exchange => ({ ok: false, url: hop.url, method: hop.method, error });
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail(new DidmlError('DIDML_WEBHOOK_URL', 'not an absolute URL'));
    }
    // Every hop, HTTP redirects included: a 302 to 169.254.169.254 is refused like a <Redirect> to it.
    const refused = hosts.checkUrl(url);
    if (refused) return fail(refused);
    const transport = transportFor(parsed);
    if (transport instanceof DidmlError) return fail(transport);
    try {
      const response = await transport.send(
        {
          url,
          method: hop.method,
          headers,
          ...(body !== undefined && { body }),
          connectTimeoutMs: settings.connectTimeoutMs,
          readTimeoutMs: settings.readTimeoutMs,
          maxBytes,
          ...(discardBody && { discardBody }),
        },
        signal,
      );
      if (jar && response.setCookie?.length) jar.store(url, response.setCookie);
      return { ok: true, url: hop.url, method: hop.method, response };
    } catch (err) {
      if (signal.aborted && signal.reason instanceof DidmlError) return fail(signal.reason);
      return fail(err instanceof DidmlError ? err : new DidmlError('DIDML_WEBHOOK_CONNECT', `the transport failed: ${String((err as Error)?.message ?? err)}`, { cause: err }));
    }
  }

  /** One attempt: the first hop and every redirect after it; non-2xx answers become failures. */
  async function attempt(first: Hop, settings: ConnectionSettings, auth: string | undefined, discardBody: boolean, signal: AbortSignal, jar: CookieJar | undefined): Promise<Exchange> {
    let hop = first;
    for (let redirects = 0; ; redirects++) {
      const ex = await sendHop(hop, settings, auth, discardBody, signal, jar);
      if (!ex.ok) return ex;
      const { status, headers } = ex.response;
      if (status >= 200 && status < 300) return ex;
      if (status >= 300 && status < 400) {
        const next = nextHop(hop, status, headers.location);
        if (next instanceof DidmlError) return { ok: false, url: hop.url, method: hop.method, error: next, status };
        if (redirects >= maxRedirects) {
          const error = new DidmlError('DIDML_WEBHOOK_REDIRECTS', `more than ${maxRedirects} redirects in a row, the last to ${next.url}`);
          return { ok: false, url: hop.url, method: hop.method, status, error };
        }
        hop = next;
        continue;
      }
      const excerpt = ex.response.body.trim().replace(/\s+/g, ' ').slice(0, 200);
      return { ok: false, url: hop.url, method: hop.method, status, error: new DidmlError('DIDML_WEBHOOK_STATUS', `the app answered ${status}${excerpt ? `: "${excerpt}"` : ''}`) };
    }
  }

  /** The whole request: overrides, deadline, retries. Resolves with the last exchange. */
  async function perform(request: WebhookRequest, discardBody: boolean, callerSignal: AbortSignal | undefined): Promise<Exchange & { settings: ConnectionSettings; attempts: number }> {
    const { url: bare, overrides, warnings } = parseConnectionOverrides(request.url);
    for (const w of warnings) options.onWarning?.(`${bare}: ${w}`);
    const { edge: _edge, sni: _sni, ...timing } = overrides; // edge and SNI mean nothing off Twilio's network
    const settings: ConnectionSettings = { ...defaults, ...stripUndefined(timing) };

    const target = requestTarget(bare);
    if (target instanceof DidmlError) return { ok: false, url: bare, method: request.method, error: target, settings, attempts: 0 };
    const first: Hop = { url: target.url, method: request.method, params: wellFormedParams(request.params) };
    const auth = target.authorization;

    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DidmlError('DIDML_WEBHOOK_TIMEOUT', `no complete answer within the ${settings.totalTimeoutMs} ms total time`)),
      settings.totalTimeoutMs,
    );
    const onCallerAbort = () => deadline.abort(new DidmlError('DIDML_WEBHOOK_ABORTED', 'the request was cancelled before it completed'));
    const onClose = () => deadline.abort(closing.signal.reason);
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const closer = closing.signal;
    closer.addEventListener('abort', onClose, { once: true });

    try {
      let attempts = 0;
      for (;;) {
        if (deadline.signal.aborted) return { ok: false, url: first.url, method: first.method, error: deadline.signal.reason as DidmlError, settings, attempts };
        attempts++;
        const ex = await attempt(first, settings, auth, discardBody, deadline.signal, request.cookies);
        if (ex.ok || attempts > settings.retries || deadline.signal.aborted) return { ...ex, settings, attempts };
        const kind = retryKind(ex.error, ex.status);
        if (!kind || !settings.retryOn.includes(kind)) return { ...ex, settings, attempts };
      }
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      closer.removeEventListener('abort', onClose);
    }
  }

  return {
    async fetchDocument(request, signal): Promise<FetchOutcome> {
      const started = performance.now();
      // Only a request over the network keeps a caller waiting: a folder or in-process app answers
      // at once in call time, however busy this process is (transcripts stay reproducible).
      const network = !options.transport && /^https?:/i.test(request.url);
      const waited = (ms: number) => (network ? { waitedMs: ms } : {});
      try {
        const ex = await perform(request, false, signal);
        const elapsedMs = performance.now() - started;
        if (!ex.ok) return { ok: false, failure: { ...failure(ex, elapsedMs), ...waited(elapsedMs) } };
        const { status, headers, body, badByte } = ex.response;
        const contentType = headers['content-type'] ?? '';
        if (!documentKind(contentType)) {
          const error = new DidmlError(
            'DIDML_WEBHOOK_CONTENT_TYPE',
            contentType ? `the app answered with Content-Type ${contentType}, which is not a document` : `the app answered ${status} with no Content-Type`,
          );
          return { ok: false, failure: { ...failure({ url: ex.url, method: ex.method, error, status, attempts: ex.attempts, settings: ex.settings }, elapsedMs), ...waited(elapsedMs) } };
        }
        return { ok: true, document: { url: ex.url, status, contentType, body, ...(badByte ? { badByte } : {}), elapsedMs, ...waited(elapsedMs) } };
      } catch (err) {
        // Not expected: every path above returns a value. Still, this method never throws.
        const error = new DidmlError('DIDML_WEBHOOK_CONNECT', `unexpected failure: ${(err as Error)?.message ?? String(err)}`, { cause: err });
        return { ok: false, failure: { url: request.url, error, elapsedMs: performance.now() - started } };
      }
    },

    async notify(request, signal) {
      try {
        const ex = await perform(request, true, signal);
        if (ex.ok) return { ok: true, status: ex.response.status };
        const f = failure(ex, 0);
        return { ok: false, ...(f.status !== undefined && { status: f.status }), error: f.error };
      } catch (err) {
        return { ok: false, error: new DidmlError('DIDML_WEBHOOK_CONNECT', `unexpected failure: ${(err as Error)?.message ?? String(err)}`, { cause: err }) };
      }
    },

    async close() {
      // Requests in flight get a grace period (a status callback to an app that never answers
      // must not hold a shutdown for its whole total time), then are cancelled and reported.
      const grace = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
      const abort = closing;
      const cancel = setTimeout(
        () => abort.abort(new DidmlError('DIDML_WEBHOOK_ABORTED', `the webhook client closed and gave up after waiting ${grace} ms for the request to complete`)),
        grace,
      );
      const h = http;
      http = undefined;
      try {
        await h?.close();
      } finally {
        clearTimeout(cancel);
        closing = closer();
      }
    },
  };
}

/** What kind of failure this was, in the terms of Twilio's retry policy (`rp`). */
function retryKind(error: DidmlError, status: number | undefined): RetryOn | undefined {
  if (error.code === 'DIDML_WEBHOOK_STATUS' && status !== undefined) return status >= 500 ? '5xx' : status >= 400 ? '4xx' : undefined;
  const phase = phaseOf(error);
  return phase === 'connect' ? 'ct' : phase === 'read' ? 'rt' : undefined;
}

/** What a user can do about each failure. */
const WAY_OUT: Partial<Record<ErrorCode, (s: ConnectionSettings, status: number | undefined, url: string) => string>> = {
  DIDML_WEBHOOK_CONNECT: () => 'Check that the app is running and that the host and port in the URL are right.',
  DIDML_WEBHOOK_TIMEOUT: (s) =>
    `The app must connect within ${s.connectTimeoutMs} ms and answer within ${s.readTimeoutMs} ms (${s.totalTimeoutMs} ms in all); make it faster, or change the limits with a fragment such as #ct=${s.connectTimeoutMs}&rt=${s.readTimeoutMs}&tt=${s.totalTimeoutMs} on the URL.`,
  DIDML_WEBHOOK_STATUS: (_s, status) =>
    status === 404 || status === 410
      ? 'Check the path in the URL: the app has no such page.'
      : status !== undefined && status >= 500
        ? "Look in the app's own logs for the error."
        : 'The app must answer 2xx with a document.',
  DIDML_WEBHOOK_CONTENT_TYPE: () => 'Serve the document as text/xml or application/xml (text/html and text/plain are accepted too).',
  DIDML_WEBHOOK_TOO_LARGE: () => 'Make the document smaller, for instance by splitting it with <Redirect>, or raise the limit (maxBytes).',
  DIDML_WEBHOOK_REDIRECTS: () => 'Point the webhook at the final URL instead of one that redirects, and look for a redirect loop.',
  DIDML_WEBHOOK_URL: () => 'Use an absolute http:, https: or file: URL.',
  // A host refused by webhook.allowHosts/denyHosts: the message names the rule and the way out.
  DIDML_URL_FORBIDDEN: (_s, _status, url) =>
    /^https?:/i.test(url) ? '' : "Keep every URL inside the app: a folder app's documents may only point at files in its folder.",
};

function failure(
  ex: { url: string; method: HttpMethod; error: DidmlError; status?: number; attempts: number; settings: ConnectionSettings },
  elapsedMs: number,
): WebhookFailure {
  const tries = ex.attempts > 1 ? ` (after ${ex.attempts} attempts)` : '';
  const way = WAY_OUT[ex.error.code]?.(ex.settings, ex.status, ex.url);
  const message = `${ex.method} ${ex.url}: ${ex.error.message}${tries}.${way ? ` ${way}` : ''}`;
  const error = new DidmlError(ex.error.code, message, { cause: ex.error.cause ?? ex.error });
  return { url: ex.url, error, ...(ex.status !== undefined && { status: ex.status }), elapsedMs };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
