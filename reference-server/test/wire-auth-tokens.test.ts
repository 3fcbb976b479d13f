// Access-token renew and revoke answer as upstream. Upstream sources followed:
// backend/src/server/routes/v1/identity-access-token-router.ts (bodies and answers),
// backend/src/services/identity-access-token/identity-access-token-service.ts (renewAccessToken,
// revokeAccessToken: the refusals and their words) and backend/src/server/plugins/error-handler.ts
// (403 TokenError and the words it gives jsonwebtoken's failures).
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyManager } from '../src/crypto/key-manager.js';
import { testKeyManager } from './helpers/test-key-manager.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
let keys: KeyManager;
let project: { id: string };
beforeEach(async () => {
  keys = await testKeyManager();
  kms = await startTestServer({ keyManager: keys });
  project = await kms.createProject('wire-tokens');
});
afterEach(() => kms.close());

const renew = (accessToken: unknown) => kms.call('POST', '/api/v1/auth/token/renew', { accessToken });
const revoke = (accessToken: unknown) => kms.call('POST', '/api/v1/auth/token/revoke', { accessToken });
const read = (token: string) => kms.call('GET', `/api/v1/workspace/${project.id}`, undefined, token);

async function loggedIn(ua: Record<string, unknown> = {}) {
  const id = await kms.createMachineIdentity({ ua, project: { id: project.id, role: 'viewer' } });
  const login = await kms.login(id.clientId, id.clientSecret);
  expect(login.status).toBe(200);
  return { ...id, token: login.body.accessToken as string };
}

/** A JWT signed with the server's own secret, with the claims given (what only the server can mint). */
async function signedByServer(claims: Record<string, unknown>) {
  const config = await kms.store.access.getConfig();
  const secret = await keys.unwrapDataKey(config!.jwtSecret);
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().sign(secret);
}

const refusal = (status: number, error: string, message: string) => ({ statusCode: status, error, message });

describe('renew', () => {
  it('an expired, malformed, badly signed or empty token: 403 TokenError in upstream words', async () => {
    const { token } = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const [header, payload] = token.split('.');
    const cases: [unknown, string][] = [
      ['', 'jwt must be provided'],
      [
        'not-a-jwt',
        'The provided access token is malformed. Please use a valid token or generate a new one and try again.',
      ],
      ['a.b.c', 'invalid token'],
      [`${header}.${payload}.${'A'.repeat(43)}`, 'invalid signature'],
    ];
    for (const [accessToken, message] of cases) {
      const r = await renew(accessToken);
      expect(r.status, message).toBe(403);
      expect(r.body).toMatchObject(refusal(403, 'TokenError', message));
    }
    kms.clock.advance(61);
    const expired = await renew(token);
    expect(expired.status).toBe(403);
    expect(expired.body).toMatchObject(
      refusal(403, 'TokenError', 'Your token has expired. Please re-authenticate.'),
    );
  });

  it('a token whose max TTL has passed, or would pass: 401, and the token is gone', async () => {
    // TTL 0 (never expires) under a max TTL of 100 s: the JWT is still valid at 101 s.
    const never = await loggedIn({ accessTokenTTL: 0, accessTokenMaxTTL: 100 });
    const bounded = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 100 });
    kms.clock.advance(50);
    const past = await renew(bounded.token);
    expect(past.status).toBe(401);
    expect(past.body).toMatchObject(
      refusal(401, 'UnauthorizedError', 'Failed to renew MI access token past its Max TTL expiration'),
    );
    expect((await read(bounded.token)).body.message).toBe('No identity access token found');

    kms.clock.advance(51);
    const reached = await renew(never.token);
    expect(reached.status).toBe(401);
    expect(reached.body).toMatchObject(
      refusal(401, 'UnauthorizedError', 'Failed to renew MI access token due to Max TTL expiration'),
    );
    expect((await renew(never.token)).body.message).toBe('No identity access token found');
  });

  it('a revoked token, a used-up token and a token of another kind are not renewable', async () => {
    const revoked = await loggedIn();
    expect((await revoke(revoked.token)).status).toBe(200);
    const again = await renew(revoked.token);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject(refusal(401, 'UnauthorizedError', 'No identity access token found'));

    const once = await loggedIn({ accessTokenNumUsesLimit: 1 });
    expect((await read(once.token)).status).toBe(200);
    const usedUp = await renew(once.token);
    expect(usedUp.status).toBe(401);
    expect(usedUp.body).toMatchObject(
      refusal(401, 'UnauthorizedError', 'Unable to renew because access token number of uses limit reached'),
    );
    expect((await renew(once.token)).body.message).toBe('No identity access token found');

    const live = await loggedIn();
    const claims = JSON.parse(Buffer.from(live.token.split('.')[1]!, 'base64url').toString());
    const userToken = await signedByServer({ ...claims, authTokenType: 'accessToken' });
    const notRenewable = await renew(userToken);
    expect(notRenewable.status).toBe(400);
    expect(notRenewable.body).toMatchObject(
      refusal(400, 'BadRequest', 'Only identity access tokens can be renewed'),
    );
    const notRevocable = await revoke(userToken);
    expect(notRevocable.status).toBe(401);
    expect(notRevocable.body).toMatchObject(
      refusal(401, 'UnauthorizedError', 'Only identity access tokens can be revoked'),
    );
    // The identity's own token is untouched by either refusal.
    expect((await read(live.token)).status).toBe(200);
  });

  it('answers exactly the four keys of upstream', async () => {
    const { token } = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const r = await renew(token);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual([
      'accessToken',
      'accessTokenMaxTTL',
      'expiresIn',
      'tokenType',
    ]);
    expect(r.body).toMatchObject({ expiresIn: 60, accessTokenMaxTTL: 600, tokenType: 'Bearer' });
  });
});

describe('revoke', () => {
  it("answers upstream's message once, then 401 for the same token; an expired token is 403", async () => {
    const { token } = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const r = await revoke(token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ message: 'Successfully revoked access token' });
    const twice = await revoke(token);
    expect(twice.status).toBe(401);
    expect(twice.body).toMatchObject(refusal(401, 'UnauthorizedError', 'No identity access token found'));
    expect((await read(token)).body.message).toBe('No identity access token found');

    const other = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    kms.clock.advance(61);
    const expired = await revoke(other.token);
    expect(expired.status).toBe(403);
    expect(expired.body).toMatchObject(
      refusal(403, 'TokenError', 'Your token has expired. Please re-authenticate.'),
    );
    expect((await revoke('')).body).toMatchObject(refusal(403, 'TokenError', 'jwt must be provided'));
  });

  it('a missing or non-string accessToken is 422 ValidationFailure naming the field', async () => {
    for (const body of [{}, { accessToken: 42 }]) {
      for (const path of ['/api/v1/auth/token/renew', '/api/v1/auth/token/revoke']) {
        const r = await kms.call('POST', path, body);
        expect(r.status).toBe(422);
        expect(r.body.error).toBe('ValidationFailure');
        expect(r.body.message[0].path).toEqual(['body', 'accessToken']);
      }
    }
  });
});
