// The URL a webhook request is sent to and signed for.
//
// X-Twilio-Signature is computed over "the full URL ... of your application, as specified in the
// webhook configuration" and an app's validator rebuilds that URL from what it received:
// `protocol://` + Host header + the raw request target (twilio-node `validateIncomingRequest`).
// So didml signs exactly what the app will rebuild: the scheme and host as the Host header
// carries them (lower case, default port dropped, credentials removed), then the path and query
// as the user wrote them. The path and query are not re-serialised through WHATWG URL, which
// would percent-encode characters such as `'` in the query: twilio-node's fallback for a query
// containing `?` re-encodes the query with legacy `querystring`, which leaves `'` alone, and a
// `%27` that the user never wrote would make that fallback fail. Only characters that may not
// appear in a request target at all (RFC 3986 §3.3, §3.4: spaces, non-ASCII, ...) are encoded.
import { DidmlError } from '../errors.js';

export interface RequestTarget {
  /** What is requested and signed. */
  url: string;
  /** `Basic …` when the URL carried credentials (https://user:pass@host/), as Twilio supports. */
  authorization?: string;
}

// Characters allowed in a path or query (RFC 3986 pchar, "/" and "?"), plus "%" of an escape.
const UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})/gu;

/** The URL to request and sign for `raw` (fragment already stripped), or why it cannot be used. */
export function requestTarget(raw: string): RequestTarget | DidmlError {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return new DidmlError('DIDML_WEBHOOK_URL', 'not an absolute URL');
  }
  let authorization: string | undefined;
  if (u.username || u.password) {
    // The credentials are not part of what the app can rebuild, so not of what is signed [inference].
    authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    u.username = '';
    u.password = '';
    return { url: u.href, ...(authorization && { authorization }) };
  }
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
  let rest = authority ? raw.slice(authority[0].length) : u.pathname + u.search;
  if (!rest.startsWith('/')) rest = `/${rest}`; // `http://h` and `http://h?q` request `/`
  rest = rest.replace(UNSAFE, percentEncode);
  return { url: `${u.protocol}//${u.host}${rest}`, ...(authorization && { authorization }) };
}

/** UTF-8 percent-encoding of one character (a lone surrogate becomes U+FFFD's bytes, as Buffer writes it). */
function percentEncode(c: string): string {
  let out = '';
  for (const b of Buffer.from(c, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
