// REGISTER to a trunk or PBX (the Vida and SigmaMind seeds), kept alive by didml: drachtio-server
// sends what it is asked to and refreshes nothing itself.
// - RFC 3261 §10.2: Request-URI is the domain, To and From the address of record, one Call-ID for
//   every refresh with CSeq going up (§10.2.4), Contact where calls for it should come (the
//   drachtio-server's SIP address), Expires what we ask for.
// - A 401/407 is answered by drachtio-srf (its `auth` option) with the trunk's credentials.
// - Refreshed when half of what the registrar granted (Contact expires or Expires) has run out;
//   a failure (an error response, no response, no connection) is retried with doubling back-off
//   between `retryMs` and `retryMaxMs`.
// - Renewed at once, whatever its state, each time the connection to drachtio-server is made
//   (again): a drachtio-server that restarted has lost its TCP/TLS connection to the registrar, so
//   the binding there points at a connection that no longer exists until a new REGISTER makes one.
//   drachtio-server tells the app nothing when one of its SIP connections closes, so a connection
//   lost while drachtio-server keeps running is made again only at the next refresh.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { TrunkConfig } from './config.js';
import type { Srf, SrfResponse } from './srf.js';
import { proxyUri, trunkRoute } from './targets.js';

export interface RegistrationTiming {
  /** First retry after a failure (doubles each time). */
  retryMs: number;
  retryMaxMs: number;
  /**
   * How long to wait for a final response before counting the attempt as failed: a safety net
   * past sofia-sip's own 408 at 64*T1 (32 s), which says more (a TLS connection refused shows so).
   */
  responseTimeoutMs: number;
}

export const DEFAULT_REGISTRATION_TIMING: RegistrationTiming = { retryMs: 2000, retryMaxMs: 300_000, responseTimeoutMs: 40_000 };

export interface RegistrationStatus {
  trunk: string;
  state: 'registering' | 'registered' | 'failed' | 'stopped';
  /** Seconds the registrar granted, when registered. */
  expires?: number;
  lastSipResponseCode?: number;
  /** Failures since the last success. */
  failures: number;
  error?: string;
}

export interface RegistrationDeps {
  trunk: TrunkConfig;
  clock: Clock;
  log: Logger;
  /** The drachtio connection, or undefined while there is none. */
  srf(): Srf | undefined;
  /** drachtio-server's SIP address for a transport (`198.51.100.1:5060`), from its `connect` event. */
  contactHost(transport: string): string | undefined;
  timing: RegistrationTiming;
  /** Why the trunk's certificate is not to be trusted (tls-check.ts), or undefined; none for a trunk not checked. */
  certificateProblem?: () => Promise<string | undefined>;
}

/** Seconds granted: the expires parameter of our Contact in the 200, else its Expires header (§10.2.4). */
export function grantedExpires(res: SrfResponse, asked: number): number {
  const contact = res.get('Contact') ?? '';
  const p = /;\s*expires\s*=\s*(\d+)/i.exec(contact);
  if (p) return Number(p[1]);
  const e = Number(res.get('Expires'));
  return Number.isFinite(e) && e >= 0 && res.has('Expires') ? e : asked;
}

export class Registration {
  readonly #d: RegistrationDeps;
  readonly #callId = `${randomUUID()}@didml`;
  #cseq = 1;
  #timer: (() => void) | undefined;
  #status: RegistrationStatus;
  #inFlight = false;
  /** Numbers each attempt: one superseded by renew() (its connection gone) is ignored when it ends. */
  #attempt = 0;
  #stopped = false;

  constructor(deps: RegistrationDeps) {
    this.#d = deps;
    this.#status = { trunk: deps.trunk.name, state: 'registering', failures: 0 };
  }

  get status(): RegistrationStatus {
    return { ...this.#status };
  }

  /**
   * The connection to drachtio-server was made (the first time or again): REGISTER now, even when
   * registered, and drop an attempt in flight: it went out on the connection that was lost and
   * its answer will not come.
   */
  renew(): void {
    if (this.#stopped) return;
    this.#timer?.();
    this.#timer = undefined;
    this.#inFlight = false;
    void this.#register();
  }

  /** Stops refreshing and unregisters (Expires: 0), waiting at most `timeoutMs` for the answer. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.#stopped = true;
    this.#timer?.();
    const was = this.#status.state;
    this.#status = { ...this.#status, state: 'stopped' };
    if (was !== 'registered') return;
    await Promise.race([this.#send(0).catch(() => undefined), new Promise((r) => this.#d.clock.timer(timeoutMs, () => r(undefined)))]);
  }

  async #register(): Promise<void> {
    if (this.#stopped || this.#inFlight) return;
    this.#inFlight = true;
    const attempt = ++this.#attempt;
    const current = () => attempt === this.#attempt && !this.#stopped;
    this.#status = { ...this.#status, state: this.#status.state === 'registered' ? 'registered' : 'registering' };
    const t = this.#d.trunk;
    try {
      const res = await this.#send(t.expires);
      if (!current()) return;
      if (res.status >= 200 && res.status < 300) {
        const granted = grantedExpires(res, t.expires);
        this.#status = { trunk: t.name, state: 'registered', expires: granted, lastSipResponseCode: res.status, failures: 0 };
        this.#d.log.info('registered', { trunk: t.name, expires: granted });
        this.#schedule(Math.max(1000, (granted * 1000) / 2));
      } else {
        // sofia-sip answers 408 itself when a TLS connection fails (drachtio-server's certificate check among the causes).
        const why = t.transport === 'tls' && res.status === 408 ? ' (over TLS drachtio-server answers 408 itself when the TLS connection could not be made: the far end unreachable, or its certificate refused by drachtio-server; its log says which)' : '';
        this.#failed(`the registrar answered ${res.status} ${res.reason ?? ''}`.trim() + why, res.status);
      }
    } catch (e) {
      if (current()) this.#failed((e as Error).message);
    } finally {
      if (attempt === this.#attempt) this.#inFlight = false;
    }
  }

  #failed(error: string, code?: number): void {
    const failures = this.#status.failures + 1;
    const { retryMs, retryMaxMs } = this.#d.timing;
    const delay = Math.min(retryMaxMs, retryMs * 2 ** Math.min(failures - 1, 30));
    this.#status = { trunk: this.#d.trunk.name, state: 'failed', failures, error, ...(code !== undefined ? { lastSipResponseCode: code } : {}) };
    this.#d.log.warn('registration failed; retrying', { trunk: this.#d.trunk.name, error, retryInMs: delay });
    this.#schedule(delay);
  }

  #schedule(ms: number): void {
    this.#timer?.();
    this.#timer = this.#d.clock.timer(ms, () => {
      this.#timer = undefined;
      void this.#register();
    });
  }

  /** One REGISTER (with its digest retry); resolves with the final response. */
  async #send(expires: number): Promise<SrfResponse> {
    const srf = this.#d.srf();
    if (!srf) throw new Error('no connection to drachtio-server');
    const t = this.#d.trunk;
    // Not for the unregister at shutdown: a trunk that registered was checked.
    const problem = expires > 0 ? await this.#d.certificateProblem?.() : undefined;
    if (problem) throw new Error(problem);
    const route = trunkRoute(t, 'registrar');
    const host = this.#d.contactHost(t.transport);
    if (!host) throw new Error(`drachtio-server has no ${t.transport} SIP address to put in Contact`);
    const aor = `sip:${t.username}@${t.domain}`;
    const transportParam = t.transport === 'udp' ? '' : `;transport=${t.transport}`;
    const hop = route.proxy ?? { host: route.host, port: route.port };
    return new Promise<SrfResponse>((resolve, reject) => {
      const cancel = this.#d.clock.timer(this.#d.timing.responseTimeoutMs, () => reject(new Error(`no final response to REGISTER in ${this.#d.timing.responseTimeoutMs} ms`)));
      const fail = (e: unknown) => {
        cancel();
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      try {
        srf.request(
          `sip:${t.domain}`,
          {
            method: 'REGISTER',
            headers: {
              From: `<${aor}>`,
              To: `<${aor}>`,
              'call-id': this.#callId, // the key drachtio-srf's digest retry writes too: one header, not two
              CSeq: `${this.#cseq++} REGISTER`,
              Contact: `<sip:${t.username}@${host}${transportParam}>`,
              Expires: String(expires),
            },
            proxy: proxyUri(hop.host, hop.port, t.transport),
            ...(t.username !== undefined ? { auth: { username: t.username, password: t.password ?? '' } } : {}),
          },
          (err, req) => {
            if (err) return fail(err);
            // Listening in the same turn: the response may be next in the same read.
            req.on('response', (res: SrfResponse) => {
              if (res.status < 200) return;
              // The digest retry goes up by one (drachtio-srf's DigestClient); the next REGISTER follows it.
              const seq = Number((res.get('CSeq') ?? '').split(/\s+/)[0]);
              if (Number.isInteger(seq) && seq >= this.#cseq) this.#cseq = seq + 1;
              cancel();
              resolve(res);
            });
          },
        );
      } catch (e) {
        // drachtio-srf throws when it has no connection to send on.
        fail(e);
      }
    });
  }
}
