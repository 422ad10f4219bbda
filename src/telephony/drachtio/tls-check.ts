// didml's own check of a TLS trunk's certificate, before the trunk is used (REGISTER, INVITE).
// drachtio-server verifies the far end only when started with DRACHTIO_TLS_VERIFY_CLIENT_CERT=1,
// a process-wide switch the app cannot set or read over the drachtio protocol, and then checks
// the chain and the dates only, not the name (sofia-sip's TPTLS_VERIFY_ALL without the subject
// bits). So didml opens a TLS connection of its own to the trunk's next hop and checks what Node
// checks: the chain to a trusted CA (the trunk's `tls.ca`, else Node's bundled Mozilla roots),
// the dates, and that the certificate names the host (or `tls.servername`). Not checked:
// revocation (no CRL or OCSP), and that drachtio-server's own connection reaches the same server;
// that second part is drachtio-server's verification, which the README turns on too.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import type { Clock } from '../../clock.js';
import type { TrunkConfig } from './config.js';
import { trunkRoute } from './targets.js';

export interface TrunkTls {
  /** didml checks the far end's certificate before using the trunk (default true). */
  verify?: boolean;
  /** PEM file of the CA certificate(s) the far end's certificate must chain to. */
  ca?: string;
  /** The name the certificate must carry (default: the host didml connects to). */
  servername?: string;
}

/** Whether didml checks this trunk's certificate: every TLS trunk unless `tls.verify` is false. */
export function verifies(t: TrunkConfig): boolean {
  return t.transport === 'tls' && t.tls?.verify !== false;
}

/** The CA file's certificates, or why it cannot be used (for the configuration check). */
export function readCa(path: string): Buffer | { error: string } {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (e) {
    return { error: `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  return pem.includes('-----BEGIN CERTIFICATE-----') ? pem : { error: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` };
}

// Node's verify error codes, by what they mean for the user.
const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_REJECTED']);
const OUT_OF_DATE = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

export interface CertificateCheckOptions {
  clock: Clock;
  /** How long one check may take (connect and handshake). */
  timeoutMs?: number;
  /** How long a good result stands before the next use checks again. */
  ttlMs?: number;
}

/** The adapter's checks of its TLS trunks' certificates; a good result is kept for `ttlMs`. */
export class TrunkCertificates {
  readonly #trunks: TrunkConfig[];
  readonly #o: Required<CertificateCheckOptions>;
  readonly #ca = new Map<string, Buffer>();
  readonly #good = new Map<string, number>();

  constructor(trunks: TrunkConfig[], o: CertificateCheckOptions) {
    this.#trunks = trunks;
    this.#o = { timeoutMs: 10_000, ttlMs: 600_000, ...o };
    for (const t of trunks) {
      if (!verifies(t) || !t.tls?.ca) continue;
      const ca = readCa(t.tls.ca);
      // checkDrachtioConfig has read it already; a file gone since is the check's failure, below.
      if (!('error' in ca)) this.#ca.set(t.name, ca);
    }
  }

  /** Forgets the good results: the next use checks again (after the connection to drachtio-server came back). */
  forget(): void {
    this.#good.clear();
  }

  /** Why the trunk's next hop (`via` the registrar or the proxy) is not to be trusted, or undefined when it is (or is not checked). */
  async problem(t: TrunkConfig, via: 'proxy' | 'registrar'): Promise<string | undefined> {
    if (!verifies(t)) return undefined;
    const route = trunkRoute(t, via);
    const hop = route.proxy ?? { host: route.host, port: route.port };
    const name = t.tls?.servername ?? hop.host;
    const key = `${t.name}|${hop.host}|${hop.port}|${name}`;
    const checked = this.#good.get(key);
    if (checked !== undefined && this.#o.clock.now() - checked < this.#o.ttlMs) return undefined;
    const where = `${hop.host}:${hop.port}`;
    const index = this.#trunks.indexOf(t);
    const at = `drachtio.trunks[${index}].tls`;
    const ca = this.#ca.get(t.name);
    if (t.tls?.ca && !ca) {
      const read = readCa(t.tls.ca);
      return `TLS trunk "${t.name}": ${at}.ca ${'error' in read ? read.error : 'could not be read'}`;
    }
    const problem = await this.#check(hop.host, hop.port, name, ca);
    if (problem === undefined) {
      this.#good.set(key, this.#o.clock.now());
      return undefined;
    }
    const trusted = ca ? `the CA(s) in ${t.tls!.ca}` : "Node's bundled root CAs";
    const text =
      problem.kind === 'untrusted'
        ? `the certificate of ${where} is not trusted: it does not chain to ${trusted} (${problem.detail}); put the CA that issued it in ${at}.ca`
        : problem.kind === 'date'
          ? `the certificate of ${where} is out of date (${problem.detail})`
          : problem.kind === 'name'
            ? `the certificate of ${where} is not for ${name} (${problem.detail}); if the carrier says its certificate carries another name, give that name in ${at}.servername`
            : `didml could not check the certificate of ${where} (${problem.detail}): it connects there itself to check, and does not use a trunk it could not check (${at}.verify false turns the check off)`;
    return `TLS trunk "${t.name}": ${text}`;
  }

  #check(host: string, port: number, name: string, ca: Buffer | undefined): Promise<{ kind: 'untrusted' | 'date' | 'name' | 'unreachable'; detail: string } | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: { kind: 'untrusted' | 'date' | 'name' | 'unreachable'; detail: string } | undefined) => {
        if (done) return;
        done = true;
        cancel();
        socket.destroy();
        resolve(r);
      };
      const socket = connect({
        host,
        port,
        // SNI takes a host name only (RFC 6066 §3); an address is checked against the certificate's IP entries.
        ...(isIP(name) ? {} : { servername: name }),
        ...(ca ? { ca } : {}),
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
      });
      const cancel = this.#o.clock.timer(this.#o.timeoutMs, () => finish({ kind: 'unreachable', detail: `no TLS handshake within ${this.#o.timeoutMs} ms` }));
      socket.once('secureConnect', () => finish(undefined));
      socket.once('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        const detail = `${code ? `${code}: ` : ''}${e.message}`;
        if (UNTRUSTED.has(code)) finish({ kind: 'untrusted', detail });
        else if (OUT_OF_DATE.has(code)) finish({ kind: 'date', detail });
        else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') finish({ kind: 'name', detail });
        else finish({ kind: 'unreachable', detail });
      });
    });
  }
}
