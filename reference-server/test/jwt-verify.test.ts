import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createContext } from '../src/app.js';
import { newTokenRecord, signAccessToken, verifyAccessTokenJwt } from '../src/auth/access-tokens.js';
import { LocalKeyManager } from '../src/crypto/key-manager.js';
import { createSqliteStore } from '../src/store/store.js';

let clock = Date.parse('2026-01-01T00:00:00Z');
const ctx = createContext({
  store: await createSqliteStore(':memory:'),
  keys: new LocalKeyManager(randomBytes(32)),
  now: () => clock,
});
const settings = {
  accessTokenTTL: 60,
  accessTokenMaxTTL: 120,
  accessTokenNumUsesLimit: 0,
  accessTokenPeriod: 0,
  accessTokenTrustedIps: [],
};
const token = newTokenRecord('identity-1', 'token-auth', settings as never, clock);
const rejects = (jwt: string, message: string) =>
  expect(verifyAccessTokenJwt(ctx, jwt)).rejects.toMatchObject({ statusCode: 403, message });
// Upstream's messages: backend/src/server/plugins/error-handler.ts over jsonwebtoken's own.
const MALFORMED =
  'The provided access token is malformed. Please use a valid token or generate a new one and try again.';
const BAD_SIGNATURE = 'invalid signature';

describe('access token verification (own fast path, jose for everything else)', () => {
  it('accepts its own token and refuses altered ones exactly as jose does', async () => {
    const jwt = await signAccessToken(ctx, token, clock);
    await expect(verifyAccessTokenJwt(ctx, jwt)).resolves.toMatchObject({
      identityId: 'identity-1',
      identityAccessTokenId: token.id,
    });
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, identityId: 'identity-2' })).toString(
      'base64url',
    );
    await rejects(`${h}.${forged}.${s}`, BAD_SIGNATURE);
    await rejects(`${h}.${p}.${s.slice(0, -2)}AA`, BAD_SIGNATURE);
    await rejects(`${h}.${p}`, MALFORMED);
    await rejects(`${h}.${p}.${s}.x`, MALFORMED);
    const otherKey = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(randomBytes(32));
    await rejects(otherKey, BAD_SIGNATURE);
    await rejects('a.b.c', 'invalid token');
    await rejects('', 'jwt must be provided');
    const hs384 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS384', typ: 'JWT' })
      .sign(await ctx.jwtKey());
    await rejects(
      hs384,
      'The access token is signed with an invalid algorithm. Please provide a valid token and try again.',
    );
  });

  it('refuses an expired token and a token not yet valid', async () => {
    const jwt = await signAccessToken(ctx, token, clock);
    clock += 60_000;
    await rejects(jwt, 'Your token has expired. Please re-authenticate.');
    clock -= 60_000;
    const payload = {
      identityId: 'identity-1',
      identityAccessTokenId: token.id,
      authTokenType: 'identityAccessToken',
    };
    const early = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setNotBefore(Math.floor(clock / 1000) + 30)
      .sign(await ctx.jwtKey());
    await rejects(early, 'jwt not active');
  });
});
