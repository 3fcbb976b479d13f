/**
 * Universal Auth routes (`/api/v1/auth/universal-auth`): parse, call
 * auth/universal-auth-service.ts, shape the answer (never a client secret's hash). No store access.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseBody, parseParams } from '../http/validate.js';
import { routeDocs } from '../openapi/route-doc.js';
import { loginOriginOf, orgCallerFor } from '../shared/callers.js';
import { ttlSchema, uuidSchema } from '../shared/schemas.js';
import type { AuthMethodRecord, ClientSecretRecord, UniversalAuthConfig } from '../store/records.js';
import { requireAuth } from './require-auth.js';
import {
  TTL_ABOVE_MAX_MESSAGE,
  tokenSettingsFields,
  trustedIpsSchema,
  ttlWithinMax,
} from './token-settings.js';
import {
  attachUniversalAuth,
  clearUniversalAuthLockouts,
  createClientSecret,
  detachUniversalAuth,
  listClientSecrets,
  loginUniversalAuth,
  readClientSecret,
  readUniversalAuth,
  revokeClientSecret,
  updateUniversalAuth,
} from './universal-auth-service.js';

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

/** Universal Auth: login, configuration and client secrets (docs/reference/api.md#authentication). */
export function universalAuthRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);

  router.post(`${PREFIX}/login`, async (req, res) => {
    const body = parseBody(req, loginBody);
    res.json(await loginUniversalAuth(ctx, loginOriginOf(req), body));
  });

  router.post(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const settings = parseBody(req, universalAuthConfigSchema);
    const method = await attachUniversalAuth(ctx, orgCallerFor(ctx, req), { identityId, settings });
    res.json({ identityUniversalAuth: universalAuthView(method) });
  });

  router.get(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const method = await readUniversalAuth(ctx, orgCallerFor(ctx, req), identityId);
    res.json({ identityUniversalAuth: universalAuthView(method) });
  });

  router.patch(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const settings = parseBody(req, universalAuthConfigSchema);
    const updated = await updateUniversalAuth(ctx, orgCallerFor(ctx, req), { identityId, settings });
    res.json({ identityUniversalAuth: universalAuthView(updated) });
  });

  router.delete(`${PREFIX}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const method = await detachUniversalAuth(ctx, orgCallerFor(ctx, req), identityId);
    res.json({ identityUniversalAuth: universalAuthView(method) });
  });

  router.post(`${PREFIX}/identities/:identityId/client-secrets`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, clientSecretBody);
    const { clientSecret, record } = await createClientSecret(ctx, orgCallerFor(ctx, req), {
      identityId,
      ...body,
    });
    res.json({ clientSecret, clientSecretData: clientSecretView(record) });
  });

  router.get(`${PREFIX}/identities/:identityId/client-secrets`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const secrets = await listClientSecrets(ctx, orgCallerFor(ctx, req), identityId);
    res.json({ clientSecretData: secrets.map(clientSecretView) });
  });

  router.get(`${PREFIX}/identities/:identityId/client-secrets/:clientSecretId`, auth, async (req, res) => {
    const ids = parseParams(req, clientSecretParams);
    res.json({
      clientSecretData: clientSecretView(await readClientSecret(ctx, orgCallerFor(ctx, req), ids)),
    });
  });

  router.post(
    `${PREFIX}/identities/:identityId/client-secrets/:clientSecretId/revoke`,
    auth,
    async (req, res) => {
      const ids = parseParams(req, clientSecretParams);
      const revoked = await revokeClientSecret(ctx, orgCallerFor(ctx, req), ids);
      res.json({ clientSecretData: clientSecretView(revoked) });
    },
  );

  router.post(`${PREFIX}/identities/:identityId/clear-lockouts`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    res.json({ deleted: await clearUniversalAuthLockouts(ctx, orgCallerFor(ctx, req), identityId) });
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
