// SIP text for the stand-in drachtio-server: parse what the app sent, complete it the way a SIP
// stack would (Via, tags, Call-ID, CSeq, Contact, Content-Length), and build what the network
// sends. Just enough RFC 3261 §7 for tests to assert on real message text.
import { createHash, randomBytes } from 'node:crypto';

export interface SipMessage {
  /** `INVITE sip:x@y SIP/2.0` or `SIP/2.0 200 OK`. */
  startLine: string;
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  /** In order, names as written. */
  headers: [string, string][];
  body: string;
}

const COMPACT: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported' };
const canon = (name: string) => COMPACT[name.toLowerCase()] ?? name.toLowerCase();

export function parseSip(text: string): SipMessage {
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split + 4) : '';
  const [startLine = '', ...lines] = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length) {
      headers[headers.length - 1]![1] += ' ' + line.trim();
      continue;
    }
    const c = line.indexOf(':');
    if (c > 0) headers.push([line.slice(0, c).trim(), line.slice(c + 1).trim()]);
  }
  const res = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(startLine);
  if (res) return { startLine, status: Number(res[1]), reason: res[2] ?? '', headers, body };
  const req = /^(\S+)\s+(\S+)\s+SIP\/2\.0$/.exec(startLine);
  return { startLine, ...(req ? { method: req[1]!, uri: req[2]! } : {}), headers, body };
}

export function header(m: SipMessage, name: string): string | undefined {
  const n = canon(name);
  return m.headers.find(([k]) => canon(k) === n)?.[1];
}

export function has(m: SipMessage, name: string): boolean {
  return header(m, name) !== undefined;
}

export function setHeader(m: SipMessage, name: string, value: string): void {
  const n = canon(name);
  const i = m.headers.findIndex(([k]) => canon(k) === n);
  if (i >= 0) m.headers[i] = [m.headers[i]![0], value];
  else m.headers.push([name, value]);
}

export function removeHeader(m: SipMessage, name: string): void {
  const n = canon(name);
  m.headers = m.headers.filter(([k]) => canon(k) !== n);
}

export function serialize(m: SipMessage): string {
  removeHeader(m, 'Content-Length');
  m.headers.push(['Content-Length', String(Buffer.byteLength(m.body, 'utf8'))]);
  return [m.startLine, ...m.headers.map(([k, v]) => `${k}: ${v}`), '', m.body].join('\r\n');
}

export const token = (n = 8) => randomBytes(n).toString('hex');

/** The tag parameter of a From/To value. */
export function tagOf(value: string | undefined): string | undefined {
  return /;\s*tag=([^;\s>]+)/i.exec(value ?? '')?.[1];
}

/** The URI inside <...>, or the value up to its parameters. */
export function uriOf(value: string | undefined): string {
  const v = value ?? '';
  const m = /<([^>]*)>/.exec(v);
  return m ? m[1]! : v.split(';')[0]!.trim();
}

export function cseqOf(m: SipMessage): { seq: number; method: string } {
  const [seq = '0', method = ''] = (header(m, 'CSeq') ?? '').split(/\s+/);
  return { seq: Number(seq), method };
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

export function reasonOf(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

/** A response to `req` (its Via, From, To, Call-ID, CSeq), To tag added when given. */
export function responseTo(req: SipMessage, status: number, opts: { toTag?: string; headers?: Record<string, string>; body?: string } = {}): SipMessage {
  const m: SipMessage = { startLine: `SIP/2.0 ${status} ${reasonOf(status)}`, status, reason: reasonOf(status), headers: [], body: opts.body ?? '' };
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    for (const [k, v] of req.headers) if (canon(k) === canon(name)) m.headers.push([name, v]);
  }
  if (opts.toTag && !tagOf(header(m, 'To'))) setHeader(m, 'To', `${header(m, 'To')};tag=${opts.toTag}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) setHeader(m, k, v);
  if (m.body && !has(m, 'Content-Type')) setHeader(m, 'Content-Type', 'application/sdp');
  return m;
}

export function sdp(ip: string, port: number, id = Date.now()): string {
  return [
    'v=0',
    `o=- ${id} ${id} IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Parses `Digest username="x",realm="y",...` (RFC 2617 §3.2.2). */
export function digestParams(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const v = (value ?? '').replace(/^\s*digest\s+/i, '');
  for (const m of v.matchAll(/([a-zA-Z0-9]+)=(?:"([^"]*)"|([^,\s]*))/g)) out[m[1]!] = m[2] ?? m[3] ?? '';
  return out;
}

/** Whether an Authorization value is right for `method`, the credentials and the nonce (RFC 2617, no qop). */
export function digestValid(authorization: string | undefined, method: string, creds: { username: string; password: string; realm: string; nonce: string }): boolean {
  const p = digestParams(authorization);
  if (p['username'] !== creds.username || p['realm'] !== creds.realm || p['nonce'] !== creds.nonce) return false;
  const ha1 = md5(`${creds.username}:${creds.realm}:${creds.password}`);
  const ha2 = md5(`${method}:${p['uri']}`);
  return p['response'] === md5(`${ha1}:${creds.nonce}:${ha2}`);
}
