/**
 * Identity access tokens: signing and verifying the JWT, the token record a login issues, use
 * counting, renewal and revocation. Never logs or returns a token outside the login response.
 */
import { createHmac, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { ServerContext } from '../context.js';
import { badRequest, forbidden, tokenError, unauthorized } from '../http/errors.js';
import { isIpTrusted } from '../http/ip-match.js';
import type { AccessTokenForRequest } from '../store/contract.js';
import type { AccessTokenRecord, AccessTokenSettings, AuthMethodName, TrustedIp } from '../store/records.js';

/** Claims of an identity access token, as upstream issues them. */
export interface AccessTokenClaims {
  identityId: string;
  identityAccessTokenId: string;
  authTokenType: string;
  clientSecretId?: string;
}

/** The login / renew response body. */
export interface TokenResponse {
  accessToken: string;
  expiresIn: number;
  accessTokenMaxTTL: number;
  tokenType: 'Bearer';
}

const PERIODIC_MAX_TTL = 1_000_000_000;

/** Signs a JWT for a token row; no `exp` when the TTL is 0 (never expires). */
export async function signAccessToken(ctx: ServerContext, token: AccessTokenRecord, issuedAtMs: number) {
  const claims: AccessTokenClaims = {
    identityId: token.identityId,
    identityAccessTokenId: token.id,
    authTokenType: 'identityAccessToken',
    ...(token.clientSecretId ? { clientSecretId: token.clientSecretId } : {}),
  };
  const lifetime = token.period > 0 ? token.period : token.ttl;
  const iat = Math.floor(issuedAtMs / 1000);
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(iat);
  if (lifetime > 0) jwt.setExpirationTime(iat + lifetime);
  return jwt.sign(await ctx.jwtKey());
}

/** Response body for a freshly issued or renewed token. */
export async function tokenResponse(
  ctx: ServerContext,
  token: AccessTokenRecord,
  issuedAtMs: number,
): Promise<TokenResponse> {
  return {
    accessToken: await signAccessToken(ctx, token, issuedAtMs),
    expiresIn: token.period > 0 ? token.period : token.ttl,
    accessTokenMaxTTL: token.period > 0 ? PERIODIC_MAX_TTL : token.maxTtl,
    tokenType: 'Bearer',
  };
}

/** A new token row from an auth method's settings. */
export function newTokenRecord(
  identityId: string,
  method: AuthMethodName,
  settings: AccessTokenSettings,
  nowMs: number,
  extra: { name?: string | null; clientSecretId?: string | null } = {},
): AccessTokenRecord {
  const iso = new Date(nowMs).toISOString();
  return {
    id: randomUUID(),
    identityId,
    authMethod: method,
    name: extra.name ?? null,
    clientSecretId: extra.clientSecretId ?? null,
    ttl: settings.accessTokenTTL,
    maxTtl: settings.accessTokenMaxTTL,
    numUses: 0,
    numUsesLimit: settings.accessTokenNumUsesLimit,
    period: settings.accessTokenPeriod,
    trustedIps: settings.accessTokenTrustedIps,
    isRevoked: false,
    lastUsedAt: null,
    lastRenewedAt: null,
    createdAtMs: nowMs,
    renewedAtMs: nowMs,
    createdAt: iso,
    updatedAt: iso,
  };
}

/** The protected header every token of this server carries, base64url-encoded as signed. */
const OWN_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * Synchronous check of a token in exactly the form this server signs (header
 * `{"alg":"HS256","typ":"JWT"}`, canonical base64url HMAC-SHA256 signature, no `nbf`,
 * numeric `iat`/`exp`, not expired). Returns undefined for anything else, which then goes
 * through jose and gets jose's verdict: this only skips jose's async WebCrypto round trip
 * (and its per-call key import) for tokens jose would accept as they are.
 */
function verifyOwnJwt(key: KeyObject, jwt: string, nowMs: number): AccessTokenClaims | undefined {
  const firstDot = jwt.indexOf('.');
  const secondDot = jwt.indexOf('.', firstDot + 1);
  if (firstDot <= 0 || secondDot < 0 || jwt.indexOf('.', secondDot + 1) !== -1) return undefined;
  if (jwt.slice(0, firstDot) !== OWN_HEADER) return undefined;
  const expected = Buffer.from(
    createHmac('sha256', key).update(jwt.slice(0, secondDot)).digest('base64url'),
    'latin1',
  );
  const given = Buffer.from(jwt.slice(secondDot + 1), 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(jwt.slice(firstDot + 1, secondDot), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (payload.nbf !== undefined) return undefined;
  if (payload.iat !== undefined && !finite(payload.iat)) return undefined;
  if (
    payload.exp !== undefined &&
    !(finite(payload.exp) && (payload.exp as number) > Math.floor(nowMs / 1000))
  )
    return undefined;
  if (typeof payload.identityAccessTokenId !== 'string' || typeof payload.identityId !== 'string')
    return undefined;
  return payload as unknown as AccessTokenClaims;
}

/** Three unpadded base64url segments: the one encoding a token is accepted in. */
const CANONICAL_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** base64url leaves spare low bits in the last character; only the encoding with them zero counts. */
function canonicalSignature(jwt: string): boolean {
  const signature = jwt.slice(jwt.lastIndexOf('.') + 1);
  return Buffer.from(signature, 'base64url').toString('base64url') === signature;
}

/** Header and payload are JSON objects: what jsonwebtoken decodes before it checks the signature. */
function decodesAsJwt(jwt: string): boolean {
  const [header, payload] = jwt.split('.') as [string, string];
  try {
    return [header, payload].every((part) => {
      const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    });
  } catch {
    return false;
  }
}

/**
 * Upstream's TokenError messages (its error handler, plugins/error-handler.ts, rewrites three of
 * jsonwebtoken's messages and passes the others on as they are).
 */
const TOKEN_MESSAGES = {
  missing: 'jwt must be provided',
  malformed:
    'The provided access token is malformed. Please use a valid token or generate a new one and try again.',
  algorithm:
    'The access token is signed with an invalid algorithm. Please provide a valid token and try again.',
  invalid: 'invalid token',
  signature: 'invalid signature',
  notActive: 'jwt not active',
  expired: 'Your token has expired. Please re-authenticate.',
} as const;

/**
 * The JWT key of each server context once loaded: the common case, a token this server signed,
 * is then checked without a promise (the key never changes in a process: a root-key rotation
 * re-wraps the signing secret, it does not replace it).
 */
const loadedJwtKeys = new WeakMap<ServerContext, KeyObject>();

/** Verifies signature and expiry; every failure is the contract's 403 `TokenError`. */
export async function verifyAccessTokenJwt(ctx: ServerContext, jwt: string): Promise<AccessTokenClaims> {
  // A token verifyOwnJwt accepts passes every check below (this server signs only canonical
  // tokens), so checking it first changes no answer; anything else gets the checks in order.
  const loaded = loadedJwtKeys.get(ctx);
  const own = loaded && jwt.length <= 8192 ? verifyOwnJwt(loaded, jwt, ctx.now()) : undefined;
  if (own) return own;
  if (jwt === '') throw tokenError(TOKEN_MESSAGES.missing);
  if (jwt.length > 8192 || jwt.split('.').length !== 3) throw tokenError(TOKEN_MESSAGES.malformed);
  if (!CANONICAL_JWT.test(jwt) || !decodesAsJwt(jwt)) throw tokenError(TOKEN_MESSAGES.invalid);
  if (!canonicalSignature(jwt)) throw tokenError(TOKEN_MESSAGES.signature);
  try {
    const key = await ctx.jwtKey();
    loadedJwtKeys.set(ctx, key);
    const own = verifyOwnJwt(key, jwt, ctx.now());
    if (own) return own;
    const { payload } = await jwtVerify(jwt, key, {
      algorithms: ['HS256'],
      currentDate: new Date(ctx.now()),
    });
    if (typeof payload.identityAccessTokenId !== 'string' || typeof payload.identityId !== 'string') {
      throw tokenError(TOKEN_MESSAGES.malformed);
    }
    return payload as unknown as AccessTokenClaims;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw tokenError(TOKEN_MESSAGES.expired);
    if (error instanceof joseErrors.JOSEAlgNotAllowed) throw tokenError(TOKEN_MESSAGES.algorithm);
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
      throw tokenError(TOKEN_MESSAGES.signature);
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf')
      throw tokenError(TOKEN_MESSAGES.notActive);
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError)
      throw tokenError(TOKEN_MESSAGES.invalid);
    throw error;
  }
}

const USES_EXHAUSTED = 'Unable to renew because access token number of uses limit reached';

/**
 * Everything an authenticated request does with an identity token (docs/reference/api.md#authentication):
 * JWT check, live row, trusted IP, TTL, and one atomically counted use. See {@link acceptAccessToken}
 * for `deferUnlimited`.
 */
export async function useAccessToken(
  ctx: ServerContext,
  jwt: string,
  ip: string | undefined,
  options: { deferUnlimited?: boolean } = {},
) {
  const claims = await verifyAccessTokenJwt(ctx, jwt);
  // One statement: the token, its identity and its auth method's current settings.
  const found = await ctx.store.access.getAccessTokenForRequest(claims.identityAccessTokenId);
  return acceptAccessToken(ctx, found, ip, options);
}

/**
 * The checks of a token row read for a request (by {@link useAccessToken}, or with the project in
 * one statement, `ProjectStore.getProjectViewForToken`): live, trusted IP, TTL, uses left; then one
 * atomically counted use.
 *
 * With `deferUnlimited`, the use of an unlimited token (`numUsesLimit` 0, which no use can
 * exhaust) is not committed here: it is returned as `uncountedUse`, and the caller commits it
 * with the request's audit entry (auth/require-auth.ts). A limited token's use is always
 * committed first, so its last use still goes to exactly one caller.
 */
export async function acceptAccessToken(
  ctx: ServerContext,
  found: AccessTokenForRequest | undefined,
  ip: string | undefined,
  options: { deferUnlimited?: boolean } = {},
) {
  const { access } = ctx.store;
  const token = found?.token;
  if (!found || !token || token.isRevoked) throw unauthorized('No identity access token found');
  // The trusted IPs of the identity's auth method as it is now, as upstream does, so narrowing
  // the range during an incident reaches tokens already issued. The copy taken at login is the
  // fallback for a method that no longer exists.
  const trustedIps =
    (found.methodConfig as { accessTokenTrustedIps?: TrustedIp[] } | undefined)?.accessTokenTrustedIps ??
    token.trustedIps;
  if (!isIpTrusted(ip, trustedIps)) {
    throw forbidden('You are not allowed to access this resource from the current IP address');
  }
  const now = ctx.now();
  if (token.numUsesLimit > 0 && token.numUses >= token.numUsesLimit) {
    await access.deleteAccessToken(token.id);
    throw unauthorized(USES_EXHAUSTED);
  }
  const lifetime = token.period > 0 ? token.period : token.ttl;
  if (lifetime > 0 && now > token.renewedAtMs + lifetime * 1000) {
    await access.deleteAccessToken(token.id);
    throw unauthorized('Failed to renew MI access token due to TTL expiration');
  }
  const { identity } = found;
  const usedAt = new Date(now).toISOString();
  if (options.deferUnlimited && token.numUsesLimit === 0) {
    if (!identity) throw unauthorized('Identity does not belong to any organization');
    const counted = { ...token, numUses: token.numUses + 1, lastUsedAt: usedAt };
    return { token: counted, identity, uncountedUse: { tokenId: token.id, now: usedAt } };
  }
  // Group-committed with the other requests' writes (store/group-commit.ts).
  const used = await access.consumeAccessTokenUse(token.id, usedAt);
  if (!used) {
    // Lost the race for the last use (or revoked meanwhile).
    const current = await access.getAccessToken(token.id);
    if (current && !current.isRevoked) {
      await access.deleteAccessToken(token.id);
      throw unauthorized(USES_EXHAUSTED);
    }
    throw unauthorized('No identity access token found');
  }
  if (!identity) throw unauthorized('Identity does not belong to any organization');
  return { token: used, identity, uncountedUse: undefined };
}

/** Renew (docs/reference/api.md, decision D2): a new JWT; the max TTL stays anchored at login. */
export async function renewAccessToken(
  ctx: ServerContext,
  jwt: string,
): Promise<{ response: TokenResponse; token: AccessTokenRecord }> {
  const claims = await verifyAccessTokenJwt(ctx, jwt);
  if (claims.authTokenType !== 'identityAccessToken')
    throw badRequest('Only identity access tokens can be renewed');
  const { access } = ctx.store;
  const token = await access.getAccessToken(claims.identityAccessTokenId);
  if (!token || token.isRevoked) throw unauthorized('No identity access token found');
  const now = ctx.now();
  const refuse = async (message: string) => {
    await access.deleteAccessToken(token.id);
    return unauthorized(message);
  };
  if (token.numUsesLimit > 0 && token.numUses > 0 && token.numUses >= token.numUsesLimit)
    throw await refuse(USES_EXHAUSTED);
  if (token.period === 0) {
    if (token.ttl > 0 && now > token.renewedAtMs + token.ttl * 1000)
      throw await refuse('Failed to renew MI access token due to TTL expiration');
    if (token.maxTtl > 0) {
      const maxEnd = token.createdAtMs + token.maxTtl * 1000;
      if (now > maxEnd) throw await refuse('Failed to renew MI access token due to Max TTL expiration');
      if (now + token.ttl * 1000 > maxEnd)
        throw await refuse('Failed to renew MI access token past its Max TTL expiration');
    }
  }
  const iso = new Date(now).toISOString();
  const renewed: AccessTokenRecord = { ...token, renewedAtMs: now, lastRenewedAt: iso, updatedAt: iso };
  // Revoked meanwhile (by another request or replica): the renewal must not bring it back.
  if (!(await access.renewAccessToken(token.id, now, iso)))
    throw unauthorized('No identity access token found');
  return { response: await tokenResponse(ctx, renewed, now), token: renewed };
}

/** Revoke (docs/reference/api.md#authentication). */
export async function revokeAccessToken(ctx: ServerContext, jwt: string): Promise<AccessTokenRecord> {
  const claims = await verifyAccessTokenJwt(ctx, jwt);
  if (claims.authTokenType !== 'identityAccessToken')
    throw unauthorized('Only identity access tokens can be revoked');
  const token = await ctx.store.access.getAccessToken(claims.identityAccessTokenId);
  if (!token || token.isRevoked) throw unauthorized('No identity access token found');
  const iso = new Date(ctx.now()).toISOString();
  if (!(await ctx.store.access.revokeAccessToken(token.id, iso)))
    throw unauthorized('No identity access token found');
  return { ...token, isRevoked: true, updatedAt: iso };
}
