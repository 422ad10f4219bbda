// SIP IP access lists (the Vida seed: "Make sure all IPs sending SIP INVITEs are included in the
// access list"): addresses and CIDR ranges, IPv4 and IPv6, matched with node's BlockList.
import { BlockList, isIP } from 'node:net';

export interface AccessList {
  /** Whether `address` (as a socket reports it, IPv4-mapped IPv6 included) is on the list. */
  allows(address: string): boolean;
  readonly entries: readonly string[];
}

/** `::ffff:203.0.113.7` is the IPv4 address it maps. */
export function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address.replace(/^\[|\]$/g, '');
}

/** Builds an access list; throws an Error naming the first entry that is neither an address nor a CIDR range. */
export function accessList(entries: readonly string[]): AccessList {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr = '', bits, ...extra] = entry.trim().split('/');
    const family = isIP(addr);
    if (!family || extra.length) throw new Error(`"${entry}" is not an IP address or a CIDR range (203.0.113.0/24, 2001:db8::/32)`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      list.addAddress(addr, type);
      continue;
    }
    const prefix = /^\d+$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw new Error(`"${entry}": the prefix length must be 0 to ${family === 4 ? 32 : 128}`);
    list.addSubnet(addr, prefix, type);
  }
  return {
    entries: [...entries],
    allows(address) {
      const a = plainAddress(address);
      const family = isIP(a);
      if (!family) return false;
      return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
