// HTTP redirects while fetching a webhook. Twilio "will only follow redirects for status codes
// 301, 302, 303, and 307" and reports a 3xx without a usable Location as error 11216
// (https://www.twilio.com/docs/api/errors/11216); too many in a row is 11215.
import { DidmlError } from '../errors.js';
import type { HttpMethod } from './types.js';

export const FOLLOWED_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307]);

export interface Hop {
  url: string;
  method: HttpMethod;
  /** Form parameters still to send: kept by a 307, dropped when the method becomes GET. */
  params: Record<string, string>;
}

/**
 * The request that a redirect asks for next, or why it cannot be followed.
 * - Location may be relative: it resolves against the URL that answered (RFC 9110 §10.2.2).
 * - 303 turns any method into GET (RFC 9110 §15.4.4); 301 and 302 turn POST into GET as every
 *   browser does (RFC 9110 §15.4.2, §15.4.3 note); 307 repeats the method and body (§15.4.8).
 * - A redirect never leaves its kind of transport: an http(s) app cannot send the runtime to a
 *   `file:` URL (which would read local files), nor a folder app to the network.
 */
export function nextHop(from: Hop, status: number, location: string | undefined): Hop | DidmlError {
  if (!FOLLOWED_STATUSES.has(status) || !location) {
    const why = location ? `status ${status} is not a redirect Twilio follows (only 301, 302, 303, 307)` : `a ${status} answer has no Location header`;
    return new DidmlError('DIDML_WEBHOOK_STATUS', `the app answered ${status} and it cannot be followed: ${why}`);
  }
  let target: URL;
  try {
    target = new URL(location, from.url);
  } catch {
    return new DidmlError('DIDML_WEBHOOK_STATUS', `the app answered ${status} with Location "${location}", which is not a URL`);
  }
  target.hash = ''; // a fragment is never sent; the first URL's overrides stay in force
  const family = (p: string) => (p === 'http:' || p === 'https:' ? 'http' : p);
  const fromProtocol = new URL(from.url).protocol;
  if (family(fromProtocol) !== family(target.protocol)) {
    return new DidmlError('DIDML_URL_FORBIDDEN', `the app redirected from a ${fromProtocol} URL to ${target.href}; a redirect may not change to a ${target.protocol} URL`);
  }
  const toGet = status === 303 || ((status === 301 || status === 302) && from.method === 'POST');
  return toGet ? { url: target.href, method: 'GET', params: {} } : { url: target.href, method: from.method, params: from.method === 'POST' ? from.params : {} };
}
