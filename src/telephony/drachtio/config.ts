// The `drachtio` section of the serve configuration (grammar/config.schema.json), typed, and the
// checks a schema cannot make: route strings that parse, access-list entries that are addresses,
// trunk names that exist. Nothing here loads drachtio-srf.
import { DidmlError } from '../../errors.js';
import { accessList } from '../../sip/acl.js';
import { parseRoute, RouteError, type Transport } from '../../sip/route.js';
import { readCa, type TrunkTls } from './tls-check.js';

export interface TrunkConfig {
  name: string;
  /** SIP domain: host part of the Request-URI, From and To. */
  domain: string;
  username?: string;
  password?: string;
  /** host[:port] REGISTERs go to (default: proxy, else domain). */
  registrar?: string;
  /** host[:port] every request to the trunk goes through. */
  proxy?: string;
  transport: Transport;
  /** Default 5060, 5061 with tls. */
  port?: number;
  register: boolean;
  /** Seconds asked for in REGISTER. */
  expires: number;
  /** transport tls: how didml checks the far end's certificate (checked unless verify is false). */
  tls?: TrunkTls;
}

export interface MediaServerConfig {
  address: string;
  port: number;
  secret: string;
  listenAddress?: string;
  listenPort: number;
  /** didml's websocket listener for mod_audio_fork (fork-listener.ts): where FreeSWITCH reaches it. */
  streamAddress?: string;
  streamPort?: number;
  profile: string;
}

export interface DrachtioConfig {
  /** didml connects to a drachtio-server. */
  inbound?: { host: string; port: number; secret: string };
  /** drachtio-servers connect to didml. */
  outbound?: { host: string; port: number; secret: string };
  accessList?: string[];
  requireE164From: boolean;
  /** Response code for <Reject reason="rejected">. */
  rejectCode: number;
  /** Session-Expires offered on outbound INVITEs, seconds. */
  sessionTimer?: number;
  trunks?: TrunkConfig[];
  pbxTrunk?: string;
  numbers?: { trunk?: string; route?: string };
  mediaServer?: MediaServerConfig;
  tts?: { engine: string; voice: string; voices?: Record<string, string> };
  /** didml's own RTP socket for <Connect><Stream> without a media server: where it binds and what the SDP says. */
  rtp?: { address?: string; publicAddress?: string };
  /** Speech recognition on the media server (FreeSWITCH detect_speech). */
  asr?: AsrConfig;
  recordings?: { dir: string; baseUrl: string };
}

export interface AsrConfig {
  engine: string;
  /** `${language}` and `${hints}` are the Gather's; builtin:speech/transcribe when absent. */
  grammar?: string;
}

/** Defaults for a section built in code rather than read through the schema (tests, the library API). */
export function withDefaults(c: Partial<DrachtioConfig> & Pick<DrachtioConfig, 'inbound' | 'outbound'>): DrachtioConfig {
  return {
    requireE164From: false,
    rejectCode: 404,
    ...c,
    ...(c.trunks ? { trunks: c.trunks.map((t) => ({ ...t, transport: t.transport ?? 'udp', register: t.register ?? false, expires: t.expires ?? 3600 })) } : {}),
    ...(c.mediaServer ? { mediaServer: { ...c.mediaServer, port: c.mediaServer.port ?? 8021, secret: c.mediaServer.secret ?? 'ClueCon', listenPort: c.mediaServer.listenPort ?? 0, profile: c.mediaServer.profile ?? 'drachtio_mrf' } } : {}),
  };
}

/** The trunk pbx:/ext: targets use: the named one, else the first that registers. */
export function pbxTrunkOf(c: DrachtioConfig): TrunkConfig | undefined {
  const trunks = c.trunks ?? [];
  return c.pbxTrunk !== undefined ? trunks.find((t) => t.name === c.pbxTrunk) : trunks.find((t) => t.register);
}

/** Checks what the schema cannot; throws DIDML_CONFIG naming the key and the way out. */
export function checkDrachtioConfig(c: DrachtioConfig, source = 'configuration'): void {
  const fail = (where: string, message: string): never => {
    throw new DidmlError('DIDML_CONFIG', `${source}: drachtio${where ? `.${where}` : ''} ${message}`);
  };
  if ((c.inbound === undefined) === (c.outbound === undefined)) {
    fail('', 'needs exactly one of inbound ({host, port, secret}: didml connects to drachtio-server) or outbound ({port, secret}: drachtio-server connects to didml)');
  }
  if (c.accessList) {
    try {
      accessList(c.accessList);
    } catch (e) {
      fail('accessList', (e as Error).message);
    }
  }
  const names = new Set<string>();
  for (const [i, t] of (c.trunks ?? []).entries()) {
    if (names.has(t.name)) fail(`trunks[${i}].name`, `"${t.name}" is used by two trunks; names must be unique`);
    names.add(t.name);
    for (const key of ['proxy', 'registrar'] as const) {
      const v = t[key];
      if (v === undefined) continue;
      try {
        parseRoute(v);
      } catch (e) {
        fail(`trunks[${i}].${key}`, e instanceof RouteError ? e.message : String(e));
      }
    }
    if (t.register && !t.username) fail(`trunks[${i}]`, `("${t.name}") registers, so it needs a username (and a password)`);
    if (t.tls !== undefined && t.transport !== 'tls') fail(`trunks[${i}].tls`, `is for a trunk with transport "tls"; "${t.name}" uses ${t.transport} (set transport: "tls", or leave tls out)`);
    if (t.tls?.ca !== undefined) {
      const ca = readCa(t.tls.ca);
      if ('error' in ca) fail(`trunks[${i}].tls.ca`, `${ca.error}: give the PEM file of the CA(s) the carrier's certificate chains to`);
    }
  }
  if (c.outbound && (c.trunks ?? []).some((t) => t.register)) {
    fail('trunks', 'with register: true need a standing connection to drachtio-server: use drachtio.inbound (outbound connections come and go with calls)');
  }
  if (c.pbxTrunk !== undefined && !names.has(c.pbxTrunk)) fail('pbxTrunk', `"${c.pbxTrunk}" is not the name of a trunk (${[...names].join(', ') || 'none configured'})`);
  if (c.numbers) {
    if ((c.numbers.trunk === undefined) === (c.numbers.route === undefined)) fail('numbers', 'needs exactly one of trunk or route');
    if (c.numbers.trunk !== undefined && !names.has(c.numbers.trunk)) fail('numbers.trunk', `"${c.numbers.trunk}" is not the name of a trunk`);
    if (c.numbers.route !== undefined) {
      try {
        parseRoute(c.numbers.route);
      } catch (e) {
        fail('numbers.route', (e as Error).message);
      }
    }
  }
}
