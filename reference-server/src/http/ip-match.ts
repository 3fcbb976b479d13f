/**
 * Trusted-IP matching (addresses and CIDR ranges, IPv4 and IPv6). Pure functions.
 */
import { BlockList, isIP } from 'node:net';
import type { TrustedIp } from '../store/records.js';

/** Strips the IPv4-mapped IPv6 prefix so `::ffff:127.0.0.1` matches `127.0.0.0/8`. */
export function normaliseIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Parses `1.2.3.4`, `10.0.0.0/8` or `::/0` into the stored form; undefined when invalid. */
export function parseTrustedIp(value: string): TrustedIp | undefined {
  const [address = '', prefixText] = value.trim().split('/');
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (prefixText !== undefined && !/^\d+$/.test(prefixText))
  )
    return undefined;
  return { ipAddress: address, type: version === 4 ? 'ipv4' : 'ipv6', prefix };
}

/** BlockLists by their ranges: every request checks its token's list, and lists repeat. */
const blockLists = new Map<string, BlockList>();
const MAX_CACHED_LISTS = 512;

function blockListOf(trusted: TrustedIp[]): BlockList {
  const key = JSON.stringify(trusted);
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const t of trusted) list.addSubnet(t.ipAddress, t.prefix ?? (t.type === 'ipv4' ? 32 : 128), t.type);
    if (blockLists.size >= MAX_CACHED_LISTS) blockLists.delete(blockLists.keys().next().value!);
    blockLists.set(key, list);
  }
  return list;
}

/** Whether a caller address falls inside any of the trusted ranges. */
export function isIpTrusted(ip: string | undefined, trusted: TrustedIp[]): boolean {
  const address = normaliseIp(ip);
  const version = isIP(address);
  if (version === 0) return false;
  const type = version === 4 ? 'ipv4' : 'ipv6';
  // The default ranges (0.0.0.0/0, ::/0) admit every address of their family.
  if (trusted.some((t) => t.type === type && t.prefix === 0)) return true;
  return blockListOf(trusted).check(address, type);
}

export const ALL_IPS: TrustedIp[] = [
  { ipAddress: '0.0.0.0', type: 'ipv4', prefix: 0 },
  { ipAddress: '::', type: 'ipv6', prefix: 0 },
];
