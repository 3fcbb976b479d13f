/**
 * The `requireAuth` middleware: a Bearer identity access token, checked and counted, becomes
 * `req.auth`. Authentication only; rights are auth/permissions.ts.
 */
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { AuthContext, ServerContext } from '../context.js';
import { badRequest, unauthorized } from '../http/errors.js';
import type { AccessTokenForRequest } from '../store/contract.js';
import { acceptAccessToken, useAccessToken, verifyAccessTokenJwt } from './access-tokens.js';

/** `Bearer <token>`, the scheme in any case, one or more spaces, nothing else. */
const BEARER = /^bearer +(\S+)$/i;

/** How a route takes its caller's token. */
export interface RequireAuthOptions {
  /**
   * The route records an audit entry before each successful answer (the secret reads, the KMS key
   * operations). An unlimited token's use is then counted in the same commit as that entry (`audit`
   * in context.ts) rather than in a commit of its own before the route runs: one commit per request
   * instead of two, and on PostgreSQL one round trip fewer. An answer without an entry (an error,
   * a 304) counts the use alone before it goes out ({@link countUncountedUse}). A limited token's
   * use is counted first either way. See docs/reference/storage.md#group-commit.
   */
  countUseWithAudit?: boolean;
  /**
   * The route reads its project first, through `callerFor` (domains/secrets/caller.ts): the token
   * row is then read in the same statement as the project view (`ProjectStore.getProjectViewForToken`),
   * one round trip fewer on PostgreSQL. The JWT is checked here; the row's checks run on what that
   * statement read, before anything of the project is used, with the same answers. An error raised
   * before (a 422 on the query) looks the token up alone first, so a bad token still answers as
   * one ({@link settleAuthBeforeError}).
   */
  readTokenWithProject?: boolean;
}

/** `Authorization: Bearer <jwt>`, or the contract's 400/401. */
function bearerOf(req: Request): string {
  if (req.get('x-api-key')) {
    throw badRequest(
      'API key authentication is not supported anymore, please use machine identities instead',
    );
  }
  const header = req.get('authorization');
  if (!header) throw unauthorized('Token missing');
  const jwt = BEARER.exec(header.trim())?.[1];
  if (!jwt) throw unauthorized('Authorization header must be "Bearer <token>"');
  return jwt;
}

/**
 * Guards a route: `Authorization: Bearer <identity access token>`. Upstream takes whatever
 * follows the first 7 characters; this server accepts only the Bearer scheme. Sets `req.auth`
 * (with `readTokenWithProject`, `req.pendingAuth` until the route reads its project).
 */
export function requireAuth(ctx: ServerContext, options: RequireAuthOptions = {}): RequestHandler {
  const deferUnlimited = options.countUseWithAudit === true;
  return async (req, res, next) => {
    const jwt = bearerOf(req);
    if (options.readTokenWithProject) {
      const claims = await verifyAccessTokenJwt(ctx, jwt);
      req.pendingAuth = { tokenId: claims.identityAccessTokenId, deferUnlimited };
    } else {
      const { token, identity, uncountedUse } = await useAccessToken(ctx, jwt, req.ip, { deferUnlimited });
      req.auth = { token, identity, orgId: identity.orgId, uncountedUse };
    }
    if (deferUnlimited || options.readTokenWithProject) {
      // A route that answered without settling its token or counting its use is a bug: the use is
      // still counted, late, and the bug is logged.
      res.once('finish', () => {
        if (!req.pendingAuth && !req.auth?.uncountedUse) return;
        ctx.logger.error({ reqId: req.reqId, route: req.route?.path }, 'token use counted after the answer');
        settleAuth(ctx, req).catch(() => {});
      });
    }
    next();
  };
}

/**
 * Accepts the token row read for a request with `req.pendingAuth` (with its project, or alone):
 * the checks of `acceptAccessToken`, then `req.auth`. Throws their 401/403.
 */
export async function acceptPendingAuth(
  ctx: ServerContext,
  req: Request,
  found: AccessTokenForRequest | undefined,
): Promise<AuthContext> {
  const pending = req.pendingAuth;
  if (!pending) throw new Error('the request has no pending token');
  req.pendingAuth = undefined;
  const { token, identity, uncountedUse } = await acceptAccessToken(ctx, found, req.ip, {
    deferUnlimited: pending.deferUnlimited,
  });
  req.auth = { token, identity, orgId: identity.orgId, uncountedUse };
  return req.auth;
}

/**
 * Counts the request's uncounted token use on its own (see {@link RequireAuthOptions}), for an
 * answer that records no audit entry. Throws 401 when the token was revoked or deleted meanwhile.
 */
export async function countUncountedUse(ctx: ServerContext, req: Request): Promise<void> {
  const use = req.auth?.uncountedUse;
  if (!req.auth || !use) return;
  req.auth.uncountedUse = undefined;
  if (!(await ctx.store.access.consumeAccessTokenUse(use.tokenId, use.now)))
    throw unauthorized('No identity access token found');
}

/** A pending token (see {@link RequireAuthOptions.readTokenWithProject}) read alone and accepted. */
export async function acceptPendingAuthAlone(ctx: ServerContext, req: Request): Promise<void> {
  const pending = req.pendingAuth;
  if (pending)
    await acceptPendingAuth(ctx, req, await ctx.store.access.getAccessTokenForRequest(pending.tokenId));
}

/** A token not yet read is read alone and checked, and an uncounted use is counted. */
async function settleAuth(ctx: ServerContext, req: Request): Promise<void> {
  await acceptPendingAuthAlone(ctx, req);
  await countUncountedUse(ctx, req);
}

/**
 * Before an error answer: a token not yet read is checked (its error is answered instead, as it
 * would have been had the token been read first), and an uncounted use is counted, so a refused
 * request costs a use as it does upstream.
 */
export function settleAuthBeforeError(ctx: ServerContext): ErrorRequestHandler {
  return (err, req, _res, next) => {
    if (!req.pendingAuth && !req.auth?.uncountedUse) return next(err);
    settleAuth(ctx, req).then(
      () => next(err),
      (authError: unknown) => next(authError),
    );
  };
}
