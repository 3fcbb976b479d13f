/**
 * One access-log line per request, at `info`: what an operator needs to follow traffic (method, route
 * pattern, status, duration, request id, identity id, client IP) and nothing that could be a secret: no
 * URL path (it can hold a secret's name), no query, no header, no body. `debug` adds the user agent and
 * the names (never the values) of the query parameters.
 *
 * @module
 */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/** The route pattern that answered (e.g. `/api/v3/secrets/raw/:secretName`), or `unmatched`. */
function routeOf(req: Parameters<RequestHandler>[0]): string {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

/** The access-log middleware; a no-op when the logger does not print `info`. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('info')) return next();
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const line: Record<string, unknown> = {
        method: req.method,
        route: routeOf(req),
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 10_000) / 100,
        reqId: req.reqId,
        identityId: req.auth?.identity.id ?? null,
        ip: req.ip,
      };
      if (logger.isLevelEnabled('debug')) {
        line.userAgent = req.get('user-agent') ?? null;
        line.queryKeys = Object.keys(req.query ?? {});
      }
      logger.info(line, 'request');
    });
    next();
  };
}
