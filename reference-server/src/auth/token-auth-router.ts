import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { audit, authOf } from '../context.js';
import { identityToManage } from '../shared/identity-access.js';
import { uuidSchema } from '../shared/schemas.js';
import { badRequest, notFound } from '../http/errors.js';
import { parseBody, parseParams, parseQuery } from '../http/validate.js';
import type { AccessTokenRecord, AuthMethodRecord, TokenAuthConfig } from '../store/records.js';
import { newTokenRecord, tokenResponse } from './access-tokens.js';
import { requireAuth } from './require-auth.js';
import {
  DEFAULT_TOKEN_SETTINGS,
  definedOnly,
  TTL_ABOVE_MAX_MESSAGE,
  tokenSettingsFields,
  ttlWithinMax,
  patchAuthMethod,
} from './token-settings.js';
import { routeDocs } from '../openapi/route-doc.js';

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
  const { access } = ctx.store;

  async function attached(identityId: string) {
    const method = await access.getAuthMethod(identityId, 'token-auth');
    if (!method) throw notFound('Token Auth configuration not found for identity');
    return method as AuthMethodRecord<TokenAuthConfig>;
  }

  async function tokenInCallerOrg(req: Parameters<typeof authOf>[0], tokenId: string) {
    const token = await access.getAccessToken(tokenId);
    if (token?.authMethod !== 'token-auth') throw notFound(`Token with ID ${tokenId} not found`);
    await identityToManage(ctx, authOf(req), token.identityId);
    return token;
  }

  router.post(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, configBody);
    await identityToManage(ctx, authOf(req), identityId);
    if (await access.getAuthMethod(identityId, 'token-auth')) {
      throw badRequest('Failed to add Token Auth to already configured identity');
    }
    const iso = new Date(ctx.now()).toISOString();
    const method: AuthMethodRecord<TokenAuthConfig> = {
      id: randomUUID(),
      identityId,
      method: 'token-auth',
      clientId: null,
      config: { ...DEFAULT_TOKEN_SETTINGS, ...definedOnly(body) },
      createdAt: iso,
      updatedAt: iso,
    };
    if (!ttlWithinMax(method.config)) throw badRequest('Access token TTL cannot be greater than max TTL');
    await access.insertAuthMethod(method);
    await audit(ctx, req, { type: 'add-identity-token-auth', metadata: { identityId } });
    res.json({ identityTokenAuth: tokenAuthView(method) });
  });

  router.get(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    await identityToManage(ctx, authOf(req), identityId);
    res.json({ identityTokenAuth: tokenAuthView(await attached(identityId)) });
  });

  router.patch(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, configBody);
    await identityToManage(ctx, authOf(req), identityId);
    const method = await access.getAuthMethod(identityId, 'token-auth');
    if (!method) throw badRequest('The identity does not have token auth');
    // Compares against the stored TTL when one side is omitted (the upstream bug is not copied).
    const updated = patchAuthMethod(method, body, ctx.now());
    await access.updateAuthMethod(updated);
    await audit(ctx, req, { type: 'update-identity-token-auth', metadata: { identityId } });
    res.json({ identityTokenAuth: tokenAuthView(updated as AuthMethodRecord<TokenAuthConfig>) });
  });

  router.delete(`${PREFIX}/identities/:identityId`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    await identityToManage(ctx, authOf(req), identityId);
    const method = await access.getAuthMethod(identityId, 'token-auth');
    if (!method) throw badRequest('The identity does not have Token Auth');
    await access.deleteAuthMethod(method.id, identityId, 'token-auth');
    await audit(ctx, req, { type: 'revoke-identity-token-auth', metadata: { identityId } });
    res.json({ identityTokenAuth: tokenAuthView(method as AuthMethodRecord<TokenAuthConfig>) });
  });

  router.post(`${PREFIX}/identities/:identityId/tokens`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, createTokenBody);
    const identity = await identityToManage(ctx, authOf(req), identityId);
    const method = await access.getAuthMethod(identityId, 'token-auth');
    if (!method) throw badRequest('The identity does not have Token Auth');
    const now = ctx.now();
    const token = newTokenRecord(identityId, 'token-auth', method.config, now, { name: body.name ?? null });
    await access.insertAccessToken(token);
    await access.updateIdentity({
      ...identity,
      lastLoginAuthMethod: 'token-auth',
      lastLoginTime: token.createdAt,
    });
    await audit(ctx, req, {
      type: 'create-token-identity-token-auth',
      metadata: { identityId, identityAccessTokenId: token.id },
    });
    res.json({ ...(await tokenResponse(ctx, token, now)), tokenData: accessTokenView(token) });
  });

  router.get(`${PREFIX}/identities/:identityId/tokens`, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const { offset, limit } = parseQuery(req, listQuery);
    await identityToManage(ctx, authOf(req), identityId);
    const tokens = await access.listAccessTokens(identityId, 'token-auth');
    res.json({ tokens: tokens.slice(offset, offset + limit).map(accessTokenView) });
  });

  router.get(`${PREFIX}/tokens/:tokenId`, async (req, res) => {
    const { tokenId } = parseParams(req, tokenParams);
    res.json({ token: accessTokenView(await tokenInCallerOrg(req, tokenId)) });
  });

  router.patch(`${PREFIX}/tokens/:tokenId`, async (req, res) => {
    const { tokenId } = parseParams(req, tokenParams);
    const body = parseBody(req, createTokenBody);
    const token = await tokenInCallerOrg(req, tokenId);
    const updated = { ...token, name: body.name ?? token.name, updatedAt: new Date(ctx.now()).toISOString() };
    await access.renameAccessToken(token.id, updated.name, updated.updatedAt);
    res.json({ token: accessTokenView(updated) });
  });

  router.post(`${PREFIX}/tokens/:tokenId/revoke`, async (req, res) => {
    const { tokenId } = parseParams(req, tokenParams);
    const token = await access.getAccessToken(tokenId);
    if (!token || token.isRevoked || token.authMethod !== 'token-auth') {
      throw notFound(`Token with ID ${tokenId} not found or already revoked`);
    }
    await identityToManage(ctx, authOf(req), token.identityId);
    if (!(await access.revokeAccessToken(tokenId, new Date(ctx.now()).toISOString())))
      throw notFound(`Token with ID ${tokenId} not found or already revoked`);
    await audit(ctx, req, {
      type: 'revoke-token-identity-token-auth',
      metadata: { identityAccessTokenId: tokenId },
    });
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
