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

/** When the request started (process.hrtime.bigint()), kept on the request for the shared listener. */
const STARTED = Symbol('accessLogStarted');
type Timed = Parameters<RequestHandler>[0] & { [STARTED]?: bigint };

/**
 * Starts one request's access-log line, printed when its response finishes; nothing when the logger
 * does not print `info`. One listener function serves every request (no closure per request).
 */
export function accessLog(
  logger: Logger,
): (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => void {
  function onFinish(this: Parameters<RequestHandler>[1]) {
    const req = this.req as Timed;
    const line: Record<string, unknown> = {
      method: req.method,
      route: routeOf(req),
      status: this.statusCode,
      durationMs: Math.round(Number(process.hrtime.bigint() - (req[STARTED] ?? 0n)) / 10_000) / 100,
      reqId: req.reqId,
      identityId: req.auth?.identity.id ?? null,
      ip: req.ip,
    };
    if (logger.isLevelEnabled('debug')) {
      line.userAgent = req.get('user-agent') ?? null;
      line.queryKeys = Object.keys(req.query ?? {});
    }
    logger.info(line, 'request');
  }
  return (req, res) => {
    if (!logger.isLevelEnabled('info')) return;
    (req as Timed)[STARTED] = process.hrtime.bigint();
    res.on('finish', onFinish);
  };
}
