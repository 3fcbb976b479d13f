/**
 * Mounts the auth routes: token renew and revoke, and the routers of each auth method. Parsing and
 * answering only; renewal, revocation and their audit are auth/token-renewal-service.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseBody } from '../http/validate.js';
import { loginOriginOf } from '../shared/callers.js';
import { externalJwtAuthRouter, jwtAuth, oidcAuth } from './external-jwt-auth-router.js';
import { tokenAuthRouter } from './token-auth-router.js';
import { renewToken, revokeToken } from './token-renewal-service.js';
import { universalAuthRouter } from './universal-auth-router.js';
import { routeDocs } from '../openapi/route-doc.js';

// No minimum: an empty token is upstream's 403 `jwt must be provided` (v1/identity-access-token-router.ts).
const tokenBody = z.object({ accessToken: z.string().trim() });

/** Login, renew and revoke, plus the auth-method configuration routes. */
export function authRouter(ctx: ServerContext): Router {
  const router = Router();

  router.post('/api/v1/auth/token/renew', async (req, res) => {
    const body = parseBody(req, tokenBody);
    res.json(await renewToken(ctx, loginOriginOf(req), body));
  });

  router.post('/api/v1/auth/token/revoke', async (req, res) => {
    const body = parseBody(req, tokenBody);
    await revokeToken(ctx, loginOriginOf(req), body);
    res.json({ message: 'Successfully revoked access token' });
  });

  router.use(universalAuthRouter(ctx));
  router.use(tokenAuthRouter(ctx));
  router.use(externalJwtAuthRouter(ctx, oidcAuth));
  router.use(externalJwtAuthRouter(ctx, jwtAuth));
  return router;
}

/** Renew and revoke, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const accessTokenRouteDocs = routeDocs('Access Tokens', [
  {
    method: 'post',
    path: '/api/v1/auth/token/renew',
    summary: 'Renew an access token',
    auth: false,
    body: tokenBody,
    deviation: 'D2 (a new JWT; the max TTL stays anchored at the login).',
  },
  {
    method: 'post',
    path: '/api/v1/auth/token/revoke',
    summary: 'Revoke an access token',
    auth: false,
    body: tokenBody,
    deviation: 'D8 (audited).',
  },
]);
