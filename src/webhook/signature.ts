// X-Twilio-Signature: how Twilio signs a webhook request, so an app's own validator (twilio-node's
// `validateRequest`, `twilio.webhook()`, twilio-python's `RequestValidator`) accepts what didml
// sends. Reference: twilio/twilio-node src/webhooks/webhooks.ts (`getExpectedTwilioSignature`,
// `validateRequest`); https://www.twilio.com/docs/usage/webhooks/webhooks-security
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token that signs requests when none is configured. Twilio always sends X-Twilio-Signature,
 * and some apps refuse a request without it (older twilio-node answers 400 even with validation
 * off), so didml signs every request; this token is public, for development only.
 */
export const DEVELOPMENT_AUTH_TOKEN = 'didml-development-auth-token';

/** Where the signing token came from, said where a call or a runtime starts. */
export function describeSigningToken(source: 'option' | 'env' | 'config' | 'development'): string {
  const FROM = {
    option: 'the auth token given with --auth-token',
    env: 'the auth token in $DIDML_AUTH_TOKEN',
    config: "the configured auth token (--auth-token, $DIDML_AUTH_TOKEN or the config's authToken)",
    development: `the development auth token "${DEVELOPMENT_AUTH_TOKEN}" (give --auth-token or $DIDML_AUTH_TOKEN to sign with your own)`,
  } as const;
  return `webhooks are signed (X-Twilio-Signature) with ${FROM[source]}`;
}

/** Form parameters as signed: a repeated key carries every value it was sent with. */
export type SignedParams = Readonly<Record<string, string | readonly string[]>>;

/**
 * The string Twilio feeds to HMAC-SHA1: the full URL (query string included), then each POST
 * parameter as `key + value`, keys sorted by UTF-16 code unit (JS `sort()`, as twilio-node does),
 * a repeated key's values de-duplicated and sorted. For GET the parameters are in the URL and
 * `params` is empty.
 */
export function signingPayload(url: string, params: SignedParams): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (typeof value === 'string') data += key + value;
    else for (const v of [...new Set(value)].sort()) data += key + v;
  }
  return data;
}

/** The X-Twilio-Signature header value: base64(HMAC-SHA1(authToken, payload)), both UTF-8. */
export function signRequest(authToken: string, url: string, params: SignedParams = {}): string {
  return createHmac('sha1', authToken).update(signingPayload(url, params), 'utf8').digest('base64');
}

/**
 * Checks a signature the way twilio-node's `validateRequest` does: against the URL as given, and
 * with its port removed and with the scheme's default port added, because Twilio's own signing
 * is inconsistent about ports. Constant-time comparison.
 */
export function validateSignature(authToken: string, signature: string, url: string, params: SignedParams = {}): boolean {
  const given = Buffer.from(signature, 'utf8');
  return urlSpellings(url).some((candidate) => {
    const expected = Buffer.from(signRequest(authToken, candidate, params), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The URL as given, without its port, and with the default port (`:443` https, `:80` otherwise). */
function urlSpellings(url: string): string[] {
  // Split without normalising (no `new URL()`): the path and query must keep the exact bytes signed.
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!m) return [url];
  const [, scheme = '', authority = '', rest = ''] = m;
  const at = authority.lastIndexOf('@');
  const userInfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  // In an IPv6 literal the port colon comes after the closing bracket.
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1);
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const withoutPort = scheme + userInfo + host + rest;
  const defaultPort = scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  const withPort = colon === -1 ? scheme + userInfo + host + defaultPort + rest : url;
  return [...new Set([url, withoutPort, withPort])];
}
