// Who may use the control server (`http.authToken`): a request proves it knows the token with
//   Authorization: Bearer <token>                       (curl -H, any HTTP client), or
//   X-Twilio-Signature over the URL with ?bodySHA256=…  (Twilio's scheme for JSON bodies: the
//     signature covers the full URL, the query carries the hex SHA-256 of the raw body;
//     https://www.twilio.com/docs/usage/webhooks/webhooks-security#validating-signatures-from-twilio)
// Comparisons are constant-time. Without credentials the answer is 401, with wrong ones 403.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { validateSignature } from '../webhook/signature.js';

export type ControlAuth = { ok: true } | { ok: false; status: 401 | 403; error: string };

const HOW = 'send Authorization: Bearer <http.authToken>, or X-Twilio-Signature over the URL with ?bodySHA256=<hex SHA-256 of the body>';

/** Constant-time: equal-length digests, whatever was sent. */
export const sameSecret = (a: string, b: string): boolean => {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y); // equal lengths by construction: no length leak
};

/** Checks a control request against `token`; `body` is the raw body as received. */
export function checkControlAuth(token: string, req: IncomingMessage, body: Buffer): ControlAuth {
  const authorization = req.headers.authorization;
  const signature = req.headers['x-twilio-signature'];
  if (authorization === undefined && signature === undefined) {
    return { ok: false, status: 401, error: `this control server needs credentials: ${HOW}` };
  }
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (m && sameSecret(m[1]!, token)) return { ok: true };
    return { ok: false, status: 403, error: m ? 'the bearer token is not the one configured (http.authToken)' : `Authorization must be "Bearer <token>"; ${HOW}` };
  }
  const sig = Array.isArray(signature) ? signature[0]! : signature!;
  const target = req.url ?? '/';
  const claimed = new URL(target, 'http://control').searchParams.get('bodySHA256');
  if (claimed === null) return { ok: false, status: 403, error: `X-Twilio-Signature needs ?bodySHA256=<hex SHA-256 of the body> in the URL; ${HOW}` };
  const host = req.headers.host ?? '';
  // The scheme the client saw: plain here, https behind a TLS proxy; the HMAC decides either way.
  const signed = ['http', 'https'].some((scheme) => validateSignature(token, sig, `${scheme}://${host}${target}`));
  if (!signed) return { ok: false, status: 403, error: 'X-Twilio-Signature does not match this URL and http.authToken' };
  if (!sameSecret(createHash('sha256').update(body).digest('hex'), claimed.toLowerCase())) {
    return { ok: false, status: 403, error: 'bodySHA256 does not match the body' };
  }
  return { ok: true };
}
