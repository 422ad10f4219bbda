// `pbx:NAME` / `ext:NAME`: a destination at the PBX that didml registers with (the Vida seed:
// "prepend pbx: or ext: to your transfer destination" to send a call out through the SIP
// registration). Valid where a <Number> or <Sip> names a callee, and in <Refer><Sip>: the
// drachtio backend sends it through the registering trunk (sip:NAME@its domain), the mock
// backend rings it by that name.

export interface PbxTarget {
  prefix: 'pbx' | 'ext';
  /** The extension or number at the PBX: `101`, `+15551234567`, `sales`. */
  name: string;
}

/** NAME is a SIP user part: no spaces, no `@`, no URI parameters or headers. */
const PBX = /^\s*(pbx|ext):([^\s@;?<>:]+)\s*$/i;

export function parsePbxTarget(text: string): PbxTarget | undefined {
  const m = PBX.exec(text);
  return m ? { prefix: m[1]!.toLowerCase() as 'pbx' | 'ext', name: m[2]! } : undefined;
}

/** The target as the backends see it: the prefix in lower case, the name as written. */
export function pbxText(t: PbxTarget): string {
  return `${t.prefix}:${t.name}`;
}
