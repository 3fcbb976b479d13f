/**
 * Universal Auth services: login with a client id and secret (trusted IPs, lockout, TTL and use
 * limits), the method's configuration and its client secrets. A client secret is returned once, at
 * creation, and stored only as a hash.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerContext } from '../context.js';
import { hashClientSecret, verifySecret } from '../crypto/secret-hash.js';
import { badRequest, forbidden, notFound, unauthorized } from '../http/errors.js';
import { ALL_IPS, isIpTrusted } from '../http/ip-match.js';
import type { LoginOrigin, OrgCaller } from '../shared/callers.js';
import { identityToManage } from '../shared/identity-access.js';
import type { AuthMethodRecord, ClientSecretRecord, UniversalAuthConfig } from '../store/records.js';
import { newTokenRecord, type TokenResponse, tokenResponse } from './access-tokens.js';
import { DEFAULT_TOKEN_SETTINGS, definedOnly, patchAuthMethod, ttlWithinMax } from './token-settings.js';

const DEFAULT_UA_CONFIG: UniversalAuthConfig = {
  ...DEFAULT_TOKEN_SETTINGS,
  clientSecretTrustedIps: ALL_IPS,
  lockoutEnabled: true,
  lockoutThreshold: 3,
  lockoutDurationSeconds: 300,
  lockoutCounterResetSeconds: 30,
};

const LOCKED_MESSAGE = 'This identity auth method is temporarily locked, please try again later';

/** Universal Auth's settings as an attach or update body names them (validated). */
export type UniversalAuthSettingsInput = {
  [K in keyof UniversalAuthConfig]?: UniversalAuthConfig[K] | undefined;
};

/** A new client secret's description, use limit (0: unlimited) and TTL in seconds (0: none). */
export interface ClientSecretInput {
  identityId: string;
  description: string;
  numUsesLimit: number;
  ttl: number;
}

async function attachedUniversalAuth(ctx: ServerContext, identityId: string) {
  const method = await ctx.store.access.getAuthMethod(identityId, 'universal-auth');
  if (!method) throw notFound(`Failed to find universal auth for identity with ID ${identityId}`);
  return method as AuthMethodRecord<UniversalAuthConfig>;
}

/** Counts a failed secret; locks the method at the threshold (one count per failure, across replicas). */
async function recordFailure(ctx: ServerContext, method: AuthMethodRecord<UniversalAuthConfig>, now: number) {
  if (!method.config.lockoutEnabled) return;
  const windowMs = method.config.lockoutCounterResetSeconds * 1000;
  await ctx.store.access.updateLockout(method.id, (current) => {
    const fresh = !current || now - current.windowStartedAt > windowMs;
    const failures = fresh ? 1 : current.failures + 1;
    const lockedUntil =
      failures >= method.config.lockoutThreshold ? now + method.config.lockoutDurationSeconds * 1000 : null;
    return {
      authMethodId: method.id,
      failures: lockedUntil ? 0 : failures,
      windowStartedAt: fresh ? now : (current?.windowStartedAt ?? now),
      lockedUntil,
    };
  });
}

/** Logs in with a client id and secret: trusted IPs, lockout, the secret's TTL and use limit. */
export async function loginUniversalAuth(
  ctx: ServerContext,
  origin: LoginOrigin,
  input: { clientId: string; clientSecret: string },
): Promise<TokenResponse> {
  const { access } = ctx.store;
  const now = ctx.now();
  const iso = new Date(now).toISOString();
  const method = (await access.getAuthMethodByClientId(input.clientId)) as
    | AuthMethodRecord<UniversalAuthConfig>
    | undefined;
  if (method?.method !== 'universal-auth') throw unauthorized('Invalid credentials');
  if (!isIpTrusted(origin.ipAddress, method.config.clientSecretTrustedIps)) {
    throw forbidden('You are not allowed to access this resource from the current IP address');
  }
  const lockout = await access.getLockout(method.id);
  if (method.config.lockoutEnabled && lockout?.lockedUntil && lockout.lockedUntil > now)
    throw unauthorized(LOCKED_MESSAGE);

  const candidates = await access.findClientSecretsByPrefix(method.id, input.clientSecret.slice(0, 4));
  const secret = candidates.find((c) => verifySecret(input.clientSecret, c.secretHash));
  if (!secret) {
    await recordFailure(ctx, method, now);
    throw unauthorized('Invalid credentials');
  }
  // As upstream (identity-ua-service.ts `login`): a matching secret clears the lockout before its
  // own TTL and use limit are checked, and an expired secret is revoked.
  if (lockout) await access.clearLockouts(method.id);
  if (secret.ttl > 0 && Date.parse(secret.createdAt) + secret.ttl * 1000 < now) {
    await access.revokeClientSecret(secret.id, iso);
    throw unauthorized('Access denied due to expired client secret');
  }
  // A used-up secret stays listed as such (numUses == limit), not revoked: every later login with
  // it, concurrent or not, gets the same answer and none counts toward the lockout (decision D16).
  if (!(await access.consumeClientSecretUse(secret.id, iso))) {
    throw unauthorized('Access denied due to client secret usage limit reached');
  }

  const identity = await access.getIdentity(method.identityId);
  if (!identity) throw unauthorized('Invalid credentials');
  const token = newTokenRecord(identity.id, 'universal-auth', method.config, now, {
    clientSecretId: secret.id,
  });
  await access.insertAccessToken(token);
  await access.updateIdentity({ ...identity, lastLoginAuthMethod: 'universal-auth', lastLoginTime: iso });
  await ctx.audit.record(
    {
      type: 'login-identity-universal-auth',
      metadata: {
        clientSecretId: secret.id,
        identityId: identity.id,
        identityAccessTokenId: token.id,
        identityUniversalAuthId: method.id,
      },
      orgId: identity.orgId,
    },
    { type: 'identity', metadata: { identityId: identity.id, name: identity.name } },
    { ipAddress: origin.ipAddress ?? null, userAgent: origin.userAgent },
  );
  return tokenResponse(ctx, token, now);
}

/** Attaches Universal Auth (with a new client id) to an identity the caller manages. */
export async function attachUniversalAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; settings: UniversalAuthSettingsInput },
): Promise<AuthMethodRecord<UniversalAuthConfig>> {
  const identity = await identityToManage(ctx, caller.auth, input.identityId);
  if (await ctx.store.access.getAuthMethod(identity.id, 'universal-auth')) {
    throw badRequest('Failed to add universal auth to already configured identity');
  }
  const iso = new Date(ctx.now()).toISOString();
  const method: AuthMethodRecord<UniversalAuthConfig> = {
    id: randomUUID(),
    identityId: identity.id,
    method: 'universal-auth',
    clientId: randomUUID(),
    config: { ...DEFAULT_UA_CONFIG, ...definedOnly(input.settings) },
    createdAt: iso,
    updatedAt: iso,
  };
  if (!ttlWithinMax(method.config)) throw badRequest('Access token TTL cannot be greater than max TTL');
  await ctx.store.access.insertAuthMethod(method);
  await caller.audit({ type: 'add-identity-universal-auth', metadata: { identityId: identity.id } });
  return method;
}

/** The Universal Auth configuration of an identity the caller manages. */
export async function readUniversalAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
): Promise<AuthMethodRecord<UniversalAuthConfig>> {
  const identity = await identityToManage(ctx, caller.auth, identityId);
  const method = await attachedUniversalAuth(ctx, identity.id);
  await caller.audit({ type: 'get-identity-universal-auth', metadata: { identityId } });
  return method;
}

/** Changes the settings a body names; a TTL above the max TTL is 400. */
export async function updateUniversalAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; settings: UniversalAuthSettingsInput },
): Promise<AuthMethodRecord<UniversalAuthConfig>> {
  const { identityId } = input;
  const identity = await identityToManage(ctx, caller.auth, identityId);
  const method = await attachedUniversalAuth(ctx, identity.id);
  const updated = patchAuthMethod(method, input.settings, ctx.now());
  await ctx.store.access.updateAuthMethod(updated);
  await caller.audit({ type: 'update-identity-universal-auth', metadata: { identityId } });
  return updated;
}

/** Detaches Universal Auth from an identity (its client secrets go with it). */
export async function detachUniversalAuth(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
): Promise<AuthMethodRecord<UniversalAuthConfig>> {
  const identity = await identityToManage(ctx, caller.auth, identityId);
  const method = await attachedUniversalAuth(ctx, identity.id);
  await ctx.store.access.deleteAuthMethod(method.id, identity.id, 'universal-auth');
  await caller.audit({ type: 'revoke-identity-universal-auth', metadata: { identityId } });
  return method;
}

/** Creates a client secret; the secret itself is returned once, only its hash is stored. */
export async function createClientSecret(
  ctx: ServerContext,
  caller: OrgCaller,
  input: ClientSecretInput,
): Promise<{ clientSecret: string; record: ClientSecretRecord }> {
  const { identityId } = input;
  const identity = await identityToManage(ctx, caller.auth, identityId);
  const method = await attachedUniversalAuth(ctx, identity.id);
  const clientSecret = randomBytes(32).toString('hex');
  const iso = new Date(ctx.now()).toISOString();
  const record: ClientSecretRecord = {
    id: randomUUID(),
    authMethodId: method.id,
    description: input.description,
    prefix: clientSecret.slice(0, 4),
    secretHash: hashClientSecret(clientSecret),
    ttl: input.ttl,
    numUses: 0,
    numUsesLimit: input.numUsesLimit,
    isRevoked: false,
    createdAt: iso,
    updatedAt: iso,
  };
  await ctx.store.access.insertClientSecret(record);
  await caller.audit({
    type: 'create-identity-universal-auth-client-secret',
    metadata: { identityId, clientSecretId: record.id },
  });
  return { clientSecret, record };
}

/** The client secrets of an identity the caller manages (records only, never a secret). */
export async function listClientSecrets(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
): Promise<ClientSecretRecord[]> {
  const identity = await identityToManage(ctx, caller.auth, identityId);
  const method = await attachedUniversalAuth(ctx, identity.id);
  const secrets = await ctx.store.access.listClientSecrets(method.id);
  await caller.audit({ type: 'get-identity-universal-auth-client-secret', metadata: { identityId } });
  return secrets;
}

async function clientSecretOf(ctx: ServerContext, identityId: string, clientSecretId: string) {
  const method = await attachedUniversalAuth(ctx, identityId);
  const secret = await ctx.store.access.getClientSecret(clientSecretId);
  if (!secret || secret.authMethodId !== method.id) {
    throw notFound(`Failed to find client secret with ID ${clientSecretId}`);
  }
  return secret;
}

/** One client secret's record of an identity the caller manages. */
export async function readClientSecret(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; clientSecretId: string },
): Promise<ClientSecretRecord> {
  const { identityId, clientSecretId } = input;
  await identityToManage(ctx, caller.auth, identityId);
  const secret = await clientSecretOf(ctx, identityId, clientSecretId);
  await caller.audit({
    type: 'get-identity-universal-auth-client-secret-by-id',
    metadata: { identityId, clientSecretId },
  });
  return secret;
}

/** Revokes a client secret and, as upstream, the access tokens issued with it. */
export async function revokeClientSecret(
  ctx: ServerContext,
  caller: OrgCaller,
  input: { identityId: string; clientSecretId: string },
): Promise<ClientSecretRecord> {
  const { identityId, clientSecretId } = input;
  await identityToManage(ctx, caller.auth, identityId);
  const secret = await clientSecretOf(ctx, identityId, clientSecretId);
  const iso = new Date(ctx.now()).toISOString();
  await ctx.store.access.revokeClientSecret(secret.id, iso);
  const revokedTokens = await ctx.store.access.revokeAccessTokensOfClientSecret(secret.id, iso);
  await caller.audit({
    type: 'revoke-identity-universal-auth-client-secret',
    metadata: { identityId, clientSecretId, revokedAccessTokens: revokedTokens },
  });
  return { ...secret, isRevoked: true, updatedAt: iso };
}

/** Lifts the lockouts of an identity's Universal Auth; how many were cleared. */
export async function clearUniversalAuthLockouts(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
): Promise<number> {
  await identityToManage(ctx, caller.auth, identityId);
  const method = await attachedUniversalAuth(ctx, identityId);
  const deleted = await ctx.store.access.clearLockouts(method.id);
  await caller.audit({ type: 'clear-identity-universal-auth-lockouts', metadata: { identityId } });
  return deleted;
}
