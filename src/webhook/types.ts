// What the runtime asks of the webhook layer, and what it gets back. The session decides what
// to ask (which URL, which parameters, when to fall back); the webhook layer does one request
// well: transport, signing, timeouts, size limits, and a failure classified with a stable code.
import type { LookupFunction } from 'node:net';
import type { DidmlError } from '../errors.js';
import type { BadByte } from '../parse/bytes.js';
import type { CookieJar } from './cookies.js';
import type { HostPolicy } from './hosts.js';

export type HttpMethod = 'GET' | 'POST';

export interface WebhookRequest {
  /** Absolute URL. A `#ct=…&rt=…` connection-override fragment is honoured and stripped. */
  url: string;
  method: HttpMethod;
  /** Form parameters: the query string for GET (appended to any already there), the body for POST. */
  params: Record<string, string>;
  /** The call's cookies: sent with the request, and kept from what the app answers. */
  cookies?: CookieJar;
  /**
   * What the document is requested for (metrics count by it; the transport ignores it): a
   * document of the call's own (the default: its URL, a Calls API update's, a wait or screening
   * document), where a verb sends the call (its `action`, a <Redirect>), or the app's fallback
   * URL after a failure.
   */
  purpose?: 'document' | 'action' | 'fallback';
}

export interface FetchedDocument {
  /** The URL the document finally came from (after HTTP redirects): relative URLs resolve against it. */
  url: string;
  status: number;
  contentType: string;
  body: string;
  /** The first byte of the answer its encoding does not have: the parser reports it. */
  badByte?: BadByte;
  /** Milliseconds the request took (real time). */
  elapsedMs: number;
  /** How long a caller waits on it (src/webhook/call-time.ts): a network request's time, a scripted latency; absent: none. */
  waitedMs?: number;
}

/** A request that did not yield a usable document; `error.code` says why, `error.twilioCode` Twilio's code. */
export interface WebhookFailure {
  url: string;
  error: DidmlError;
  /** The HTTP status, when the server answered. */
  status?: number;
  elapsedMs: number;
  /** As FetchedDocument's. */
  waitedMs?: number;
}

export type FetchOutcome = { ok: true; document: FetchedDocument } | { ok: false; failure: WebhookFailure };

/**
 * Where requests go. The HTTP transport (undici) is the real one; a folder of XML files and an
 * in-process handler are transports too, so a flow can be tested without a server, yet every
 * request still passes through signing, limits and failure handling the same way.
 */
export interface Transport {
  send(request: TransportRequest, signal: AbortSignal): Promise<TransportResponse>;
  close?(): Promise<void>;
}

export interface TransportRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  /** Form-encoded body for POST. */
  body?: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxBytes: number;
  /** The body will not be used (status callbacks): the transport may drop it unread. */
  discardBody?: boolean;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The first byte of the answer its encoding does not have (the body holds U+FFFD there). */
  badByte?: BadByte;
  /** Final URL after redirects, when the transport followed any. */
  url?: string;
  /** Each Set-Cookie header as sent (they cannot be joined like other headers). */
  setCookie?: string[];
}

export interface WebhookClientOptions {
  transport?: Transport;
  /** The token that signs every request's X-Twilio-Signature (default DEVELOPMENT_AUTH_TOKEN). */
  authToken?: string;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Largest document accepted, bytes (default 64 KiB, Twilio's limit). */
  maxBytes?: number;
  userAgent?: string;
  /** Budget for all attempts of one request, retries and redirects included (Twilio `tt`, default 15000). */
  totalTimeoutMs?: number;
  /** Retries after a failed attempt (Twilio `rc`, default 1) for the failures in `retryOn`. */
  retries?: number;
  /** What is retried (Twilio `rp`, default `['ct']`: connect failures and connect timeouts). */
  retryOn?: ReadonlyArray<'4xx' | '5xx' | 'ct' | 'rt'>;
  /** HTTP redirects followed per request (default 5). */
  maxRedirects?: number;
  /** Folder that `file:` URLs must stay inside; by default the folder of the first `file:` URL requested. */
  appRoot?: string;
  /** More folder apps, by the label of their `app://<label>/` URLs (a runtime serving several numbers' folders). */
  appRoots?: Readonly<Record<string, string>>;
  /**
   * Which hosts may be requested, checked on every hop and again on every address a name resolves
   * to (src/webhook/hosts.ts). Default: the built-in rules only (link-local and metadata addresses).
   */
  hosts?: HostPolicy;
  /** How host names resolve (default `dns.lookup`). */
  lookup?: LookupFunction;
  /** Most keep-alive connections to one origin (default: no limit); requests beyond them wait for one. */
  maxConnectionsPerOrigin?: number;
  /** How long close() waits for requests in flight before it cancels them (default 5000 ms). */
  closeGraceMs?: number;
  /** Told about ignored or clamped `#ct=…` overrides, so that nothing is dropped silently. */
  onWarning?: (message: string) => void;
}

export interface WebhookClient {
  /** Fetch a document (voice URL, action, Redirect). Never throws: failures come back as values. */
  fetchDocument(request: WebhookRequest, signal?: AbortSignal): Promise<FetchOutcome>;
  /** Fire a status callback; the body of the answer is ignored. Never throws. */
  notify(request: WebhookRequest, signal?: AbortSignal): Promise<{ ok: boolean; status?: number; error?: DidmlError }>;
  close(): Promise<void>;
}
