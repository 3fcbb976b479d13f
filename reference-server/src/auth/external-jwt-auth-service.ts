/**
 * OIDC Auth and JWT Auth services: login with a verified JWT, and attaching, reading, updating and
 * detaching the method's configuration. Audits the verified claims, never the JWT; no HTTP here.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ServerContext } from '../context.js';
import { badRequest, notFound, unauthorized } from '../http/errors.js';
import type { LoginOrigin, OrgCaller } from '../shared/callers.js';
import { identityToManage } from '../shared/identity-access.js';
import type { AccessTokenSettings, AuthMethodName, AuthMethodRecord } from '../store/records.js';
import { newTokenRecord, type TokenResponse, tokenResponse } from './access-tokens.js';
import { type KeySource, type RefusalWording, verifyExternalJwt } from './external-jwt.js';
import { DEFAULT_TOKEN_SETTINGS, definedOnly, patchAuthMethod, ttlWithinMax } from './token-settings.js';

/** The bound-claims part shared by both configs. */
export interface BoundFields {
  boundIssuer: string;
  boundAudiences: string;
  boundClaims: Record<string, string>;
  boundSubject: string;
}

/** What distinguishes OIDC Auth from JWT Auth. */
export interface ExternalJwtMethod<C extends AccessTokenSettings & BoundFields> {
  method: Extract<AuthMethodName, 'oidc-auth' | 'jwt-auth'>;
  /** Route prefix, e.g. `/api/v1/auth/oidc-auth`. */
  prefix: string;
  /** Key of the config object in responses (`identityOidcAuth`). */
  responseKey: string;
  /** Audit event names: login, add, update, get, revoke. */
  events: { login: string; add: string; update: string; get: string; revoke: string };
  /** Human name in messages (`OIDC`, `JWT`). */
  label: string;
  shape: z.ZodRawShape;
  defaults: Omit<C, keyof AccessTokenSettings>;
  /** Throws a 422 when a merged config cannot work (e.g. `jwks` without a URL). */
  check(config: C): void;
  keySource(config: C): KeySource;
  wording: RefusalWording;
  /** Config fields upstream leaves out of the answer to a removal (certificates, keys). */
  omittedOnRemove: readonly string[];
  /** Extra login checks on the verified claims (OIDC's claim metadata mapping). */
  claimMetadata?(config: C, claims: Record<string, unknown>): Record<string, unknown>;
}

/** A JWT-based method's settings as an attach or update body names them (validated). */
export type ExternalJwtSettingsInput = Record<string, unknown>;

/** Largest claims object copied into the login's audit entry (upstream's 32 KB rule). */
const MAX_AUDITED_CLAIMS_BYTES = 32 * 1024;

/** Claims for the audit entry: as verified, or a note when they are larger than upstream keeps. */
function auditedClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(claims);
  return Buffer.byteLength(text) > MAX_AUDITED_CLAIMS_BYTES
    ? { omitted: 'claims larger than 32 KB' }
    : claims;
}

/** The login and configuration services of one JWT-based method (OIDC Auth or JWT Auth). */
export function externalJwtAuthService<C extends AccessTokenSettings & BoundFields>(
  spec: ExternalJwtMethod<C>,
) {
  const notConfigured = () =>
    notFound(`${spec.label} auth method not found for identity, did you configure ${spec.label} auth?`);

  // Upstream's words for a method not attached (the get, update and revoke functions of
  // identity-oidc-auth-service.ts and identity-jwt-auth-service.ts): 400, each route its own.
  const notAttached = {
    get: `The identity does not have ${spec.label} Auth attached`,
    update: `Failed to update ${spec.label} Auth`,
    remove: `The identity does not have ${spec.label} auth`,
  };
  async function attached(ctx: ServerContext, identityId: string, refusal: string) {
    const method = await ctx.store.access.getAuthMethod(identityId, spec.method);
    if (!method) throw badRequest(refusal);
    return method as AuthMethodRecord<C>;
  }

  return {
    /** Logs in with a JWT the identity's settings verify; the verified claims are audited, never the JWT. */
    async login(
      ctx: ServerContext,
      origin: LoginOrigin,
      input: { identityId: string; jwt: string },
    ): Promise<TokenResponse> {
      const { access } = ctx.store;
      const now = ctx.now();
      const method = (await access.getAuthMethod(input.identityId, spec.method)) as
        | AuthMethodRecord<C>
        | undefined;
      if (!method) throw notConfigured();
      const identity = await access.getIdentity(method.identityId);
      if (!identity) throw unauthorized('Identity not found');
      const claims = (await verifyExternalJwt(
        input.jwt,
        spec.keySource(method.config),
        method.config,
        spec.wording,
        ctx.signingKeys,
        now,
      )) as Record<string, unknown>;
      const claimMetadata = spec.claimMetadata?.(method.config, claims);
      const iso = new Date(now).toISOString();
      const token = newTokenRecord(identity.id, spec.method, method.config, now);
      await access.insertAccessToken(token);
      await access.updateIdentity({ ...identity, lastLoginAuthMethod: spec.method, lastLoginTime: iso });
      await ctx.audit.record(
        {
          type: spec.events.login,
          metadata: {
            identityId: identity.id,
            identityAccessTokenId: token.id,
            authMethodId: method.id,
            // The verified claims, never the token itself.
            claims: auditedClaims(claims),
            ...(claimMetadata ? { claimMetadata: auditedClaims(claimMetadata) } : {}),
          },
          orgId: identity.orgId,
        },
        { type: 'identity', metadata: { identityId: identity.id, name: identity.name } },
        { ipAddress: origin.ipAddress ?? null, userAgent: origin.userAgent },
      );
      return tokenResponse(ctx, token, now);
    },

    /** Attaches the method to an identity the caller manages; a config that cannot work is 422. */
    async attach(
      ctx: ServerContext,
      caller: OrgCaller,
      input: { identityId: string; settings: ExternalJwtSettingsInput },
    ): Promise<AuthMethodRecord<C>> {
      const { identityId } = input;
      const identity = await identityToManage(ctx, caller.auth, identityId);
      if (await ctx.store.access.getAuthMethod(identity.id, spec.method))
        throw badRequest(`Failed to add ${spec.label} Auth to already configured identity`);
      const config = {
        ...DEFAULT_TOKEN_SETTINGS,
        ...spec.defaults,
        ...definedOnly(input.settings),
      } as unknown as C;
      spec.check(config);
      if (!ttlWithinMax(config)) throw badRequest('Access token TTL cannot be greater than max TTL');
      const iso = new Date(ctx.now()).toISOString();
      const method: AuthMethodRecord<C> = {
        id: randomUUID(),
        identityId: identity.id,
        method: spec.method,
        clientId: null,
        config,
        createdAt: iso,
        updatedAt: iso,
      };
      await ctx.store.access.insertAuthMethod(method as AuthMethodRecord);
      await caller.audit({ type: spec.events.add, metadata: { identityId } });
      return method;
    },

    /** The method's configuration on an identity the caller manages. */
    async read(ctx: ServerContext, caller: OrgCaller, identityId: string): Promise<AuthMethodRecord<C>> {
      const identity = await identityToManage(ctx, caller.auth, identityId);
      const method = await attached(ctx, identity.id, notAttached.get);
      await caller.audit({ type: spec.events.get, metadata: { identityId } });
      return method;
    },

    /** Changes the settings a body names; the merged config must still work. */
    async update(
      ctx: ServerContext,
      caller: OrgCaller,
      input: { identityId: string; settings: ExternalJwtSettingsInput },
    ): Promise<AuthMethodRecord<C>> {
      const { identityId } = input;
      const identity = await identityToManage(ctx, caller.auth, identityId);
      const method = await attached(ctx, identity.id, notAttached.update);
      const updated = patchAuthMethod(method, input.settings, ctx.now());
      spec.check(updated.config);
      await ctx.store.access.updateAuthMethod(updated as AuthMethodRecord);
      await caller.audit({ type: spec.events.update, metadata: { identityId } });
      return updated;
    },

    /** Detaches the method from an identity; every token it issued goes with it. */
    async detach(ctx: ServerContext, caller: OrgCaller, identityId: string): Promise<AuthMethodRecord<C>> {
      const identity = await identityToManage(ctx, caller.auth, identityId);
      const method = await attached(ctx, identity.id, notAttached.remove);
      await ctx.store.access.deleteAuthMethod(method.id, identity.id, spec.method);
      await caller.audit({ type: spec.events.revoke, metadata: { identityId } });
      return method;
    },
  };
}
