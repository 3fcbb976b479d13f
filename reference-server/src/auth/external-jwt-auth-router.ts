/**
 * OIDC Auth (`/api/v1/auth/oidc-auth`) and JWT Auth (`/api/v1/auth/jwt-auth`): one router factory
 * for both, since they differ only in where the signing keys come from and how refusals are worded
 * (docs/reference/api.md#authentication; docs/oidc-spiffe.md). The verification is auth/external-jwt.ts.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { unauthorized, ValidationError } from '../http/errors.js';
import { parseBody, parseParams } from '../http/validate.js';
import { routeDocs } from '../openapi/route-doc.js';
import { loginOriginOf, orgCallerFor } from '../shared/callers.js';
import { uuidSchema } from '../shared/schemas.js';
import type { AccessTokenSettings, AuthMethodRecord } from '../store/records.js';
import { claimAt, splitList } from './external-jwt.js';
import {
  type BoundFields,
  type ExternalJwtMethod,
  externalJwtAuthService,
} from './external-jwt-auth-service.js';
import { requireAuth } from './require-auth.js';
import { TTL_ABOVE_MAX_MESSAGE, tokenSettingsFields, ttlWithinMax } from './token-settings.js';

/** OIDC Auth configuration of an identity. */
export interface OidcAuthConfig extends AccessTokenSettings, BoundFields {
  oidcDiscoveryUrl: string;
  caCert: string;
  claimMetadataMapping: Record<string, string>;
}

/** JWT Auth configuration of an identity. */
export interface JwtAuthConfig extends AccessTokenSettings, BoundFields {
  configurationType: 'jwks' | 'static';
  jwksUrl: string;
  jwksCaCert: string;
  publicKeys: string[];
}

// ---- field schemas

/** `"a,b , c"` → `"a, b, c"`, as upstream stores comma lists. */
const commaList = z
  .string()
  .max(4096)
  .transform((s) => splitList(s).join(', '));
const claimsRecord = z
  .record(z.string().trim().min(1).max(256), commaList)
  .refine((r) => Object.keys(r).length <= 50, 'At most 50 bound claims');
const providerUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, 'must be an http or https URL');
const pemCert = z
  .string()
  .max(65536)
  .refine((s) => {
    if (s.trim() === '') return true;
    try {
      new X509Certificate(s);
      return true;
    } catch {
      return false;
    }
  }, 'must be a PEM-encoded X.509 certificate');
const pemPublicKey = z
  .string()
  .max(16384)
  .refine((s) => {
    try {
      return createPublicKey(s).type === 'public';
    } catch {
      return false;
    }
  }, 'must be a PEM-encoded public key');

const boundShape = {
  boundIssuer: z.string().trim().max(2048),
  boundAudiences: commaList,
  boundClaims: claimsRecord,
  boundSubject: z.string().trim().max(2048),
};

const oidcShape = {
  ...tokenSettingsFields,
  oidcDiscoveryUrl: providerUrl.optional(),
  caCert: pemCert.optional(),
  boundIssuer: boundShape.boundIssuer.min(1).optional(),
  boundAudiences: boundShape.boundAudiences.optional(),
  boundClaims: boundShape.boundClaims.optional(),
  claimMetadataMapping: z
    .record(z.string().trim().min(1).max(256), z.string().trim().min(1).max(256))
    .refine((r) => Object.keys(r).length <= 50, 'At most 50 mapped claims')
    .optional(),
  boundSubject: boundShape.boundSubject.optional(),
};
const jwtShape = {
  ...tokenSettingsFields,
  configurationType: z.enum(['jwks', 'static']).optional(),
  jwksUrl: z.union([z.literal(''), providerUrl]).optional(),
  jwksCaCert: pemCert.optional(),
  publicKeys: z.array(pemPublicKey).max(20).optional(),
  boundIssuer: boundShape.boundIssuer.optional(),
  boundAudiences: boundShape.boundAudiences.optional(),
  boundClaims: boundShape.boundClaims.optional(),
  boundSubject: boundShape.boundSubject.optional(),
};

const withTtlRule = <S extends z.ZodRawShape>(shape: S) =>
  z.object(shape).refine(ttlWithinMax, { message: TTL_ABOVE_MAX_MESSAGE, path: ['accessTokenTTL'] });

/** OIDC Auth and JWT Auth settings as attached (also checked by `kms-server apply`). */
export const oidcAuthConfigSchema = withTtlRule(oidcShape);
export const jwtAuthConfigSchema = withTtlRule(jwtShape);

const loginBody = z.object({
  identityId: uuidSchema,
  // A JWT-SVID is well under 4 KB, but OIDC ID tokens with group claims can run to tens of KB;
  // this bound keeps the work of one login small. An empty one is upstream's 401 `Invalid JWT`.
  jwt: z.string().trim().max(65536),
  organizationSlug: z.string().trim().max(64).optional(),
});
const identityParams = z.object({ identityId: uuidSchema });

const invalid = (path: string, message: string) =>
  new ValidationError([{ code: 'custom', message, path: ['body', path] }]);

/** OIDC Auth (docs/reference/api.md#authentication). */
export const oidcAuth: ExternalJwtMethod<OidcAuthConfig> = {
  method: 'oidc-auth',
  prefix: '/api/v1/auth/oidc-auth',
  responseKey: 'identityOidcAuth',
  events: {
    login: 'login-identity-oidc-auth',
    add: 'add-identity-oidc-auth',
    update: 'update-identity-oidc-auth',
    get: 'get-identity-oidc-auth',
    revoke: 'revoke-identity-oidc-auth',
  },
  label: 'OIDC',
  shape: oidcShape,
  defaults: {
    oidcDiscoveryUrl: '',
    caCert: '',
    boundIssuer: '',
    boundAudiences: '',
    boundClaims: {},
    claimMetadataMapping: {},
    boundSubject: '',
  },
  check(config) {
    if (!config.oidcDiscoveryUrl) throw invalid('oidcDiscoveryUrl', 'oidcDiscoveryUrl is required');
    if (!config.boundIssuer) throw invalid('boundIssuer', 'boundIssuer is required');
  },
  keySource: (c) => ({ kind: 'oidc', discoveryUrl: c.oidcDiscoveryUrl, caCert: c.caCert }),
  omittedOnRemove: ['caCert'],
  // Upstream's words: backend/src/services/identity-oidc-auth/identity-oidc-auth-service.ts (login).
  // A token without `sub` or `aud` gets the same refusal as one with a value not allowed.
  wording: {
    issuer: 'jose',
    subjectNotAllowed: { status: 403, message: 'Access denied: OIDC subject not allowed.' },
    audienceNotAllowed: 'Access denied: OIDC audience not allowed.',
    claimMissing: (claim) => `Access denied: token has no ${claim} field`,
    claimNotAllowed: () => 'Access denied: OIDC claim not allowed.',
    keyNotFound: (kid) =>
      `Unable to verify JWT signature. The signing key '${kid}' was not found in the OIDC provider's JWKS endpoint. This may indicate an invalid token or misconfigured OIDC provider.`,
    noKeyVerified: (reason) => `Unable to verify JWT signature with any available signing key. ${reason}`,
    tooManyKeys: (count, limit) =>
      `OIDC provider has ${count} signing keys. Tokens must include 'kid' header when provider has more than ${limit} keys.`,
    noKeys: "No signing keys available from OIDC provider's JWKS endpoint.",
  },
  claimMetadata(config, claims) {
    const mapped: Record<string, unknown> = {};
    for (const [name, path] of Object.entries(config.claimMetadataMapping)) {
      const value = claimAt(claims, path);
      if (value === undefined || value === null)
        throw unauthorized(`Access denied: token has no ${path} field`);
      mapped[name] = value;
    }
    return mapped;
  },
};

/** JWT Auth (docs/reference/api.md#authentication). */
export const jwtAuth: ExternalJwtMethod<JwtAuthConfig> = {
  method: 'jwt-auth',
  prefix: '/api/v1/auth/jwt-auth',
  responseKey: 'identityJwtAuth',
  events: {
    login: 'login-identity-jwt-auth',
    add: 'add-identity-jwt-auth',
    update: 'update-identity-jwt-auth',
    get: 'get-identity-jwt-auth',
    revoke: 'revoke-identity-jwt-auth',
  },
  label: 'JWT',
  shape: jwtShape,
  defaults: {
    configurationType: 'jwks',
    jwksUrl: '',
    jwksCaCert: '',
    publicKeys: [],
    boundIssuer: '',
    boundAudiences: '',
    boundClaims: {},
    boundSubject: '',
  },
  check(config) {
    if (config.configurationType === 'jwks' && !config.jwksUrl)
      throw invalid('jwksUrl', 'jwksUrl is required when configurationType is jwks');
    if (config.configurationType === 'static' && config.publicKeys.length === 0)
      throw invalid('publicKeys', 'at least one public key is required when configurationType is static');
  },
  keySource: (c) =>
    c.configurationType === 'static'
      ? { kind: 'static', publicKeys: c.publicKeys }
      : { kind: 'jwks', jwksUrl: c.jwksUrl, caCert: c.jwksCaCert },
  omittedOnRemove: ['jwksCaCert', 'publicKeys'],
  // Upstream's words: backend/src/services/identity-jwt-auth/identity-jwt-auth-service.ts (login).
  // Upstream has no words for the key refusals (a JWKS without the token's key is its 500): D25.
  wording: {
    issuer: { status: 403, message: 'Access denied: issuer mismatch' },
    subjectMissing: 'Access denied: token has no subject field',
    subjectNotAllowed: { status: 403, message: 'Access denied: subject not allowed' },
    audienceMissing: 'Access denied: token has no audience field',
    audienceNotAllowed: 'Access denied: token audience not allowed',
    claimMissing: (claim) => `Access denied: token has no ${claim} field`,
    claimNotAllowed: (claim) => `Access denied: claim mismatch for field ${claim}`,
    keyNotFound: (kid) => `the signing key '${kid}' was not found in the provider's JWKS`,
    noKeyVerified: (reason) => reason,
    tooManyKeys: (_count, limit) => `the token has no kid and the provider publishes more than ${limit} keys`,
    noKeys: "the provider's JWKS has no usable key",
  },
};

/** The config object as the API returns it, without the fields named in `omit`. */
function configView<C>(m: AuthMethodRecord<C>, omit: readonly string[] = []) {
  const config = Object.fromEntries(
    Object.entries(m.config as object).filter(([key]) => !omit.includes(key)),
  );
  return { id: m.id, identityId: m.identityId, ...config, createdAt: m.createdAt, updatedAt: m.updatedAt };
}

/** The login and configuration routes of one JWT-based method. */
export function externalJwtAuthRouter<C extends AccessTokenSettings & BoundFields>(
  ctx: ServerContext,
  spec: ExternalJwtMethod<C>,
): Router {
  const router = Router();
  const auth = requireAuth(ctx);
  const service = externalJwtAuthService(spec);
  const attachBody = withTtlRule(spec.shape);

  router.post(`${spec.prefix}/login`, async (req: Request, res) => {
    const body = parseBody(req, loginBody);
    res.json(await service.login(ctx, loginOriginOf(req), body));
  });

  router.post(`${spec.prefix}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const settings = parseBody(req, attachBody);
    const method = await service.attach(ctx, orgCallerFor(ctx, req), { identityId, settings });
    res.json({ [spec.responseKey]: configView(method) });
  });

  router.get(`${spec.prefix}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    res.json({ [spec.responseKey]: configView(await service.read(ctx, orgCallerFor(ctx, req), identityId)) });
  });

  router.patch(`${spec.prefix}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const settings = parseBody(req, attachBody);
    const updated = await service.update(ctx, orgCallerFor(ctx, req), { identityId, settings });
    res.json({ [spec.responseKey]: configView(updated) });
  });

  router.delete(`${spec.prefix}/identities/:identityId`, auth, async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    res.json({
      [spec.responseKey]: configView(
        await service.detach(ctx, orgCallerFor(ctx, req), identityId),
        spec.omittedOnRemove,
      ),
    });
  });

  return router;
}

/** One JWT-based method's routes, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
function externalJwtRouteDocs<C extends AccessTokenSettings & BoundFields>(
  spec: ExternalJwtMethod<C>,
  tag: 'OIDC Auth' | 'JWT Auth',
) {
  const item = `${spec.prefix}/identities/:identityId`;
  const attachBody = withTtlRule(spec.shape);
  return routeDocs(tag, [
    {
      method: 'post',
      path: `${spec.prefix}/login`,
      summary: `Log in with a JWT verified by the identity's ${spec.label} settings`,
      auth: false,
      body: loginBody,
    },
    {
      method: 'post',
      path: item,
      summary: `Attach ${spec.label} Auth to an identity`,
      params: identityParams,
      body: attachBody,
    },
    {
      method: 'get',
      path: item,
      summary: `Read the ${spec.label} Auth settings of an identity`,
      params: identityParams,
    },
    {
      method: 'patch',
      path: item,
      summary: `Update the ${spec.label} Auth settings of an identity`,
      params: identityParams,
      body: attachBody,
    },
    {
      method: 'delete',
      path: item,
      summary: `Remove ${spec.label} Auth from an identity`,
      params: identityParams,
    },
  ]);
}

/** The OIDC and JWT Auth routes, as the OpenAPI document describes them. */
export const externalJwtAuthRouteDocs = [
  ...externalJwtRouteDocs(oidcAuth, 'OIDC Auth'),
  ...externalJwtRouteDocs(jwtAuth, 'JWT Auth'),
];
