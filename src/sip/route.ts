// Outbound route strings, as the Vida seed writes them:
//   {host}[:{port}][;transport={udp|tcp|tls}][;proxyAddress={host}[:{port}]]
// "SIP Port (Optional) ... Defaults to 5060", "Transport ... Defaults to udp", proxy "default
// port is 5060". TLS defaults to 5061 (Twilio <Sip> doc: "the default port will be 5061").

export type Transport = 'udp' | 'tcp' | 'tls';

export interface Route {
  host: string;
  port: number;
  transport: Transport;
  proxy?: { host: string; port: number };
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

function hostPort(text: string, defaultPort: number, what: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!m || !HOST.test(m[1]!)) throw new RouteError(`${what} "${text}" is not host[:port]`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RouteError(`${what} port "${m[2]}" must be 1 to 65535`);
  return { host: m[1]!, port };
}

export class RouteError extends Error {
  override name = 'RouteError';
}

/** Parses a route string; throws a RouteError that says what is wrong. */
export function parseRoute(text: string): Route {
  const [target = '', ...params] = text.trim().split(';');
  let transport: Transport = 'udp';
  let proxyText: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (/^transport$/i.test(name)) {
      const t = value.toLowerCase();
      if (t !== 'udp' && t !== 'tcp' && t !== 'tls') throw new RouteError(`transport "${value}" must be udp, tcp or tls`);
      transport = t;
    } else if (/^proxyAddress$/i.test(name)) {
      proxyText = value;
    } else if (name) {
      throw new RouteError(`unknown route parameter "${name}" (known: transport, proxyAddress)`);
    }
  }
  const { host, port } = hostPort(target, transport === 'tls' ? 5061 : 5060, 'route');
  return {
    host,
    port,
    transport,
    ...(proxyText !== undefined ? { proxy: hostPort(proxyText, 5060, 'proxyAddress') } : {}),
  };
}

/** The Request-URI for a user at a route: `sip:user@host:port;transport=tcp`. */
export function routeUri(user: string, route: Route): string {
  const scheme = route.transport === 'tls' ? 'sips' : 'sip';
  const transport = route.transport === 'udp' ? '' : `;transport=${route.transport}`;
  return `${scheme}:${user}@${route.host}:${route.port}${transport}`;
}
