/**
 * Fetching an identity provider's documents (OIDC discovery, JWKS): JSON over http(s) with a timeout,
 * a size cap, an optional CA for strict TLS, and SSRF protection. Addresses are checked when the
 * connection is made (a `lookup` hook), not before, so a DNS answer cannot change between the check
 * and the connection. docs/oidc-spiffe.md explains the settings.
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

/** Whether an address is loopback, link-local, private or otherwise not a public host. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip);
  if (family === 0) return true;
  return PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
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
