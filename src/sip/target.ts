// The text of a <Sip> noun turned into what the backend dials: the URI for the Request-URI,
// and the headers for the INVITE. DIDML: a bare host means the dialled number at that host
// ("Call will be sent to dialed_number@sip.example.com", DIDforSale <sip> page).
import { isSipUriError, otherScheme, parseSipUri } from './uri.js';
import { isPassedThrough } from './headers.js';
import { parsePbxTarget, pbxText } from './pbx.js';

export interface ResolvedSip {
  uri: string;
  headers: Record<string, string>;
  /** Headers the URI carried that do not pass through (Twilio drops them with warning 13252). */
  dropped: string[];
  transport?: 'udp' | 'tcp' | 'tls';
  error?: string;
}

export function resolveSipText(text: string, options: { dialled: string; bareHostMeansDialled: boolean }): ResolvedSip {
  // pbx:NAME / ext:NAME is no SIP URI (`pbx:101` would read as host pbx, port 101): the backend resolves it.
  const pbx = parsePbxTarget(text);
  if (pbx) return { uri: pbxText(pbx), headers: {}, dropped: [] };
  // Never dialled as a SIP user of that name (`mailto:bob@host` would be user "mailto").
  const scheme = otherScheme(text);
  if (scheme) return { uri: text.trim(), headers: {}, dropped: [], error: `it is a ${scheme}: URI, not a sip: or sips: URI` };
  const parsed = parseSipUri(text);
  if (isSipUriError(parsed)) return { uri: text.trim(), headers: {}, dropped: [], error: parsed.error };
  const headers: Record<string, string> = {};
  const dropped: string[] = [];
  for (const h of parsed.headers) {
    if (isPassedThrough(h.name)) headers[h.name] = h.value;
    else dropped.push(h.name);
  }
  let uri = parsed.uri;
  if (parsed.user === undefined && options.bareHostMeansDialled) {
    const user = options.dialled.replace(/^sip:/i, '').split('@')[0] ?? options.dialled;
    uri = `${parsed.scheme}:${user}@${uri.slice(parsed.scheme.length + 1)}`;
  }
  const t = parsed.params['transport']?.toLowerCase();
  return { uri, headers, dropped, ...(t === 'udp' || t === 'tcp' || t === 'tls' ? { transport: t } : {}) };
}
