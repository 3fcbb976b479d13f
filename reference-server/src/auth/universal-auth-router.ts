import { randomBytes, randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { audit, authOf } from '../context.js';
import { hashClientSecret, verifySecret } from '../crypto/secret-hash.js';
import { identityToManage } from '../shared/identity-access.js';
import { ttlSchema, uuidSchema } from '../shared/schemas.js';
import { badRequest, forbidden, notFound, unauthorized } from '../http/errors.js';
import { ALL_IPS, isIpTrusted } from '../http/ip-match.js';
import { parseBody, parseParams } from '../http/validate.js';
import type { AuthMethodRecord, ClientSecretRecord, UniversalAuthConfig } from '../store/records.js';
import { newTokenRecord, tokenResponse } from './access-tokens.js';
import { requireAuth } from './require-auth.js';
import {
  DEFAULT_TOKEN_SETTINGS,
  definedOnly,
  TTL_ABOVE_MAX_MESSAGE,
  tokenSettingsFields,
  trustedIpsSchema,
  ttlWithinMax,
  patchAuthMethod,
} from './token-settings.js';
import { routeDocs } from '../openapi/route-doc.js';

const PREFIX = '/api/v1/auth/universal-auth';

const loginBody = z.object({
  clientId: z.string().trim().min(1),
  clientSecret: z.string().trim().min(1),
  organizationSlug: z.string().trim().optional(),
});

const configFields = {
  ...tokenSettingsFields,
  clientSecretTrustedIps: trustedIpsSchema.optional(),
  lockoutEnabled: z.boolean().optional(),
  lockoutThreshold: z.number().int().min(1).max(30).optional(),
  lockoutDurationSeconds: z.number().int().min(30).max(86400).optional(),
  lockoutCounterResetSeconds: z.number().int().min(5).max(3600).optional(),
};
/** Universal Auth settings (attach and update bodies; also checked by `kms-server apply`). */
export const universalAuthConfigSchema = z
  .object(configFields)
  .refine(ttlWithinMax, { message: TTL_ABOVE_MAX_MESSAGE, path: ['accessTokenTTL'] });

const clientSecretBody = z.object({
  description: z.string().trim().max(256).default(''),
  numUsesLimit: z.number().int().min(0).default(0),
  ttl: ttlSchema.default(0),
});

const identityParams = z.object({ identityId: uuidSchema });
const clientSecretParams = z.object({ identityId: uuidSchema, clientSecretId: uuidSchema });

const DEFAULT_UA_CONFIG: UniversalAuthConfig = {
  ...DEFAULT_TOKEN_SETTINGS,
  clientSecretTrustedIps: ALL_IPS,
  lockoutEnabled: true,
  lockoutThreshold: 3,
  lockoutDurationSeconds: 300,
  lockoutCounterResetSeconds: 30,
};

/** The `identityUniversalAuth` object the API returns. */
function universalAuthView(m: AuthMethodRecord<UniversalAuthConfig>) {
  return {
    id: m.id,
    clientId: m.clientId,
    identityId: m.identityId,
    ...m.config,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/** The `clientSecretData` object (never the secret or its hash). */
function clientSecretView(s: ClientSecretRecord) {
  return {
    id: s.id,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    description: s.description,
    clientSecretPrefix: s.prefix,
    clientSecretNumUses: s.numUses,
    clientSecretNumUsesLimit: s.numUsesLimit,
    clientSecretTTL: s.ttl,
    identityUAId: s.authMethodId,
    isClientSecretRevoked: s.isRevoked,
  };
}

const LOCKED_MESSAGE = 'This identity auth method is temporarily locked, please try again later';

/** Universal Auth: login, configuration and client secrets (docs/reference/api.md#authentication). */
export function universalAuthRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);
  const { access } = ctx.store;

  async function attachedUniversalAuth(identityId: string) {
    const method = await access.getAuthMethod(identityId, 'universal-auth');
    if (!method) throw notFound(`Failed to find universal auth for identity with ID ${identityId}`);
    return method as AuthMethodRecord<UniversalAuthConfig>;
  }

  /** Counts a failed secret; locks the method at the threshold (one count per failure, across replicas). */
  async function recordFailure(method: AuthMethodRecord<UniversalAuthConfig>, now: number) {
    if (!method.config.lockoutEnabled) return;
    const windowMs = method.config.lockoutCounterResetSeconds * 1000;
    await access.updateLockout(method.id, (current) => {
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

  router.post(`${PREFIX}/login`, async (req, res) => {
    const body = parseBody(req, loginBody);
    const now = ctx.now();
    const iso = new Date(now).toISOString();
    const method = (await access.getAuthMethodByClientId(body.clientId)) as
      | AuthMethodRecord<UniversalAuthConfig>
      | undefined;
    if (method?.method !== 'universal-auth') throw unauthorized('Invalid credentials');
    if (!isIpTrusted(req.ip, method.config.clientSecretTrustedIps)) {
      throw forbidden('You are not allowed to access this resource from the current IP address');
    }
    const lockout = await access.getLockout(method.id);
    if (method.config.lockoutEnabled && lockout?.lockedUntil && lockout.lockedUntil > now)
      throw unauthorized(LOCKED_MESSAGE);

    const candidates = await access.findClientSecretsByPrefix(method.id, body.clientSecret.slice(0, 4));
    const secret = candidates.find((c) => verifySecret(body.clientSecret, c.secretHash));
    if (!secret) {
      await recordFailure(method, now);
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
      { ipAddress: req.ip ?? null, userAgent: req.get('user-agent') ?? null },
    );
    res.json(await tokenResponse(ctx, token, now));
  });

  router.post(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, universalAuthConfigSchema);
    const identity = await identityToManage(ctx, authOf(req), identityId);
    if (await access.getAuthMethod(identity.id, 'universal-auth')) {
      throw badRequest('Failed to add universal auth to already configured identity');
    }
    const iso = new Date(ctx.now()).toISOString();
    const method: AuthMethodRecord<UniversalAuthConfig> = {
      id: randomUUID(),
      identityId: identity.id,
      method: 'universal-auth',
      clientId: randomUUID(),
      config: { ...DEFAULT_UA_CONFIG, ...definedOnly(body) },
      createdAt: iso,
      updatedAt: iso,
    };
    if (!ttlWithinMax(method.config)) throw badRequest('Access token TTL cannot be greater than max TTL');
    await access.insertAuthMethod(method);
    await audit(ctx, req, { type: 'add-identity-universal-auth', metadata: { identityId: identity.id } });
    res.json({ identityUniversalAuth: universalAuthView(method) });
  });

  router.get(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const identity = await identityToManage(ctx, authOf(req), identityId);
    const method = await attachedUniversalAuth(identity.id);
    await audit(ctx, req, { type: 'get-identity-universal-auth', metadata: { identityId } });
    res.json({ identityUniversalAuth: universalAuthView(method) });
  });

  router.patch(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, universalAuthConfigSchema);
    const identity = await identityToManage(ctx, authOf(req), identityId);
    const method = await attachedUniversalAuth(identity.id);
    const updated = patchAuthMethod(method, body, ctx.now());
    await access.updateAuthMethod(updated);
    await audit(ctx, req, { type: 'update-identity-universal-auth', metadata: { identityId } });
    res.json({ identityUniversalAuth: universalAuthView(updated) });
  });

  router.delete(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const identity = await identityToManage(ctx, authOf(req), identityId);
    const method = await attachedUniversalAuth(identity.id);
    await access.deleteAuthMethod(method.id, identity.id, 'universal-auth');
    await audit(ctx, req, { type: 'revoke-identity-universal-auth', metadata: { identityId } });
    res.json({ identityUniversalAuth: universalAuthView(method) });
  });

  router.post(`${PREFIX}/identities/:identityId/client-secrets`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, clientSecretBody);
    const identity = await identityToManage(ctx, authOf(req), identityId);
    const method = await attachedUniversalAuth(identity.id);
    const clientSecret = randomBytes(32).toString('hex');
    const iso = new Date(ctx.now()).toISOString();
    const record: ClientSecretRecord = {
      id: randomUUID(),
      authMethodId: method.id,
      description: body.description,
      prefix: clientSecret.slice(0, 4),
      secretHash: hashClientSecret(clientSecret),
      ttl: body.ttl,
      numUses: 0,
      numUsesLimit: body.numUsesLimit,
      isRevoked: false,
      createdAt: iso,
      updatedAt: iso,
    };
    await access.insertClientSecret(record);
    await audit(ctx, req, {
      type: 'create-identity-universal-auth-client-secret',
      metadata: { identityId, clientSecretId: record.id },
    });
    res.json({ clientSecret, clientSecretData: clientSecretView(record) });
  });

  router.get(`${PREFIX}/identities/:identityId/client-secrets`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const identity = await identityToManage(ctx, authOf(req), identityId);
    const method = await attachedUniversalAuth(identity.id);
    const secrets = await access.listClientSecrets(method.id);
    await audit(ctx, req, { type: 'get-identity-universal-auth-client-secret', metadata: { identityId } });
    res.json({ clientSecretData: secrets.map(clientSecretView) });
  });

  async function clientSecretOf(identityId: string, clientSecretId: string) {
    const method = await attachedUniversalAuth(identityId);
    const secret = await access.getClientSecret(clientSecretId);
    if (!secret || secret.authMethodId !== method.id) {
      throw notFound(`Failed to find client secret with ID ${clientSecretId}`);
    }
    return secret;
  }

  router.get(`${PREFIX}/identities/:identityId/client-secrets/:clientSecretId`, auth, async (req, res) => {
    const { identityId, clientSecretId } = parseParams(req, clientSecretParams);
    await identityToManage(ctx, authOf(req), identityId);
    const secret = await clientSecretOf(identityId, clientSecretId);
    await audit(ctx, req, {
      type: 'get-identity-universal-auth-client-secret-by-id',
      metadata: { identityId, clientSecretId },
    });
    res.json({ clientSecretData: clientSecretView(secret) });
  });

  router.post(
    `${PREFIX}/identities/:identityId/client-secrets/:clientSecretId/revoke`,
    auth,
    async (req, res) => {
      const { identityId, clientSecretId } = parseParams(req, clientSecretParams);
      await identityToManage(ctx, authOf(req), identityId);
      const secret = await clientSecretOf(identityId, clientSecretId);
      const iso = new Date(ctx.now()).toISOString();
      await access.revokeClientSecret(secret.id, iso);
      // As upstream: a revoked client secret no longer authorizes what was issued with it.
      const revokedTokens = await access.revokeAccessTokensOfClientSecret(secret.id, iso);
      await audit(ctx, req, {
        type: 'revoke-identity-universal-auth-client-secret',
        metadata: { identityId, clientSecretId, revokedAccessTokens: revokedTokens },
      });
      res.json({ clientSecretData: clientSecretView({ ...secret, isRevoked: true, updatedAt: iso }) });
    },
  );

  router.post(`${PREFIX}/identities/:identityId/clear-lockouts`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    await identityToManage(ctx, authOf(req), identityId);
    const method = await attachedUniversalAuth(identityId);
    const deleted = await access.clearLockouts(method.id);
    await audit(ctx, req, { type: 'clear-identity-universal-auth-lockouts', metadata: { identityId } });
    res.json({ deleted });
  });

  return router;
}

const uaIdentity = `${PREFIX}/identities/:identityId`;
const uaClientSecrets = `${uaIdentity}/client-secrets`;

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const universalAuthRouteDocs = routeDocs('Universal Auth', [
  {
    method: 'post',
    path: `${PREFIX}/login`,
    summary: 'Log in with a client id and a client secret',
    auth: false,
    body: loginBody,
    deviation: 'D4 (0 means an unlimited TTL); repeated failures lock the method out for a while.',
  },
  {
    method: 'post',
    path: uaIdentity,
    summary: 'Attach Universal Auth to an identity',
    params: identityParams,
    body: universalAuthConfigSchema,
    deviation: 'D4 (the defaults).',
  },
  {
    method: 'get',
    path: uaIdentity,
    summary: 'Read the Universal Auth settings of an identity',
    params: identityParams,
  },
  {
    method: 'patch',
    path: uaIdentity,
    summary: 'Update the Universal Auth settings of an identity',
    params: identityParams,
    body: universalAuthConfigSchema,
  },
  {
    method: 'delete',
    path: uaIdentity,
    summary: 'Remove Universal Auth from an identity',
    params: identityParams,
  },
  {
    method: 'post',
    path: uaClientSecrets,
    summary: 'Create a client secret (shown once)',
    params: identityParams,
    body: clientSecretBody,
  },
  {
    method: 'get',
    path: uaClientSecrets,
    summary: 'List the client secrets of an identity (never their values)',
    params: identityParams,
  },
  {
    method: 'get',
    path: `${uaClientSecrets}/:clientSecretId`,
    summary: 'Read one client secret (never its value)',
    params: clientSecretParams,
  },
  {
    method: 'post',
    path: `${uaClientSecrets}/:clientSecretId/revoke`,
    summary: 'Revoke a client secret and the tokens issued with it',
    params: clientSecretParams,
  },
  {
    method: 'post',
    path: `${uaIdentity}/clear-lockouts`,
    summary: 'Clear the login lockouts of an identity',
    params: identityParams,
  },
]);
