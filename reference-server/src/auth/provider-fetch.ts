/**
 * Fetching an identity provider's documents (OIDC discovery, JWKS): JSON over http(s) with a timeout,
 * a size cap, an optional CA for strict TLS, and SSRF protection. Addresses are checked when the
 * connection is made (a `lookup` hook that resolves once and hands the socket exactly the addresses
 * it checked), not before, so a DNS answer cannot change between the check and the connection; an
 * IP literal is checked before any socket is opened. docs/oidc-spiffe.md explains the settings.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/** A provider document could not be fetched; `message` names the URL and the cause, nothing secret. */
export class ProviderFetchError extends Error {
  override name = 'ProviderFetchError';
}

/** How provider documents are fetched. */
export interface ProviderFetchOptions {
  /** PEM CA bundle trusted for https URLs instead of the system roots. */
  caCert?: string | undefined;
  /** Allow loopback, link-local and private addresses (`KMS_OIDC_ALLOW_PRIVATE_URLS`). */
  allowPrivate: boolean;
  /** Whole-request timeout. @default 5000 */
  timeoutMs?: number;
  /** Largest body accepted. @default 1 MiB */
  maxBytes?: number;
}

/** Addresses a provider URL may not reach unless private URLs are allowed (upstream's rule). */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

for (const [net, prefix] of [
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): translates to whatever the operator chose
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted quad converted). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const front = part(head);
  const back = part(tail);
  const groups =
    tail === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * The IPv4 address an IPv6 address carries to an IPv4 host, when it does: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64's
 * well-known prefix (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`).
 */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return ipv4Of(g[6]!, g[7]!);
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return ipv4Of(g[6]!, g[7]!);
  if (zeros(0, 6) && (g[6] !== 0 || g[7]! > 1)) return ipv4Of(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return ipv4Of(g[6]!, g[7]!);
  if (g[0] === 0x2002) return ipv4Of(g[1]!, g[2]!);
  return undefined;
}

/**
 * Whether an address is loopback, link-local, private or otherwise not a public host. An IPv6
 * address that carries an IPv4 one (mapped, compatible, NAT64, 6to4) is judged by that IPv4 address
 * too. Kept here and exported for every outbound fetch to a user-given URL.
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  const carried = embeddedIpv4(address);
  if (carried && PRIVATE.check(carried, 'ipv4')) return true;
  return PRIVATE.check(address, 'ipv6');
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for http(s).request that refuses private addresses at connection time. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.find((a) => !allowPrivate && isPrivateAddress(a.address));
      if (refused)
        return callback(
          Object.assign(new Error(`${hostname} resolves to a private address (${refused.address})`), {
            code: 'EPRIVATEADDRESS',
          }),
          '',
        );
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** GETs `url` and parses its JSON body, or throws {@link ProviderFetchError}. */
export function fetchProviderJson(url: string, options: ProviderFetchOptions): Promise<unknown> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new ProviderFetchError(`${url} is not a URL`));
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    return Promise.reject(new ProviderFetchError(`${target.origin} must be an http or https URL`));
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !options.allowPrivate && isPrivateAddress(literal))
    return Promise.reject(
      new ProviderFetchError(
        `${target.origin} is a private address; set KMS_OIDC_ALLOW_PRIVATE_URLS=true to allow it`,
      ),
    );
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new ProviderFetchError(`${target.origin}${target.pathname}: ${why}`));
    const request = client.get(
      target,
      {
        headers: { accept: 'application/json' },
        lookup: guardedLookup(options.allowPrivate) as never,
        ...(target.protocol === 'https:' && options.caCert ? { ca: options.caCert } : {}),
        agent: false,
      },
      (response) => {
        if ((response.statusCode ?? 0) < 200 || (response.statusCode ?? 0) >= 300) {
          response.resume();
          return fail(`answered HTTP ${response.statusCode}`);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy();
            fail(`answered more than ${maxBytes} bytes`);
          } else chunks.push(chunk);
        });
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            fail('did not answer JSON');
          }
        });
        response.on('error', (error) => fail(error.message));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      fail(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPRIVATEADDRESS')
        fail(`${error.message}; set KMS_OIDC_ALLOW_PRIVATE_URLS=true to allow it`);
      else fail(error.message);
    });
  });
}
