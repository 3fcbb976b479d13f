/**
 * Renewing and revoking an access token, audited as the identity that holds it (these calls carry
 * no Authorization header). The token rules themselves are auth/access-tokens.ts.
 */
import type { ServerContext } from '../context.js';
import type { LoginOrigin } from '../shared/callers.js';
import type { AccessTokenRecord } from '../store/records.js';
import { renewAccessToken, revokeAccessToken, type TokenResponse } from './access-tokens.js';

/** Renew and revoke carry no Authorization header, so the actor comes from the token itself. */
async function auditTokenEvent(
  ctx: ServerContext,
  origin: LoginOrigin,
  type: string,
  token: AccessTokenRecord,
) {
  const identity = await ctx.store.access.getIdentity(token.identityId);
  await ctx.audit.record(
    {
      type,
      metadata: { identityId: token.identityId, identityAccessTokenId: token.id },
      orgId: identity?.orgId ?? null,
    },
    { type: 'identity', metadata: { identityId: token.identityId, name: identity?.name ?? null } },
    { ipAddress: origin.ipAddress ?? null, userAgent: origin.userAgent },
  );
}

/** Renews an access token (auth/access-tokens.ts has the rules) and audits it as its identity. */
export async function renewToken(
  ctx: ServerContext,
  origin: LoginOrigin,
  input: { accessToken: string },
): Promise<TokenResponse> {
  const { response, token } = await renewAccessToken(ctx, input.accessToken);
  await auditTokenEvent(ctx, origin, 'renew-identity-access-token', token);
  return response;
}

/** Revokes an access token and audits it as its identity. */
export async function revokeToken(
  ctx: ServerContext,
  origin: LoginOrigin,
  input: { accessToken: string },
): Promise<void> {
  const token = await revokeAccessToken(ctx, input.accessToken);
  await auditTokenEvent(ctx, origin, 'revoke-identity-access-token', token);
}
