/**
 * Token Auth routes (`/api/v1/auth/token-auth`): parse, call auth/token-auth-service.ts, shape the
 * answer. Never touches the store.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseBody, parseParams, parseQuery } from '../http/validate.js';
import { routeDocs } from '../openapi/route-doc.js';
import { orgCallerFor } from '../shared/callers.js';
import { uuidSchema } from '../shared/schemas.js';
import type { AccessTokenRecord, AuthMethodRecord, TokenAuthConfig } from '../store/records.js';
import { requireAuth } from './require-auth.js';
import {
  attachTokenAuth,
  createTokenAuthToken,
  detachTokenAuth,
  listTokenAuthTokens,
  readTokenAuth,
  readTokenAuthToken,
  renameTokenAuthToken,
  revokeTokenAuthToken,
  updateTokenAuth,
} from './token-auth-service.js';
import { TTL_ABOVE_MAX_MESSAGE, tokenSettingsFields, ttlWithinMax } from './token-settings.js';

const PREFIX = '/api/v1/auth/token-auth';
const configBody = z
  .object(tokenSettingsFields)
  .refine(ttlWithinMax, { message: TTL_ABOVE_MAX_MESSAGE, path: ['accessTokenTTL'] });
const identityParams = z.object({ identityId: uuidSchema });
const tokenParams = z.object({ tokenId: uuidSchema });
const createTokenBody = z.object({ name: z.string().trim().max(256).optional() });
const listQuery = z.object({
  offset: z.coerce.number().int().min(0).max(100).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

function tokenAuthView(m: AuthMethodRecord<TokenAuthConfig>) {
  return { id: m.id, identityId: m.identityId, ...m.config, createdAt: m.createdAt, updatedAt: m.updatedAt };
}

/** The access-token row as the API shows it (never the JWT). */
export function accessTokenView(t: AccessTokenRecord) {
  return {
    id: t.id,
    identityId: t.identityId,
    name: t.name,
    authMethod: t.authMethod,
    accessTokenTTL: t.ttl,
    accessTokenMaxTTL: t.maxTtl,
    accessTokenNumUses: t.numUses,
    accessTokenNumUsesLimit: t.numUsesLimit,
    accessTokenPeriod: t.period,
    accessTokenLastUsedAt: t.lastUsedAt,
    accessTokenLastRenewedAt: t.lastRenewedAt,
    isAccessTokenRevoked: t.isRevoked,
    identityUAClientSecretId: t.clientSecretId,
    subOrganizationId: null,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** Token Auth: configuration and directly issued tokens (docs/reference/api.md#authentication). */
export function tokenAuthRouter(ctx: ServerContext): Router {
  const router = Router();
  router.use(PREFIX, requireAuth(ctx));

  router.post(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const settings = parseBody(req, configBody);
    const method = await attachTokenAuth(ctx, orgCallerFor(ctx, req), { identityId, settings });
    res.json({ identityTokenAuth: tokenAuthView(method) });
  });

  router.get(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    res.json({
      identityTokenAuth: tokenAuthView(await readTokenAuth(ctx, orgCallerFor(ctx, req), identityId)),
    });
  });

  router.patch(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const settings = parseBody(req, configBody);
    const updated = await updateTokenAuth(ctx, orgCallerFor(ctx, req), { identityId, settings });
    res.json({ identityTokenAuth: tokenAuthView(updated) });
  });

  router.delete(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const method = await detachTokenAuth(ctx, orgCallerFor(ctx, req), identityId);
    res.json({ identityTokenAuth: tokenAuthView(method) });
  });

  router.post(`${PREFIX}/identities/:identityId/tokens`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, createTokenBody);
    const { response, token } = await createTokenAuthToken(ctx, orgCallerFor(ctx, req), {
      identityId,
      name: body.name,
    });
    res.json({ ...response, tokenData: accessTokenView(token) });
  });

  router.get(`${PREFIX}/identities/:identityId/tokens`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const page = parseQuery(req, listQuery);
    const tokens = await listTokenAuthTokens(ctx, orgCallerFor(ctx, req), { identityId, ...page });
    res.json({ tokens: tokens.map(accessTokenView) });
  });

  router.get(`${PREFIX}/tokens/:tokenId`, async (req, res) => {
    const { tokenId } = parseParams(req, tokenParams);
    res.json({ token: accessTokenView(await readTokenAuthToken(ctx, orgCallerFor(ctx, req), tokenId)) });
  });

  router.patch(`${PREFIX}/tokens/:tokenId`, async (req, res) => {
    const { tokenId } = parseParams(req, tokenParams);
    const body = parseBody(req, createTokenBody);
    const updated = await renameTokenAuthToken(ctx, orgCallerFor(ctx, req), { tokenId, name: body.name });
    res.json({ token: accessTokenView(updated) });
  });

  router.post(`${PREFIX}/tokens/:tokenId/revoke`, async (req, res) => {
    const { tokenId } = parseParams(req, tokenParams);
    await revokeTokenAuthToken(ctx, orgCallerFor(ctx, req), tokenId);
    res.json({ message: 'Successfully revoked access token' });
  });

  return router;
}

const tokenAuthIdentity = `${PREFIX}/identities/:identityId`;

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const tokenAuthRouteDocs = routeDocs('Token Auth', [
  {
    method: 'post',
    path: tokenAuthIdentity,
    summary: 'Attach Token Auth to an identity',
    params: identityParams,
    body: configBody,
  },
  {
    method: 'get',
    path: tokenAuthIdentity,
    summary: 'Read the Token Auth settings of an identity',
    params: identityParams,
  },
  {
    method: 'patch',
    path: tokenAuthIdentity,
    summary: 'Update the Token Auth settings of an identity',
    params: identityParams,
    body: configBody,
  },
  {
    method: 'delete',
    path: tokenAuthIdentity,
    summary: 'Remove Token Auth from an identity',
    params: identityParams,
  },
  {
    method: 'post',
    path: `${tokenAuthIdentity}/tokens`,
    summary: 'Issue a token to an identity',
    params: identityParams,
    body: createTokenBody,
  },
  {
    method: 'get',
    path: `${tokenAuthIdentity}/tokens`,
    summary: 'List the tokens issued to an identity',
    params: identityParams,
    query: listQuery,
  },
  { method: 'get', path: `${PREFIX}/tokens/:tokenId`, summary: 'Read one issued token', params: tokenParams },
  {
    method: 'patch',
    path: `${PREFIX}/tokens/:tokenId`,
    summary: 'Rename an issued token',
    params: tokenParams,
    body: createTokenBody,
  },
  {
    method: 'post',
    path: `${PREFIX}/tokens/:tokenId/revoke`,
    summary: 'Revoke an issued token',
    params: tokenParams,
  },
]);
