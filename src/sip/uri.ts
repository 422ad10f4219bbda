// SIP URIs as written in <Sip>: `sip:user:password@host:port;uri-params?header=value&header=value`.
// https://www.rfc-editor.org/rfc/rfc3261#section-19.1.1 (components) and §25.1 (ABNF).
// Lenient where Twilio is: the scheme may be missing (`kate@example.com`), whitespace around
// the URI is trimmed. Parsing never throws: a problem comes back as `error` with a position.

export interface SipHeader {
  /** As written (`X-Customer-Id`). */
  name: string;
  /** %-decoded. */
  value: string;
}

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** The scheme was missing and assumed. */
  schemeMissing: boolean;
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Record<string, string>;
  headers: SipHeader[];
  /** The URI without its header part (what goes in a Request-URI). */
  uri: string;
}

export interface SipUriError {
  error: string;
  /** Offset within the (trimmed) text where the problem is. */
  at: number;
}

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved )
const USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const HOSTNAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6_REF = /^\[[0-9A-Fa-f:.]+\]$/;
// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
export const SIP_TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

export function isSipUriError(x: SipUri | SipUriError): x is SipUriError {
  return 'error' in x;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseSipUri(input: string): SipUri | SipUriError {
  const text = input.trim();
  if (!text) return { error: 'the SIP URI is empty', at: 0 };
  let rest = text;
  let offset = 0;
  let scheme: 'sip' | 'sips' = 'sip';
  let schemeMissing = false;
  const schemeMatch = /^(sips?):/i.exec(rest);
  if (schemeMatch) {
    scheme = schemeMatch[1]!.toLowerCase() as 'sip' | 'sips';
    rest = rest.slice(schemeMatch[0].length);
    offset = schemeMatch[0].length;
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)/.test(rest) && !rest.includes('@')) {
    return { error: `"${rest.split(':')[0]}:" is not a SIP scheme; use sip: or sips:`, at: 0 };
  } else {
    schemeMissing = true;
  }

  let headerPart = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    headerPart = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }

  let user: string | undefined;
  let password: string | undefined;
  const atSign = rest.lastIndexOf('@');
  if (atSign >= 0) {
    const userinfo = rest.slice(0, atSign);
    const colon = userinfo.indexOf(':');
    user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (colon >= 0) password = userinfo.slice(colon + 1);
    if (!user || !USER.test(user)) return { error: `the user part "${user}" is not valid in a SIP URI (escape it with %XX)`, at: offset };
    if (password !== undefined && !PASSWORD.test(password)) return { error: 'the password part is not valid in a SIP URI', at: offset + colon + 1 };
    offset += atSign + 1;
    rest = rest.slice(atSign + 1);
  }

  const semi = rest.indexOf(';');
  const hostport = semi >= 0 ? rest.slice(0, semi) : rest;
  const paramPart = semi >= 0 ? rest.slice(semi + 1) : '';
  let host = hostport;
  let port: number | undefined;
  const portMatch = /^(.*):(\d*)$/.exec(hostport);
  if (portMatch && !hostport.endsWith(']')) {
    host = portMatch[1]!;
    const p = Number(portMatch[2]);
    if (!portMatch[2] || !Number.isInteger(p) || p < 1 || p > 65535) {
      return { error: `port "${portMatch[2]}" must be a number from 1 to 65535`, at: offset + host.length + 1 };
    }
    port = p;
  }
  if (!host) return { error: 'the SIP URI has no host', at: offset };
  if (!(HOSTNAME.test(host) || IPV4.test(host) || IPV6_REF.test(host))) {
    return { error: `"${host}" is not a valid host name or IP address`, at: offset };
  }

  const params: Record<string, string> = {};
  if (paramPart) {
    for (const p of paramPart.split(';')) {
      if (!p) continue;
      const eq = p.indexOf('=');
      const name = (eq >= 0 ? p.slice(0, eq) : p).toLowerCase();
      if (!SIP_TOKEN.test(name)) return { error: `";${p}" is not a valid URI parameter`, at: offset + hostport.length };
      params[name] = eq >= 0 ? decode(p.slice(eq + 1)) : '';
    }
  }

  const headers: SipHeader[] = [];
  if (headerPart) {
    for (const h of headerPart.split('&')) {
      if (!h) continue;
      const eq = h.indexOf('=');
      const name = decode(eq >= 0 ? h.slice(0, eq) : h);
      headers.push({ name, value: eq >= 0 ? decode(h.slice(eq + 1)) : '' });
    }
  }

  const uri = `${scheme}:${user !== undefined ? `${user}${password !== undefined ? `:${password}` : ''}@` : ''}${host}${
    port !== undefined ? `:${port}` : ''
  }${paramPart ? `;${paramPart}` : ''}`;
  return {
    scheme,
    schemeMissing,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    host,
    ...(port !== undefined ? { port } : {}),
    params,
    headers,
    uri,
  };
}

/** The header part of the URI as written, for length limits (Twilio: under 1024 characters). */
export function headerPartOf(input: string): string {
  const q = input.indexOf('?');
  return q >= 0 ? input.trim().slice(input.trim().indexOf('?') + 1) : '';
}

/**
 * Schemes of URIs that are not SIP and are written where a SIP URI goes. `mailto:bob@host`
 * reads, by RFC 3261's grammar alone, as user "mailto" with password "bob", so the known
 * schemes are named here; any other `word:` before an @ stays a schemeless user:password.
 */
const NOT_SIP = new Set(['tel', 'mailto', 'http', 'https', 'ws', 'wss', 'sms', 'fax', 'urn', 'xmpp', 'im', 'pres', 'h323', 'client', 'callto', 'skype', 'data', 'file', 'ftp']);

/** The scheme of a URI that is not SIP (`tel`, `mailto`…), when the value is one. */
export function otherScheme(value: string): string | undefined {
  const scheme = /^\s*([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  return scheme && NOT_SIP.has(scheme) ? scheme : undefined;
}
