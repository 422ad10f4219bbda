// DTMF sent as SIP INFO instead of in the media (RFC 2833/4733): many PBXs and trunks are set up
// that way. Two bodies are in use: application/dtmf-relay ("Signal=5\r\nDuration=160", Cisco's,
// the common one) and application/dtmf (the key alone). Keys: 0-9, *, #, A-D; a Signal of 10 or 11
// is * or # (the RFC 4733 event codes some devices send).
import type { SrfRequest } from './srf.js';

const EVENT_CODES: Record<string, string> = { '10': '*', '11': '#', '12': 'A', '13': 'B', '14': 'C', '15': 'D' };
const KEY = /^[0-9*#A-D]$/i;

/** The key an INFO carries, or undefined when it carries none. */
export function infoDigit(req: SrfRequest): string | undefined {
  const type = (req.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
  const body = req.body ?? '';
  let raw: string | undefined;
  if (type === 'application/dtmf-relay') raw = /^\s*Signal\s*=\s*(\S+)/im.exec(body)?.[1];
  else if (type === 'application/dtmf') raw = body.trim();
  if (raw === undefined) return undefined;
  const key = EVENT_CODES[raw] ?? raw;
  return KEY.test(key) ? key.toUpperCase() : undefined;
}
