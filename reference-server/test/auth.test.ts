import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
let project: { id: string; slug: string };
beforeEach(async () => {
  kms = await startTestServer();
  project = await kms.createProject('auth-tests');
});
afterEach(() => kms.close());

const read = (token: string) => kms.call('GET', `/api/v1/workspace/${project.id}`, undefined, token);

async function loggedIn(ua: Record<string, unknown> = {}) {
  const id = await kms.createMachineIdentity({ ua, project: { id: project.id, role: 'viewer' } });
  const login = await kms.login(id.clientId, id.clientSecret);
  expect(login.status).toBe(200);
  return { ...id, token: login.body.accessToken as string, login };
}

describe('universal auth login', () => {
  it('answers the contract shape with the configured TTLs', async () => {
    const { login } = await loggedIn({ accessTokenTTL: 3600, accessTokenMaxTTL: 86400 });
    expect(login.body).toEqual({
      accessToken: expect.any(String),
      expiresIn: 3600,
      accessTokenMaxTTL: 86400,
      tokenType: 'Bearer',
    });
  });

  it('uses the API defaults (30 days) when attached with an empty body', async () => {
    const { login } = await loggedIn({});
    expect(login.body.expiresIn).toBe(2592000);
    expect(login.body.accessTokenMaxTTL).toBe(2592000);
  });

  it('refuses an unknown client id and a wrong secret with 401 Invalid credentials', async () => {
    const id = await kms.createMachineIdentity();
    for (const [clientId, secret] of [
      ['00000000-0000-4000-8000-000000000000', id.clientSecret],
      [id.clientId, 'f'.repeat(64)],
    ]) {
      const r = await kms.login(clientId!, secret!);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({
        statusCode: 401,
        message: 'Invalid credentials',
        error: 'UnauthorizedError',
      });
      expect(r.body.reqId).toMatch(/^req-/);
    }
  });

  it('locks the method after 3 bad secrets, even for the right one, until the lockout ends or is cleared', async () => {
    const id = await kms.createMachineIdentity();
    for (let i = 0; i < 3; i++) expect((await kms.login(id.clientId, 'bad-secret')).status).toBe(401);
    const locked = await kms.login(id.clientId, id.clientSecret);
    expect(locked.status).toBe(401);
    expect(locked.body.message).toBe(
      'This identity auth method is temporarily locked, please try again later',
    );
    kms.clock.advance(301);
    expect((await kms.login(id.clientId, id.clientSecret)).status).toBe(200);

    for (let i = 0; i < 3; i++) await kms.login(id.clientId, 'bad-secret');
    const cleared = await kms.admin(
      'POST',
      `/api/v1/auth/universal-auth/identities/${id.identityId}/clear-lockouts`,
    );
    expect(cleared).toEqual({ deleted: 1 });
    expect((await kms.login(id.clientId, id.clientSecret)).status).toBe(200);
  });

  it('expires a client secret after its TTL and refuses it past its use limit', async () => {
    const ttl = await kms.createMachineIdentity({ clientSecret: { ttl: 60 } });
    kms.clock.advance(61);
    const expired = await kms.login(ttl.clientId, ttl.clientSecret);
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe('Access denied due to expired client secret');

    const uses = await kms.createMachineIdentity({ clientSecret: { numUsesLimit: 2 } });
    expect((await kms.login(uses.clientId, uses.clientSecret)).status).toBe(200);
    expect((await kms.login(uses.clientId, uses.clientSecret)).status).toBe(200);
    const third = await kms.login(uses.clientId, uses.clientSecret);
    expect(third.status).toBe(401);
    expect(third.body.message).toBe('Access denied due to client secret usage limit reached');
  });

  it('refuses a revoked client secret', async () => {
    const id = await kms.createMachineIdentity();
    const [secret] = (
      await kms.admin('GET', `/api/v1/auth/universal-auth/identities/${id.identityId}/client-secrets`)
    ).clientSecretData;
    const revoked = await kms.admin(
      'POST',
      `/api/v1/auth/universal-auth/identities/${id.identityId}/client-secrets/${secret.id}/revoke`,
    );
    expect(revoked.clientSecretData.isClientSecretRevoked).toBe(true);
    expect((await kms.login(id.clientId, id.clientSecret)).status).toBe(401);
  });

  it('checks clientSecretTrustedIps at login and accessTokenTrustedIps on use', async () => {
    const loginBlocked = await kms.createMachineIdentity({
      ua: { clientSecretTrustedIps: [{ ipAddress: '10.0.0.0/8' }] },
    });
    const r = await kms.login(loginBlocked.clientId, loginBlocked.clientSecret);
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('You are not allowed to access this resource from the current IP address');

    const useBlocked = await loggedIn({ accessTokenTrustedIps: [{ ipAddress: '192.168.1.1' }] });
    const use = await read(useBlocked.token);
    expect(use.status).toBe(403);

    const loopback = await loggedIn({
      accessTokenTrustedIps: [{ ipAddress: '127.0.0.0/8' }, { ipAddress: '::1' }],
    });
    expect((await read(loopback.token)).status).toBe(200);
  });

  it('a change of accessTokenTrustedIps reaches tokens already issued, narrowing and widening', async () => {
    const { token, ...id } = await loggedIn();
    expect((await read(token)).status).toBe(200);
    const set = (ipAddress: string) =>
      kms.admin('PATCH', `/api/v1/auth/universal-auth/identities/${id.identityId}`, {
        accessTokenTrustedIps: [{ ipAddress }],
      });
    await set('10.0.0.0/24');
    const narrowed = await read(token);
    expect(narrowed.status).toBe(403);
    expect(narrowed.body.message).toBe(
      'You are not allowed to access this resource from the current IP address',
    );
    await set('127.0.0.0/8');
    expect((await read(token)).status).toBe(200);
  });

  it('rejects an invalid trusted IP at attach time with 422', async () => {
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'x',
      organizationId: kms.orgId,
    });
    const r = await kms.call(
      'POST',
      `/api/v1/auth/universal-auth/identities/${identity.id}`,
      { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/99' }] },
      kms.adminToken,
    );
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('ValidationFailure');
    expect(r.body.message[0].message).toBe('The IP is not a valid IPv4, IPv6, or CIDR block');
  });
});

describe('token use', () => {
  it('refuses a missing header (401), a malformed token (403 TokenError) and an API key (400)', async () => {
    expect((await kms.call('GET', `/api/v1/workspace/${project.id}`)).body).toMatchObject({
      statusCode: 401,
      message: 'Token missing',
    });
    const bad = await read('not-a-jwt');
    expect(bad.status).toBe(403);
    expect(bad.body.error).toBe('TokenError');
    const apiKey = await kms.call('GET', `/api/v1/workspace/${project.id}`, undefined, undefined, {
      'x-api-key': 'k',
    });
    expect(apiKey.status).toBe(400);
  });

  it('expires the JWT after the TTL with 403 TokenError', async () => {
    const { token } = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    expect((await read(token)).status).toBe(200);
    kms.clock.advance(61);
    const r = await read(token);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({
      error: 'TokenError',
      message: 'Your token has expired. Please re-authenticate.',
    });
  });

  it('serves exactly N requests for a uses limit of N, then 401 and the token is gone', async () => {
    const { token } = await loggedIn({ accessTokenNumUsesLimit: 3 });
    for (let i = 0; i < 3; i++) expect((await read(token)).status).toBe(200);
    const fourth = await read(token);
    expect(fourth.status).toBe(401);
    expect(fourth.body.message).toBe('Unable to renew because access token number of uses limit reached');
    expect((await read(token)).body.message).toBe('No identity access token found');
  });

  it('lets exactly one of many concurrent requests spend the last use', async () => {
    const { token } = await loggedIn({ accessTokenNumUsesLimit: 5 });
    for (let i = 0; i < 4; i++) expect((await read(token)).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 12 }, () => read(token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(11);
  });

  it('never expires a token with TTL 0 and unlimited uses', async () => {
    const { token, login } = await loggedIn({ accessTokenTTL: 0, accessTokenMaxTTL: 0 });
    expect(login.body.expiresIn).toBe(0);
    kms.clock.advance(10 * 365 * 86400);
    expect((await read(token)).status).toBe(200);
  });
});

describe('renew and revoke', () => {
  const renew = (accessToken: string, headers: Record<string, string> = {}) =>
    kms.call('POST', '/api/v1/auth/token/renew', { accessToken }, undefined, headers);

  it('issues a new JWT whose TTL starts again, with the max TTL anchored at login', async () => {
    const { token } = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 150 });
    kms.clock.advance(50);
    const first = await renew(token);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ expiresIn: 60, accessTokenMaxTTL: 150, tokenType: 'Bearer' });
    expect(first.body.accessToken).not.toBe(token);
    kms.clock.advance(50); // t=100: old JWT expired, renewed one alive
    expect((await read(token)).status).toBe(403);
    expect((await read(first.body.accessToken)).status).toBe(200);
    // t=100 + 60 > 150: a renew would pass the max TTL -> refused and deleted
    const past = await renew(first.body.accessToken);
    expect(past.status).toBe(401);
    expect(past.body.message).toBe('Failed to renew MI access token past its Max TTL expiration');
    expect((await read(first.body.accessToken)).status).toBe(401);
  });

  it('refuses to renew an expired JWT with 403 TokenError', async () => {
    const { token } = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    kms.clock.advance(61);
    const r = await renew(token);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('TokenError');
  });

  it('revokes a token: later use and renew answer 401', async () => {
    const { token } = await loggedIn();
    const r = await kms.call('POST', '/api/v1/auth/token/revoke', { accessToken: token });
    expect(r.body).toEqual({ message: 'Successfully revoked access token' });
    expect((await read(token)).status).toBe(401);
    expect((await renew(token)).body.message).toBe('No identity access token found');
    expect((await kms.call('POST', '/api/v1/auth/token/revoke', { accessToken: token })).status).toBe(401);
  });

  it('audits logins, renewals and revocations without any credential in the entry', async () => {
    const { token, clientSecret } = await loggedIn();
    const renewed = await renew(token);
    await kms.call('POST', '/api/v1/auth/token/revoke', { accessToken: renewed.body.accessToken });
    const { auditLogs } = await kms.admin('GET', '/api/v1/audit-logs?limit=50');
    const types = auditLogs.map((e: any) => e.event.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'login-identity-universal-auth',
        'renew-identity-access-token',
        'revoke-identity-access-token',
      ]),
    );
    const text = JSON.stringify(auditLogs);
    for (const credential of [token, renewed.body.accessToken, clientSecret, kms.adminToken])
      expect(text).not.toContain(credential);
  });
});
