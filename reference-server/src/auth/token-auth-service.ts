/**
 * Token Auth services: the method's configuration on an identity and the tokens issued directly
 * to it. Rules and store calls live here; no HTTP, and no token in any audit entry.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../context.js';
import { badRequest, notFound } from '../http/errors.js';
import type { OrgCaller } from '../shared/callers.js';
import { identityToManage } from '../shared/identity-access.js';
import type { AccessTokenRecord, AuthMethodRecord, TokenAuthConfig } from '../store/records.js';
import { newTokenRecord, type TokenResponse, tokenResponse } from './access-tokens.js';
import { DEFAULT_TOKEN_SETTINGS, definedOnly, patchAuthMethod, ttlWithinMax } from './token-settings.js';

/** Token Auth's settings as an attach or update body names them (validated). */
export type TokenAuthSettingsInput = { [K in keyof TokenAuthConfig]?: TokenAuthConfig[K] | undefined };

async function tokenInCallerOrg(ctx: ServerContext, caller: OrgCaller, tokenId: string) {
  const token = await ctx.store.access.getAccessToken(tokenId);
  if (token?.authMethod !== 'token-auth') throw notFound(`Token with ID ${tokenId} not found`);
  await identityToManage(ctx, caller.auth, token.identityId);
  return token;
}

/** Attaches Token Auth to an identity the caller manages. */
export async function attachTokenAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; settings: TokenAuthSettingsInput },
): Promise<AuthMethodRecord<TokenAuthConfig>> {
  const { identityId } = input;
  await identityToManage(ctx, caller.auth, identityId);
  if (await ctx.store.access.getAuthMethod(identityId, 'token-auth')) {
    throw badRequest('Failed to add Token Auth to already configured identity');
  }
  const iso = new Date(ctx.now()).toISOString();
  const method: AuthMethodRecord<TokenAuthConfig> = {
    id: randomUUID(),
    identityId,
    method: 'token-auth',
    clientId: null,
    config: { ...DEFAULT_TOKEN_SETTINGS, ...definedOnly(input.settings) },
    createdAt: iso,
    updatedAt: iso,
  };
  if (!ttlWithinMax(method.config)) throw badRequest('Access token TTL cannot be greater than max TTL');
  await ctx.store.access.insertAuthMethod(method);
  await caller.audit({ type: 'add-identity-token-auth', metadata: { identityId } });
  return method;
}

/** The Token Auth configuration of an identity the caller manages. */
export async function readTokenAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
): Promise<AuthMethodRecord<TokenAuthConfig>> {
  await identityToManage(ctx, caller.auth, identityId);
  const method = await ctx.store.access.getAuthMethod(identityId, 'token-auth');
  if (!method) throw notFound('Token Auth configuration not found for identity');
  // Upstream audits every read of this router (v1/identity-token-auth-router.ts).
  await caller.audit({ type: 'get-identity-token-auth', metadata: { identityId } });
  return method as AuthMethodRecord<TokenAuthConfig>;
}

/** Changes the settings a body names; a TTL above the max TTL is 400. */
export async function updateTokenAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; settings: TokenAuthSettingsInput },
): Promise<AuthMethodRecord<TokenAuthConfig>> {
  const { identityId } = input;
  await identityToManage(ctx, caller.auth, identityId);
  const method = await ctx.store.access.getAuthMethod(identityId, 'token-auth');
  if (!method) throw badRequest('The identity does not have token auth');
  // Compares against the stored TTL when one side is omitted (the upstream bug is not copied).
  const updated = patchAuthMethod(method, input.settings, ctx.now());
  await ctx.store.access.updateAuthMethod(updated);
  await caller.audit({ type: 'update-identity-token-auth', metadata: { identityId } });
  return updated as AuthMethodRecord<TokenAuthConfig>;
}

/** Detaches Token Auth from an identity (its tokens go with it). */
export async function detachTokenAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
): Promise<AuthMethodRecord<TokenAuthConfig>> {
  await identityToManage(ctx, caller.auth, identityId);
  const method = await ctx.store.access.getAuthMethod(identityId, 'token-auth');
  if (!method) throw badRequest('The identity does not have Token Auth');
  await ctx.store.access.deleteAuthMethod(method.id, identityId, 'token-auth');
  await caller.audit({ type: 'revoke-identity-token-auth', metadata: { identityId } });
  return method as AuthMethodRecord<TokenAuthConfig>;
}

/** Issues an access token to an identity with Token Auth; the token response and its record. */
export async function createTokenAuthToken(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; name?: string | undefined },
): Promise<{ response: TokenResponse; token: AccessTokenRecord }> {
  const { identityId } = input;
  const identity = await identityToManage(ctx, caller.auth, identityId);
  const method = await ctx.store.access.getAuthMethod(identityId, 'token-auth');
  if (!method) throw badRequest('The identity does not have Token Auth');
  const now = ctx.now();
  const token = newTokenRecord(identityId, 'token-auth', method.config, now, { name: input.name ?? null });
  await ctx.store.access.insertAccessToken(token);
  await ctx.store.access.updateIdentity({
    ...identity,
    lastLoginAuthMethod: 'token-auth',
    lastLoginTime: token.createdAt,
  });
  await caller.audit({
    type: 'create-token-identity-token-auth',
    metadata: { identityId, identityAccessTokenId: token.id },
  });
  return { response: await tokenResponse(ctx, token, now), token };
}

/** A page of the Token Auth tokens of an identity the caller manages. */
export async function listTokenAuthTokens(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; offset: number; limit: number },
): Promise<AccessTokenRecord[]> {
  await identityToManage(ctx, caller.auth, input.identityId);
  // Upstream (identity-token-auth-service.ts getTokenAuthTokens): 400 without Token Auth.
  if (!(await ctx.store.access.getAuthMethod(input.identityId, 'token-auth')))
    throw badRequest('The identity does not have Token Auth');
  const tokens = await ctx.store.access.listAccessTokens(input.identityId, 'token-auth');
  await caller.audit({ type: 'get-tokens-identity-token-auth', metadata: { identityId: input.identityId } });
  return tokens.slice(input.offset, input.offset + input.limit);
}

/** One Token Auth token of an identity the caller manages. */
export async function readTokenAuthToken(
  ctx: ServerContext,
  caller: OrgCaller,
  tokenId: string,
): Promise<AccessTokenRecord> {
  const token = await tokenInCallerOrg(ctx, caller, tokenId);
  const identity = await ctx.store.access.getIdentity(token.identityId);
  await caller.audit({
    type: 'get-token-identity-token-auth',
    metadata: { identityId: token.identityId, identityName: identity?.name ?? null, tokenId },
  });
  return token;
}

/** Renames a Token Auth token (no name keeps the current one). */
export async function renameTokenAuthToken(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { tokenId: string; name?: string | undefined },
): Promise<AccessTokenRecord> {
  const token = await tokenInCallerOrg(ctx, caller, input.tokenId);
  const updated = { ...token, name: input.name ?? token.name, updatedAt: new Date(ctx.now()).toISOString() };
  await ctx.store.access.renameAccessToken(token.id, updated.name, updated.updatedAt);
  await caller.audit({
    type: 'update-token-identity-token-auth',
    metadata: { identityId: token.identityId, tokenId: input.tokenId, name: input.name ?? null },
  });
  return updated;
}

/** Revokes a Token Auth token; one unknown or already revoked is 404. */
export async function revokeTokenAuthToken(
  ctx: ServerContext,
  caller: OrgCaller,
  tokenId: string,
): Promise<void> {
  const token = await ctx.store.access.getAccessToken(tokenId);
  if (!token || token.isRevoked || token.authMethod !== 'token-auth') {
    throw notFound(`Token with ID ${tokenId} not found or already revoked`);
  }
  await identityToManage(ctx, caller.auth, token.identityId);
  if (!(await ctx.store.access.revokeAccessToken(tokenId, new Date(ctx.now()).toISOString())))
    throw notFound(`Token with ID ${tokenId} not found or already revoked`);
  await caller.audit({
    type: 'revoke-token-identity-token-auth',
    metadata: { identityAccessTokenId: tokenId },
  });
}
