/**
 * The `requireAuth` middleware: a Bearer identity access token, checked and counted, becomes
 * `req.auth`. Authentication only; rights are auth/permissions.ts.
 */
import type { RequestHandler } from 'express';
import type { ServerContext } from '../context.js';
import { badRequest, unauthorized } from '../http/errors.js';
import { useAccessToken } from './access-tokens.js';

/** `Bearer <token>`, the scheme in any case, one or more spaces, nothing else. */
const BEARER = /^bearer +(\S+)$/i;

/**
 * Guards a route: `Authorization: Bearer <identity access token>`. Upstream takes whatever
 * follows the first 7 characters; this server accepts only the Bearer scheme. Sets `req.auth`.
 */
export function requireAuth(ctx: ServerContext): RequestHandler {
  return async (req, _res, next) => {
    if (req.get('x-api-key')) {
      throw badRequest(
        'API key authentication is not supported anymore, please use machine identities instead',
      );
    }
    const header = req.get('authorization');
    if (!header) throw unauthorized('Token missing');
    const jwt = BEARER.exec(header.trim())?.[1];
    if (!jwt) throw unauthorized('Authorization header must be "Bearer <token>"');
    const { token, identity } = await useAccessToken(ctx, jwt, req.ip);
    req.auth = { token, identity, orgId: identity.orgId };
    next();
  };
}
