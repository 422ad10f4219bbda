// An app as an in-process function, for tests and for Vitest users: no server, no socket, yet
// every request still goes through the client's parameters, signing, redirects, limits and
// failure handling. The handler sees a request the way a web framework would present it.
import { DidmlError } from '../errors.js';
import { parseForm } from './params.js';
import type { HttpMethod, Transport, TransportResponse } from './types.js';

export interface HandlerRequest {
  url: string;
  method: HttpMethod;
  /** The query parameters for GET, the form body for POST, decoded. */
  params: Record<string, string>;
  /** Request headers, lower-case names (X-Twilio-Signature included when the client signs). */
  headers: Record<string, string>;
  /** Aborted when the client gives up (timeout, call ended). */
  signal: AbortSignal;
}

/** A string is a 200 `text/xml` document; an object sets status, type and headers (e.g. `location`). */
export type HandlerResult = string | { status?: number; body?: string; contentType?: string; headers?: Record<string, string> };

export type WebhookHandler = (req: HandlerRequest) => HandlerResult | Promise<HandlerResult>;

/**
 * A transport that answers with `handler`. A handler that throws answers 500 with the error as
 * the body, as a web framework would, so the failure is reported like any other app error.
 */
export function handlerTransport(handler: WebhookHandler): Transport {
  return {
    async send(req, signal): Promise<TransportResponse> {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
      const q = req.url.indexOf('?');
      const query = q === -1 ? '' : req.url.slice(q + 1).replace(/#.*$/s, '');
      const params = req.method === 'POST' ? parseForm(req.body ?? '') : parseForm(query);

      let result: HandlerResult;
      try {
        result = await untilAborted(Promise.resolve().then(() => handler({ url: req.url, method: req.method, params, headers, signal })), signal);
      } catch (err) {
        if (signal.aborted) throw err;
        const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
        return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `the handler threw: ${text}` };
      }

      const r = typeof result === 'string' ? { body: result } : result;
      const body = r.body ?? '';
      const size = Buffer.byteLength(body, 'utf8');
      if (size > req.maxBytes) {
        throw new DidmlError('DIDML_WEBHOOK_TOO_LARGE', `the response is larger than the ${req.maxBytes}-byte limit: the handler returned ${size} bytes`);
      }
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) outHeaders[k.toLowerCase()] = v;
      if (r.contentType !== undefined) outHeaders['content-type'] = r.contentType;
      else outHeaders['content-type'] ??= 'text/xml; charset=utf-8';
      const setCookie = outHeaders['set-cookie'];
      return { status: r.status ?? 200, headers: outHeaders, ...(setCookie ? { setCookie: [setCookie] } : {}), body: req.discardBody ? '' : body };
    },
  };
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}
