// A Dial target turned into the INVITE that goes out: Request-URI, outbound proxy, credentials,
// headers, From. Where it goes:
// - <Sip>: the URI as written. Its `;transport=` stays in the Request-URI (drachtio-server picks
//   the transport from it); a Vida-style `;proxyAddress=host[:port]` leaves the URI and becomes
//   the outbound proxy (reference §5; the Vida seed's route strings). <Sip username password>
//   answer a digest challenge; a URI on a trunk's domain uses the trunk's credentials and proxy.
// - `pbx:NAME` / `ext:NAME` (the Vida seed): NAME at the PBX the registration is with, through
//   its proxy or registrar, with its credentials.
// - any other number: through `numbers.trunk` or `numbers.route`.
// - <Client>: there is no registrar of clients here; the attempt fails with a reason.
import type { DialTarget } from '../adapter.js';
import { isSipUriError, parseSipUri } from '../../sip/uri.js';
import { parseRoute, routeUri, type Route, type Transport } from '../../sip/route.js';
import { parsePbxTarget, type PbxTarget } from '../../sip/pbx.js';
import { pbxTrunkOf, type DrachtioConfig, type TrunkConfig } from './config.js';
import type { UacOptions } from './srf.js';

export interface OutboundInvite {
  uri: string;
  /** `sip:host:port;transport=tcp`, for drachtio's outbound proxy. */
  proxy?: string;
  auth?: { username: string; password: string };
  headers: Record<string, string>;
  /** The domain the From header names (a trunk's); otherwise drachtio-server puts its own address. */
  fromDomain?: string;
  trunk?: string;
}

export type Resolved = OutboundInvite | { error: string };

export function isResolveError(r: Resolved): r is { error: string } {
  return 'error' in r;
}

/** `sip:host:port;transport=x` for drachtio-srf's `proxy` option. */
export function proxyUri(host: string, port: number, transport: Transport): string {
  return `sip:${host}:${port}${transport === 'udp' ? '' : `;transport=${transport}`}`;
}

/** The route a trunk's requests take: its domain with its port and transport, through its proxy. */
export function trunkRoute(t: TrunkConfig, via: 'proxy' | 'registrar' = 'proxy'): Route {
  const port = t.port ?? (t.transport === 'tls' ? 5061 : 5060);
  const hop = via === 'registrar' ? (t.registrar ?? t.proxy) : (t.proxy ?? t.registrar);
  const proxy = hop !== undefined ? parseRoute(`${hop};transport=${t.transport}`) : undefined;
  return { host: t.domain, port, transport: t.transport, ...(proxy ? { proxy: { host: proxy.host, port: proxy.port } } : {}) };
}

function credentials(t: TrunkConfig): { username: string; password: string } | undefined {
  return t.username !== undefined ? { username: t.username, password: t.password ?? '' } : undefined;
}

function viaTrunk(user: string, t: TrunkConfig, headers: Record<string, string>): OutboundInvite {
  const route = trunkRoute(t);
  const auth = credentials(t);
  return {
    uri: routeUri(user, route),
    ...(route.proxy ? { proxy: proxyUri(route.proxy.host, route.proxy.port, route.transport) } : {}),
    ...(auth ? { auth } : {}),
    headers,
    fromDomain: t.domain,
    trunk: t.name,
  };
}

function viaRoute(user: string, text: string, headers: Record<string, string>): OutboundInvite {
  const route = parseRoute(text);
  return { uri: routeUri(user, route), ...(route.proxy ? { proxy: proxyUri(route.proxy.host, route.proxy.port, route.transport) } : {}), headers };
}

/** The trunk a pbx:/ext: target goes through, or why there is none. */
function pbxTrunk(t: PbxTarget, config: DrachtioConfig): TrunkConfig | { error: string } {
  return pbxTrunkOf(config) ?? { error: `${t.prefix}:${t.name}: ${t.prefix}: targets go through a PBX registration; add a trunk with "register": true (or set drachtio.pbxTrunk)` };
}

/** `pbx:101` as the SIP URI it names at the PBX (a REFER's Refer-To): sip:101@pbx.example.com:5060;transport=tcp. */
export function pbxReferTarget(text: string, config: DrachtioConfig): string | { error: string } | undefined {
  const t = parsePbxTarget(text);
  if (!t) return undefined;
  const trunk = pbxTrunk(t, config);
  if ('error' in trunk) return trunk;
  return routeUri(t.name, trunkRoute(trunk));
}

/** Where `target` goes; a target that cannot be dialled comes back as `{error}` saying why. */
export function resolveTarget(target: DialTarget, config: DrachtioConfig): Resolved {
  try {
    return resolve(target, config);
  } catch (e) {
    return { error: `${target.kind === 'sip' ? target.uri : target.kind === 'number' ? target.number : target.identity}: ${(e as Error).message}` };
  }
}

function resolve(target: DialTarget, config: DrachtioConfig): Resolved {
  const trunks = config.trunks ?? [];
  if (target.kind === 'client') return { error: `<Client>${target.identity}</Client>: the drachtio backend has no registrar of clients to ring` };
  const pbx = parsePbxTarget(target.kind === 'number' ? target.number : target.uri);
  if (pbx) {
    const t = pbxTrunk(pbx, config);
    return 'error' in t ? t : viaTrunk(pbx.name, t, target.kind === 'sip' ? { ...target.headers } : {});
  }
  if (target.kind === 'number') {
    const n = config.numbers;
    if (n?.trunk !== undefined) {
      const t = trunks.find((x) => x.name === n.trunk);
      if (t) return viaTrunk(target.number, t, {});
    }
    if (n?.route !== undefined) return viaRoute(target.number, n.route, {});
    return { error: `${target.number}: no route for phone numbers; set drachtio.numbers to a trunk or a route string` };
  }
  const parsed = parseSipUri(target.uri);
  if (isSipUriError(parsed)) return { error: `${target.uri}: ${parsed.error}` };
  const headers = { ...target.headers };
  let uri = parsed.uri.replace(/;proxyAddress=[^;?]*/i, '');
  const transport: Transport = target.transport ?? (['udp', 'tcp', 'tls'].includes(parsed.params['transport'] ?? '') ? (parsed.params['transport'] as Transport) : 'udp');
  let proxy: string | undefined;
  const proxyText = target.proxy ?? parsed.params['proxyaddress'];
  if (proxyText) {
    const hop = parseRoute(`${proxyText};transport=${transport}`);
    proxy = proxyUri(hop.host, hop.port, transport);
  }
  const trunk = trunks.find((t) => t.domain.toLowerCase() === parsed.host.toLowerCase());
  if (trunk && !proxy) {
    const route = trunkRoute(trunk);
    if (route.proxy) proxy = proxyUri(route.proxy.host, route.proxy.port, route.transport);
    if (!parsed.params['transport'] && trunk.transport !== 'udp') uri += `;transport=${trunk.transport}`;
  }
  const auth = target.auth ?? (trunk ? credentials(trunk) : undefined);
  return { uri, ...(proxy ? { proxy } : {}), ...(auth ? { auth } : {}), headers, ...(trunk ? { fromDomain: trunk.domain, trunk: trunk.name } : {}) };
}

/** A caller ID as a SIP URI's user part: what RFC 3261 §25.1 does not allow there is %-escaped. */
function userPart(callerId: string): string {
  return callerId.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => encodeURIComponent(c));
}

/**
 * The To of an INVITE to `uri`: the URI in angle brackets without what RFC 3261 §19.1.1 does not
 * allow in To (port, transport, maddr, ttl, lr, method). Left to itself drachtio-server copies the
 * bare Request-URI, so `sips:+1…@host:5061;transport=tls` became a To whose `;transport=tls` is a
 * header parameter outside the URI.
 */
export function toHeaderOf(uri: string): string {
  const m = /^(sips?):(?:([^@]*)@)?(\[[^\]]+\]|[^:;?]+)(?::\d+)?([^?]*)/i.exec(uri);
  if (!m) return `<${uri}>`;
  const params = (m[4] ?? '').split(';').filter((p) => p !== '' && !/^(transport|maddr|ttl|lr|method)(=|$)/i.test(p));
  return `<${m[1]}:${m[2] !== undefined ? `${m[2]}@` : ''}${m[3]}${params.map((p) => `;${p}`).join('')}>`;
}

/**
 * drachtio-srf's createUAC options for an INVITE to `out`: the target's headers, its proxy and
 * credentials, To from the Request-URI (toHeaderOf) unless the target gives one, and From with
 * the caller ID: a SIP URI as it is; a number (or `client:` identity) on the trunk's domain when
 * the target has one, else on drachtio-server's own address. With
 * drachtio.sessionTimer a session timer is offered (RFC 4028 §7.1; drachtio-server refreshes it
 * or ends the dialog).
 */
export function inviteOptions(out: OutboundInvite, o: { callerId: string; localSdp: string; config: DrachtioConfig; socket: unknown }): UacOptions {
  const headers: Record<string, string> = { ...out.headers };
  const uri = /^sips?:[^\s<>"]+$/i.test(o.callerId) ? o.callerId : undefined;
  const user = userPart(o.callerId.replace(/^client:/, ''));
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'to')) headers['To'] = toHeaderOf(out.uri);
  if (uri) headers['From'] = `<${uri}>`;
  else if (out.fromDomain) headers['From'] = `<sip:${user}@${out.fromDomain}>`;
  if (o.config.sessionTimer) {
    headers['Session-Expires'] = `${o.config.sessionTimer};refresher=uac`;
    headers['Supported'] = 'timer';
  }
  return {
    headers,
    localSdp: o.localSdp,
    ...(out.proxy ? { proxy: out.proxy } : {}),
    ...(out.auth ? { auth: out.auth } : {}),
    ...(uri || out.fromDomain ? {} : { callingNumber: user }),
    _socket: o.socket,
  };
}
