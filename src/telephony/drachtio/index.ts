// The drachtio backend: real SIP through drachtio-server (drachtio-srf), media through FreeSWITCH
// (drachtio-fsmrf) when one is configured.
//
//   const adapter = createDrachtioAdapter({ config: { inbound: { host, port, secret }, ... } });
//   await adapter.listen((call) => runCall(call, ...));     // connects, registers, takes INVITEs
//
// Both of drachtio's connection modes: `inbound` (didml connects to drachtio-server and
// reconnects with back-off when the connection drops; calls in progress on a lost connection end
// with a reason) and `outbound` (didml listens, drachtio-servers connect per call: how calls are
// spread over many didml instances). https://drachtio.org/docs#outbound-connections
import type { AddressInfo, Server, Socket } from 'node:net';
import { realClock, type Clock } from '../../clock.js';
import { DidmlError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { randomIds } from '../../ids.js';
import { accessList } from '../../sip/acl.js';
import type { InboundCall, TelephonyAdapter } from '../adapter.js';
import type { HostPolicy } from '../../webhook/hosts.js';
import { checkDrachtioConfig, type DrachtioConfig } from './config.js';
import { admit, describeInvite } from './inbound.js';
import { DrachtioInboundLeg } from './inbound-leg.js';
import type { DrachtioCallLeg, LegDeps } from './leg.js';
import type { MediaServerLink } from './media.js';
import type { ForkListener } from './fork-listener.js';
import { hostAddress } from './call-rtp.js';
import { originate, type Placing } from './originate.js';
import { DEFAULT_REGISTRATION_TIMING, Registration, type RegistrationStatus, type RegistrationTiming } from './registrar.js';
import { loadSrf, type Srf, type SrfRequest, type SrfResponse } from './srf.js';
import { TrunkCertificates, verifies } from './tls-check.js';

export { DrachtioCallLeg } from './leg.js';
export { DrachtioInboundLeg } from './inbound-leg.js';
export { DrachtioPlacedLeg } from './placed-leg.js';
export type { AsrConfig, DrachtioConfig, TrunkConfig, MediaServerConfig } from './config.js';
export { checkDrachtioConfig, withDefaults } from './config.js';
export type { MediaEndpoint, MediaServerLink, SpeechListener } from './media.js';
export type { RegistrationStatus, RegistrationTiming } from './registrar.js';
export type { TrunkTls } from './tls-check.js';

export interface DrachtioAdapterOptions {
  config: DrachtioConfig;
  clock?: Clock;
  log?: Logger;
  /** The media server link; default: drachtio-fsmrf on config.mediaServer. */
  media?: (srf: Srf) => Promise<MediaServerLink>;
  registrationTiming?: Partial<RegistrationTiming>;
  /** Inbound mode: how long listen() waits for the first connection before going on and retrying in the background. */
  connectTimeoutMs?: number;
  /** Ids of recordings (RecordingSid, file names). */
  newRecordingSid?: () => string;
  /** Outbound mode: how long after a call ends its connection is closed (in-flight BYEs finish first). */
  endSessionDelayMs?: number;
  /** Which hosts a <Connect><Stream> websocket may reach (didml opens it); the built-in rules by default. */
  hosts?: HostPolicy;
  /** How long didml's check of a TLS trunk's certificate may take (default 10 s). */
  certificateCheckTimeoutMs?: number;
}

export interface DrachtioAdapter extends TelephonyAdapter {
  readonly name: 'drachtio';
  /** Connected to (inbound) or listening for (outbound) drachtio-server. */
  readonly connected: boolean;
  /** Outbound mode: the port didml listens on. */
  readonly port: number | undefined;
  /** Calls in progress, by SIP Call-ID. */
  readonly calls: ReadonlyMap<string, DrachtioCallLeg>;
  registrations(): RegistrationStatus[];
}

/** `udp/198.51.100.1:5060,tcp/198.51.100.1:5060` → address for a transport. */
function hostFor(hostports: string, transport: string): string | undefined {
  const entries = hostports
    .split(',')
    .map((e) => /^(\w+)\/(.+)$/.exec(e.trim()))
    .filter((m): m is RegExpExecArray => m !== null);
  return (entries.find((m) => m[1]!.toLowerCase() === transport) ?? entries[0])?.[2];
}

/** drachtio-srf reconnects forever; on close that must stop (its retry timer included). */
function stopReconnecting(srf: Srf): void {
  const wp = (srf as unknown as { _app?: { client?: { wp?: { closing?: boolean; reconnectVars?: { retryTimer?: ReturnType<typeof setTimeout> | null } } } } })._app?.client?.wp;
  if (!wp) return;
  wp.closing = true;
  if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
}

export function createDrachtioAdapter(options: DrachtioAdapterOptions): DrachtioAdapter {
  const config = options.config;
  checkDrachtioConfig(config, 'drachtio adapter');
  const clock = options.clock ?? realClock;
  const log = options.log ?? silentLogger;
  const acl = config.accessList ? accessList(config.accessList) : undefined;
  const legs = new Map<string, DrachtioCallLeg>();
  const timing = { ...DEFAULT_REGISTRATION_TIMING, ...options.registrationTiming };
  const newRecordingSid = options.newRecordingSid ?? (() => randomIds('RE'));
  const trunks = config.trunks ?? [];
  const certificates = new TrunkCertificates(trunks, { clock, ...(options.certificateCheckTimeoutMs ? { timeoutMs: options.certificateCheckTimeoutMs } : {}) });
  for (const t of trunks) {
    if (t.transport === 'tls' && !verifies(t)) log.warn("TLS trunk: didml does not check the far end's certificate (tls.verify is false)", { trunk: t.name });
  }
  /** Why the named trunk is not to be used for an INVITE now (its certificate), or undefined. */
  const trunkProblem = async (name: string): Promise<string | undefined> => {
    const t = trunks.find((x) => x.name === name);
    return t ? certificates.problem(t, 'proxy') : undefined;
  };
  let srf: Srf | undefined;
  let server: Server | undefined;
  let hostports = '';
  let connected = false;
  let closing = false;
  let media: MediaServerLink | undefined;
  let mediaRetry: (() => void) | undefined;
  const registrations: Registration[] = [];
  const sockets = new Set<Socket>();
  /** Calls being placed that have not been answered yet. */
  const placing = new Set<Placing>();

  function connectMedia(s: Srf, attempt = 0): void {
    if (!config.mediaServer || closing) return;
    const tts = { engine: config.tts?.engine ?? 'flite', voice: config.tts?.voice ?? 'kal', ...(config.tts?.voices ? { voices: config.tts.voices } : {}) };
    const make = options.media ?? (async (x: Srf) => (await import('./fsmrf.js')).connectFsmrf(x, config.mediaServer!, { tts, ...(config.asr ? { asr: config.asr } : {}) }));
    make(s).then(
      (link) => {
        if (closing) return void link.close();
        media = link;
        log.info('media server connected', { address: config.mediaServer!.address, port: config.mediaServer!.port });
      },
      (e: unknown) => {
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
        log.error('media server not reachable; media verbs fail until it is', { address: config.mediaServer!.address, port: config.mediaServer!.port, error: (e as Error).message, retryInMs: delay });
        mediaRetry = clock.timer(delay, () => connectMedia(s, attempt + 1));
      },
    );
  }

  /** didml's listener for mod_audio_fork's connections: opened on the first <Start><Stream>, tried again after a failure. */
  let forkListener: Promise<ForkListener> | undefined;
  function forks(): Promise<ForkListener> {
    if (closing) return Promise.reject(new Error('the drachtio adapter is closing'));
    const ms = config.mediaServer;
    const address = ms?.streamAddress ?? ms?.listenAddress ?? hostAddress();
    const opening = (forkListener ??= import('./fork-listener.js').then((m) => m.ForkListener.open(address, ms?.streamPort ?? 0)));
    opening.then(
      () => log.debug("didml's stream listener is up", { address }),
      () => {
        if (forkListener === opening) forkListener = undefined;
      },
    );
    return opening;
  }

  /** What every call leg gets of the adapter; onEnd takes it out of the calls. */
  function legDeps(s: Srf): LegDeps {
    return {
      srf: s,
      config,
      clock,
      log,
      media: () => media,
      newRecordingSid,
      forks,
      ...(options.hosts ? { hosts: options.hosts } : {}),
      trunkProblem,
      onEnd: (l) => legs.delete(l.callId),
    };
  }

  function onInvite(req: SrfRequest, res: SrfResponse, onCall: (call: InboundCall) => void): void {
    if (closing) return res.send(503);
    const verdict = admit(req, { ...(acl ? { acl } : {}), requireE164From: config.requireE164From });
    if (!verdict.ok) {
      log.info('INVITE refused', { status: verdict.status, reason: verdict.reason, callId: req.get('Call-ID') });
      return res.send(verdict.status);
    }
    const leg = new DrachtioInboundLeg({
      ...legDeps(srf!),
      req,
      res,
      onEnd: (l) => {
        legs.delete(l.callId);
        // Outbound mode: the connection was this call's; close it once in-flight requests are done.
        if (config.outbound && srf) {
          const s = srf;
          clock.timer(options.endSessionDelayMs ?? 1000, () => {
            try {
              s.endSession(req as unknown as { socket?: unknown });
            } catch {
              /* already closed */
            }
          });
        }
      },
    });
    legs.set(leg.callId, leg);
    // Twilio answers a SIP call 180 while it fetches the document (reference §1.1).
    res.send(180);
    onCall({ callId: leg.callId, ...describeInvite(req), leg });
  }

  return {
    name: 'drachtio',
    clock,
    calls: legs,
    // No answering machine detector in this backend (FreeSWITCH has none built in).
    capabilities: { machineDetection: false },

    async originate(o) {
      if (closing) throw new DidmlError('DIDML_TELEPHONY', 'placing a call: the drachtio adapter is closing');
      if (!srf) throw new DidmlError('DIDML_TELEPHONY', 'placing a call: the drachtio adapter is not listening yet (listen() first)');
      // An outbound-mode connection is drachtio-server's for one call it routed to didml; a placed call has none.
      if (config.outbound) {
        throw new DidmlError('DIDML_TELEPHONY', 'placing a call needs a standing connection to drachtio-server: configure drachtio.inbound {host, port, secret} (with drachtio.outbound, drachtio-servers connect only for the calls they route to didml)');
      }
      if (!connected) {
        const { host, port } = config.inbound!;
        throw new DidmlError('DIDML_TELEPHONY', `placing a call: not connected to drachtio-server at ${host}:${port} (drachtio.inbound); it is being retried: try again once it is back`);
      }
      return originate(
        {
          leg: legDeps(srf),
          track: (p) => (placing.add(p), () => placing.delete(p)),
          admit: (leg) => legs.set(leg.callId, leg),
        },
        o,
      );
    },
    get connected() {
      return connected;
    },
    get port() {
      return server ? (server.address() as AddressInfo | null)?.port : undefined;
    },
    registrations: () => registrations.map((r) => r.status),

    async listen(onCall) {
      if (srf) throw new DidmlError('DIDML_TELEPHONY', 'the drachtio adapter is already listening');
      const Srf = loadSrf();
      const s = new Srf();
      srf = s;
      s.invite((req, res) => onInvite(req, res, onCall));
      // An unhandled 'error' would throw: connection errors are expected and retried.
      s.on('error', (err: Error) => log.warn('drachtio connection error', { error: err.message }));
      s.on('reconnecting', (r: { delay: number; attempt: number }) => log.debug('reconnecting to drachtio-server', r));
      s.on('close', (socket: unknown) => {
        const lost = [...legs.values()].filter((l) => !config.outbound || l.socket === socket);
        if (config.inbound) {
          connected = false;
          if (!closing) log.warn('connection to drachtio-server lost; reconnecting', { callsDropped: lost.length });
        }
        for (const l of lost) l.drop('the connection to drachtio-server was lost');
        if (config.inbound) for (const p of [...placing]) p.stop('the connection to drachtio-server was lost');
      });
      for (const trunk of (config.trunks ?? []).filter((t) => t.register)) {
        registrations.push(
          new Registration({
            trunk,
            clock,
            log,
            timing,
            srf: () => (connected ? s : undefined),
            contactHost: (tr) => hostFor(hostports, tr),
            certificateProblem: () => certificates.problem(trunk, 'registrar'),
          }),
        );
      }
      if (config.inbound) {
        const { host, port, secret } = config.inbound;
        await new Promise<void>((resolve, reject) => {
          let first = true;
          const cancel = clock.timer(options.connectTimeoutMs ?? 5000, () => {
            if (!first) return;
            first = false;
            log.warn('drachtio-server not reachable yet; still trying', { host, port });
            resolve();
          });
          s.on('connect', (err: Error | null, hp: string) => {
            if (err) {
              log.error('drachtio-server refused the connection', { host, port, error: err.message });
              if (first) {
                first = false;
                cancel();
                stopReconnecting(s);
                reject(new DidmlError('DIDML_TELEPHONY', `drachtio-server at ${host}:${port} refused the connection (${err.message}): check drachtio.inbound.secret`));
              }
              return;
            }
            connected = true;
            hostports = hp;
            log.info('connected to drachtio-server', { host, port, sip: hp });
            if (first) {
              first = false;
              cancel();
              resolve();
            }
            certificates.forget();
            // Again after a reconnect: the registrar's binding may point at a connection that is gone.
            if (registrations.length > 0) log.info('registering every trunk on the new connection', { trunks: registrations.map((r) => r.status.trunk) });
            for (const r of registrations) r.renew();
          });
          s.connect({ host, port, secret });
        });
      } else {
        const { host, port, secret } = config.outbound!;
        s.on('connect', (err: Error | null, hp: string) => {
          if (err) log.warn('a drachtio-server connected with the wrong secret', { error: err.message });
          else hostports = hp;
        });
        server = s.listen({ host, port, secret });
        server.on('connection', (socket: Socket) => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
        });
        await new Promise<void>((resolve, reject) => {
          server!.once('listening', () => resolve());
          server!.once('error', (e) => reject(new DidmlError('DIDML_TELEPHONY', `cannot listen for drachtio-server on ${host}:${port}: ${e.message}`)));
        });
        connected = true;
        log.info('listening for drachtio-server connections', { host, port: (server.address() as AddressInfo).port });
      }
      connectMedia(s);
    },

    async close() {
      if (closing) return;
      closing = true;
      mediaRetry?.();
      for (const p of [...placing]) p.stop('the drachtio adapter closed');
      await Promise.all(registrations.map((r) => r.stop()));
      const bounded = (p: Promise<unknown>) => Promise.race([p, new Promise((r) => clock.timer(2000, () => r(undefined)))]);
      await bounded(Promise.all([...legs.values()].map((l) => l.hangup('the drachtio adapter is closing'))));
      for (const l of [...legs.values()]) l.drop('the drachtio adapter closed');
      await media?.close().catch(() => undefined);
      await forkListener?.then((l) => l.close()).catch(() => undefined);
      const s = srf;
      if (!s) return;
      stopReconnecting(s);
      if (server) {
        const sv = server;
        const closed = new Promise<void>((resolve) => sv.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      } else {
        // Also a connection that never authenticated (wrong secret): it must not keep the process alive.
        try {
          s.disconnect();
        } catch {
          /* no socket left */
        }
      }
      connected = false;
    },
  };
}
