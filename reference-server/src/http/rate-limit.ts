import type { RequestHandler } from 'express';
import type { RateLimitConfig } from '../config.js';
import { normaliseIp } from './ip-match.js';
import { rateLimitExceeded } from './errors.js';

type Bucket = 'readLimit' | 'writeLimit' | 'secretsLimit' | 'authLimit' | 'projectCreationLimit';

/** Which budget a request draws from; `undefined` means exempt (health checks). */
export function bucketFor(method: string, path: string): Bucket | undefined {
  if (path === '/api/status') return undefined;
  if (/^\/api\/v1\/auth\/(?:[a-z-]+\/login|token\/(?:renew|revoke))$/.test(path)) return 'authLimit';
  if (method === 'POST' && /^\/api\/(?:v2\/workspace|v1\/projects)\/?$/.test(path))
    return 'projectCreationLimit';
  if (/^\/api\/(?:v3\/secrets|v1\/folders|v[12]\/secret-imports)/.test(path)) return 'secretsLimit';
  return method === 'GET' || method === 'HEAD' ? 'readLimit' : 'writeLimit';
}

/**
 * Fixed-window per-IP counters in memory. A window's counters are dropped when it ends,
 * so memory stays bounded by the number of clients seen in one window.
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
    const key = `${bucket}|${normaliseIp(req.ip)}`;
    const used = (counts.get(key) ?? 0) + 1;
    counts.set(key, used);
    if (used > config[bucket]) {
      return next(rateLimitExceeded(Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000))));
    }
    next();
  };
}
