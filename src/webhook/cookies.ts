// Cookies for the requests of one call. Apps keep state across a call's documents the way web
// apps do, with a session cookie (Flask's `session`, express-session), and Twilio keeps the
// cookies an app sets for the duration of the call. A jar lives as long as its call.
//
// RFC 6265, simplified to what an app's own cookies need: host-only or Domain cookies (§5.1.3
// domain-match), Path (§5.1.4 default-path and path-match), Max-Age and Expires (deletion
// included), Secure. Not kept: SameSite, HttpOnly (no scripts here), public-suffix checks.

interface Cookie {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  /** ms since the epoch; Infinity for a session cookie (the call is the session). */
  expires: number;
}

/** Most cookies a call keeps (browsers keep at least 50 per domain, RFC 6265 §6.1). */
const MAX_COOKIES = 50;

function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function domainMatch(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^[\d.]+$/.test(host));
}

function pathMatch(requestPath: string, cookiePath: string): boolean {
  return (
    requestPath === cookiePath ||
    (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'))
  );
}

export class CookieJar {
  #cookies: Cookie[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get size(): number {
    return this.#cookies.length;
  }

  /** Keeps what one response's Set-Cookie headers say (RFC 6265 §5.2, §5.3). */
  store(url: string, setCookies: readonly string[]): void {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return;
    }
    const host = u.hostname.toLowerCase();
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue; // no name: ignored (§5.2 step 5)
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        domain: host,
        hostOnly: true,
        path: defaultPath(u),
        secure: false,
        expires: Infinity,
      };
      let maxAge: number | undefined;
      for (const attr of attrs) {
        const i = attr.indexOf('=');
        const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
        const value = i < 0 ? '' : attr.slice(i + 1).trim();
        if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
        else if (key === 'expires' && !Number.isNaN(Date.parse(value))) cookie.expires = Date.parse(value);
        else if (key === 'domain' && value) {
          const domain = value.replace(/^\./, '').toLowerCase();
          if (!domainMatch(host, domain)) cookie.domain = ''; // for another site: refused (§5.3 step 6)
          else [cookie.domain, cookie.hostOnly] = [domain, false];
        } else if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'secure') cookie.secure = true;
      }
      if (!cookie.domain) continue;
      if (maxAge !== undefined) cookie.expires = maxAge <= 0 ? 0 : this.#now() + maxAge * 1000; // Max-Age wins (§5.3 step 3)
      this.#cookies = this.#cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path));
      if (cookie.expires > this.#now()) this.#cookies.push(cookie);
      if (this.#cookies.length > MAX_COOKIES) this.#cookies.shift();
    }
  }

  /** The Cookie header for a request to `url`, or undefined when no cookie applies (§5.4). */
  header(url: string): string | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    const host = u.hostname.toLowerCase();
    const now = this.#now();
    this.#cookies = this.#cookies.filter((c) => c.expires > now);
    const matching = this.#cookies
      .filter((c) => (c.hostOnly ? host === c.domain : domainMatch(host, c.domain)))
      .filter((c) => pathMatch(u.pathname || '/', c.path))
      .filter((c) => !c.secure || u.protocol === 'https:')
      // Longer paths first (§5.4 step 2).
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}
