// An INVITE arriving from drachtio-server, checked and turned into an InboundCall:
// - SIP IP access list: an address not on it gets 403 Forbidden (the Vida seed: "Make sure all IPs
//   sending SIP INVITEs are included in the access list").
// - requireE164From: a From user part that is not E.164 gets 404 Not Found (the Vida seed: "The SIP
//   From header must contain a valid E.164 phone number. Using any other format will result in a
//   SIP 404 error").
// - Every header of the INVITE reaches the app with its name as received (Twilio: SipHeader_X-…
//   for X- headers; the PolyAI seed's sip_headers), and the caller, callee, display name and the
//   address the INVITE came from (SipSourceIp).
import { isE164 } from '../../sip/e164.js';
import { plainAddress, type AccessList } from '../../sip/acl.js';
import { isSipUriError, parseSipUri } from '../../sip/uri.js';
import type { SrfRequest } from './srf.js';

export interface NameAddr {
  displayName?: string;
  uri: string;
}

/** `"Alice" <sip:+1415@host>;tag=x` or `sip:+1415@host;tag=x` → display name and URI (RFC 3261 §20.20). */
export function parseNameAddr(value: string): NameAddr {
  const v = value.trim();
  const angle = /^(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>/.exec(v);
  if (angle) {
    const name = (angle[1] ?? angle[2] ?? '').replace(/\\(.)/g, '$1').trim();
    return { ...(name ? { displayName: name } : {}), uri: angle[3]!.trim() };
  }
  return { uri: v.split(';')[0]!.trim() };
}

/** The user part of a SIP URI, or the URI itself when it has none. */
export function userOf(uri: string): string {
  const u = parseSipUri(uri);
  if (isSipUriError(u)) return uri;
  if (u.user === undefined) return uri;
  const user = u.user.split(';')[0]!;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

/** The headers of a SIP message with their names as written (folded lines joined; repeats joined with ", "). */
export function headersAsReceived(raw: string | undefined, fallback: Record<string, string>): Record<string, string> {
  if (!raw) return { ...fallback };
  const end = raw.search(/\r?\n\r?\n/);
  const lines = (end >= 0 ? raw.slice(0, end) : raw).split(/\r?\n/).slice(1);
  const out: Record<string, string> = {};
  let lastName: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && lastName) {
      out[lastName] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    const existing = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase());
    if (existing) out[existing] += `, ${value}`;
    else out[name] = value;
    lastName = existing ?? name;
  }
  return out;
}

export type Admission = { ok: true } | { ok: false; status: 403 | 404; reason: string };

/** Whether the INVITE may become a call, and the response code when not. */
export function admit(req: SrfRequest, options: { acl?: AccessList; requireE164From: boolean }): Admission {
  const source = plainAddress(req.source_address ?? '');
  if (options.acl && !options.acl.allows(source)) return { ok: false, status: 403, reason: `INVITE from ${source || 'an unknown address'}, which is not on drachtio.accessList` };
  if (options.requireE164From) {
    const from = userOf(parseNameAddr(req.get('From') ?? '').uri);
    if (!isE164(from)) return { ok: false, status: 404, reason: `From "${from}" is not an E.164 number (drachtio.requireE164From)` };
  }
  return { ok: true };
}

/** What an InboundCall says about the INVITE (everything but its leg). */
export function describeInvite(req: SrfRequest): { from: string; to: string; fromUri: string; toUri: string; callerName?: string; headers: Record<string, string>; sourceIp: string } {
  const from = parseNameAddr(req.get('From') ?? '');
  return {
    from: userOf(from.uri),
    to: userOf(req.uri),
    fromUri: from.uri,
    toUri: req.uri,
    ...(from.displayName ? { callerName: from.displayName } : {}),
    headers: headersAsReceived(req.raw, req.headers),
    sourceIp: plainAddress(req.source_address ?? ''),
  };
}
