import type { Request } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseBody } from '../http/validate.js';
import type { AccessTokenRecord } from '../store/records.js';
import { renewAccessToken, revokeAccessToken } from './access-tokens.js';
import { externalJwtAuthRouter, jwtAuth, oidcAuth } from './external-jwt-auth-router.js';
import { tokenAuthRouter } from './token-auth-router.js';
import { universalAuthRouter } from './universal-auth-router.js';
import { routeDocs } from '../openapi/route-doc.js';

// No minimum: an empty token is upstream's 403 `jwt must be provided` (v1/identity-access-token-router.ts).
const tokenBody = z.object({ accessToken: z.string().trim() });

/** Renew and revoke carry no Authorization header, so the actor comes from the token itself. */
async function auditTokenEvent(ctx: ServerContext, req: Request, type: string, token: AccessTokenRecord) {
  const identity = await ctx.store.access.getIdentity(token.identityId);
  await ctx.audit.record(
    {
      type,
      metadata: { identityId: token.identityId, identityAccessTokenId: token.id },
      orgId: identity?.orgId ?? null,
    },
    { type: 'identity', metadata: { identityId: token.identityId, name: identity?.name ?? null } },
    { ipAddress: req.ip ?? null, userAgent: req.get('user-agent') ?? null },
  );
}

/** Login, renew and revoke, plus the auth-method configuration routes. */
export function authRouter(ctx: ServerContext): Router {
  const router = Router();

  router.post('/api/v1/auth/token/renew', async (req, res) => {
    const { accessToken } = parseBody(req, tokenBody);
    const { response, token } = await renewAccessToken(ctx, accessToken);
    await auditTokenEvent(ctx, req, 'renew-identity-access-token', token);
    res.json(response);
  });

  router.post('/api/v1/auth/token/revoke', async (req, res) => {
    const { accessToken } = parseBody(req, tokenBody);
    const token = await revokeAccessToken(ctx, accessToken);
    await auditTokenEvent(ctx, req, 'revoke-identity-access-token', token);
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
