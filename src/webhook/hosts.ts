// Which hosts the runtime may request. Documents name URLs (action, <Redirect>, waitUrl,
// statusCallback, recordingStatusCallback, Postcall) and an app's HTTP redirects name more: without
// a rule, a document could make the runtime fetch from inside its own network, above all a cloud
// metadata service (http://169.254.169.254/, https://owasp.org/www-community/attacks/Server_Side_Request_Forgery).
//
// - Built in, always: link-local addresses (169.254.0.0/16, fe80::/10: RFC 3927, RFC 4291 §2.5.6)
//   and the cloud metadata addresses outside them (AWS's IPv6 fd00:ec2::254, Alibaba's
//   100.100.100.200). Only an address or range in `allow` that covers the address lifts this.
// - `deny`: more host names (`*.internal`), addresses or CIDR ranges, never requested.
// - `allow`: when given, every host must match one of its entries (or be `trusted`: the hosts of
//   the URLs the operator configured). Private ranges (10/8, 192.168/16, loopback) are not denied
//   by default: apps often live there.
// A host name is checked by name before the request, then, once resolved, by the addresses it
// resolves to, before connecting (`guardedLookup`), so a name that points at 169.254.169.254 is
// refused too. Play and Stream URLs are fetched by the media server, not by this runtime.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DidmlError } from '../errors.js';

export interface HostPolicyOptions {
  /** When given, a host must match one: host names (`*.example.com`, `*`), addresses, CIDR ranges. */
  allow?: readonly string[];
  /** Never requested, beside the built-in rules: host names with `*`, addresses, CIDR ranges. */
  deny?: readonly string[];
  /** Host names or addresses allowed by name: the hosts of URLs the operator configured. */
  trusted?: readonly string[];
}

export interface HostPolicy {
  /** Checks a URL before it is requested: a host name by name, an address literal fully. */
  checkUrl(url: string): DidmlError | undefined;
  /** Checks an address that `hostname` resolved to, before connecting to it. */
  checkAddress(hostname: string, address: string): DidmlError | undefined;
}

const NETWORK_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/** Denied unless an `allow` address or range covers them. */
export const BUILT_IN_DENY: readonly string[] = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254', '100.100.100.200'];

type Rule = { text: string; kind: 'name'; match: (host: string) => boolean } | { text: string; kind: 'ip'; list: BlockList };

const bare = (host: string): string => host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

/** One entry of allowHosts/denyHosts; throws DIDML_CONFIG when it is neither a host pattern, an address nor a range. */
function rule(text: string, where: string): Rule {
  const entry = text.trim().toLowerCase();
  const slash = entry.indexOf('/');
  const ip = bare(slash === -1 ? entry : entry.slice(0, slash));
  const family = isIP(ip);
  if (family) {
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const prefix = slash === -1 ? (family === 4 ? 32 : 128) : Number(entry.slice(slash + 1));
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128) || (slash !== -1 && !/^\d+$/.test(entry.slice(slash + 1)))) {
      throw new DidmlError('DIDML_CONFIG', `${where}: "${text}" has an invalid prefix length (0 to ${family === 4 ? 32 : 128})`);
    }
    const list = new BlockList();
    list.addSubnet(ip, prefix, type);
    return { text, kind: 'ip', list };
  }
  if (slash !== -1 || !/^(\*|(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/.test(bare(entry))) {
    throw new DidmlError('DIDML_CONFIG', `${where}: "${text}" is not a host name (with an optional leading "*."), an IP address or a CIDR range`);
  }
  const name = bare(entry);
  if (name === '*') return { text, kind: 'name', match: () => true };
  if (name.startsWith('*.')) {
    const suffix = name.slice(1);
    return { text, kind: 'name', match: (h) => h.endsWith(suffix) && h.length > suffix.length };
  }
  return { text, kind: 'name', match: (h) => h === name };
}

const ipMatch = (r: Rule, address: string): boolean => {
  if (r.kind !== 'ip') return false;
  const family = isIP(address);
  return family !== 0 && r.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

export function hostPolicy(options: HostPolicyOptions = {}): HostPolicy {
  const allow = (options.allow ?? []).map((t) => rule(t, 'webhook.allowHosts'));
  const deny = (options.deny ?? []).map((t) => rule(t, 'webhook.denyHosts'));
  const builtIn = BUILT_IN_DENY.map((t) => rule(t, 'built-in'));
  const trusted = new Set((options.trusted ?? []).map(bare));
  const restricted = allow.length > 0;
  const allowsAddresses = allow.some((r) => r.kind === 'ip');
  const listed = () => allow.map((r) => r.text).join(', ');

  // The client puts the method and URL in front of the message.
  const refuse = (why: string) => new DidmlError('DIDML_URL_FORBIDDEN', why);
  const byName = (host: string) => trusted.has(host) || allow.some((r) => r.kind === 'name' && r.match(host));

  // The policy never changes, and an app is asked for many times from few addresses: remember
  // each verdict (a BlockList check builds a SocketAddress per rule, per request).
  const verdicts = new Map<string, DidmlError | undefined>();
  function check(host: string, address: string): DidmlError | undefined {
    const key = `${host} ${address}`;
    if (verdicts.has(key)) return verdicts.get(key);
    const verdict = judge(host, address);
    if (verdicts.size >= 1024) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(key, verdict);
    return verdict;
  }

  /** The whole check for a host (by name) and an address it is or resolved to. */
  function judge(host: string, address: string): DidmlError | undefined {
    const at = host === address ? address : `${host} resolves to ${address}, which`;
    const denied = deny.find((r) => ipMatch(r, address));
    if (denied) return refuse(`${at} matches webhook.denyHosts entry "${denied.text}"`);
    const internal = builtIn.find((r) => ipMatch(r, address));
    if (internal && !allow.some((r) => ipMatch(r, address))) {
      return refuse(
        `${at} is a link-local or cloud metadata address (built-in rule ${internal.text}), which the runtime never requests unless webhook.allowHosts lists the address or its range`,
      );
    }
    if (restricted && !byName(host) && !allow.some((r) => ipMatch(r, address))) {
      return refuse(`${host === address ? address : `${host} (${address})`} is not in webhook.allowHosts (${listed()})`);
    }
    return undefined;
  }

  return {
    checkUrl(raw) {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return undefined; // not a URL: the client reports that itself
      }
      // The network schemes: webhooks, and the websockets of streams didml opens itself.
      if (!NETWORK_SCHEMES.has(u.protocol)) return undefined;
      const host = bare(u.hostname);
      const name = deny.find((r) => r.kind === 'name' && r.match(host));
      if (name) return refuse(`${host} matches webhook.denyHosts entry "${name.text}"`);
      if (isIP(host)) return check(host, host);
      // A name is judged again by its addresses when it resolves; refuse now what no address can save.
      if (restricted && !allowsAddresses && !byName(host)) return refuse(`${host} is not in webhook.allowHosts (${listed()})`);
      return undefined;
    },
    checkAddress(hostname, address) {
      const host = bare(hostname);
      return check(host, address);
    },
  };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect (undici's connector passes it on) that refuses, after resolution,
 * every address the policy denies: a refused name fails the connection with DIDML_URL_FORBIDDEN.
 * With several addresses (`all`, as Happy Eyeballs asks), one denied address refuses them all.
 */
export function guardedLookup(policy: HostPolicy, lookup: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    lookup(hostname, { ...options, all: true }, ((err: NodeJS.ErrnoException | null, addresses: LookupAddress[] | string, family?: number) => {
      if (err) return callback(err, options.all ? [] : '', 0);
      const list: LookupAddress[] = typeof addresses === 'string' ? [{ address: addresses, family: family ?? isIP(addresses) }] : addresses;
      for (const a of list) {
        const refused = policy.checkAddress(hostname, a.address);
        // A copy: the socket layer decorates the error it is given, and verdicts are shared.
        if (refused) return callback(new DidmlError(refused.code, refused.message) as unknown as NodeJS.ErrnoException, options.all ? [] : '', 0);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    }) as never);
  }) as LookupFunction;
}
