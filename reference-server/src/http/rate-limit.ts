/**
 * Per-IP rate limiting by bucket (reads, writes, secrets, auth, project creation), answering 429 with
 * Retry-After. Keeps counts only, never request content.
 */
import type { RequestHandler } from 'express';
import type { RateLimitConfig } from '../config.js';
import { normaliseIp } from './ip-match.js';
import { rateLimitExceeded } from './errors.js';

type Bucket = 'readLimit' | 'writeLimit' | 'secretsLimit' | 'authLimit' | 'projectCreationLimit';

/**
 * The path as routing matches it: Express routes case-insensitively and ignores one
 * trailing slash, so a bucket chosen on the raw path could be dodged with `/API/...` or `.../`.
 */
export function routingPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 ? lower.replace(/\/+$/, '') || '/' : lower;
}

/** Which budget a request draws from; `undefined` means exempt (health checks). */
export function bucketFor(method: string, rawPath: string): Bucket | undefined {
  const path = routingPath(rawPath);
  if (path === '/api/status' || path === '/api/status/ready') return undefined;
  if (/^\/api\/v1\/auth\/(?:[a-z-]+\/login|token\/(?:renew|revoke))$/.test(path)) return 'authLimit';
  if (method === 'POST' && /^\/api\/(?:v2\/workspace|v1\/projects)\/?$/.test(path))
    return 'projectCreationLimit';
  if (/^\/api\/(?:v3\/secrets|v1\/folders|v[12]\/secret-imports)/.test(path)) return 'secretsLimit';
  return method === 'GET' || method === 'HEAD' ? 'readLimit' : 'writeLimit';
}

/** Counts one request against `key`; the count so far. */
function take(counts: Map<string, number>, key: string): number {
  const used = (counts.get(key) ?? 0) + 1;
  counts.set(key, used);
  return used;
}

/**
 * Fixed-window per-IP counters in memory. Each request draws from its bucket and from the
 * global budget. A window's counters are dropped when it ends, so memory stays bounded by
 * the number of clients seen in one window.
 */
export function rateLimiter(config: RateLimitConfig, now: () => number): RequestHandler {
  const windowMs = config.windowSeconds * 1000;
  let windowStart = 0;
  let counts = new Map<string, number>();
  return (req, _res, next) => {
    const bucket = bucketFor(req.method, req.path);
    if (!bucket) return next();
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t - (t % windowMs);
      counts = new Map();
    }
    const ip = normaliseIp(req.ip);
    // Both budgets are always charged, so a refused request still counts against the global one.
    const withinGlobal = take(counts, `globalLimit|${ip}`) <= config.globalLimit;
    const withinBucket = take(counts, `${bucket}|${ip}`) <= config[bucket];
    if (!withinGlobal || !withinBucket) {
      return next(rateLimitExceeded(Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000))));
    }
    next();
  };
}
