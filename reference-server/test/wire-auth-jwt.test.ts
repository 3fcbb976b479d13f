// JWT Auth answers as upstream. Upstream sources followed:
// backend/src/server/routes/v1/identity-jwt-auth-router.ts (bodies, answer keys, the removal's
// answer without jwksCaCert and publicKeys) and
// backend/src/services/identity-jwt-auth/identity-jwt-auth-service.ts (login refusals and the config
// routes' refusals), against a real JWKS on loopback (src/dev/oidc-provider.ts).
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OidcProvider, startOidcProvider } from '../src/dev/oidc-provider.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
let provider: OidcProvider;
beforeEach(async () => {
  kms = await startTestServer({ settings: { oidc: { allowPrivateUrls: true } } });
  provider = await startOidcProvider({ now: kms.clock.now });
});
afterEach(async () => {
  await kms.close();
  await provider.close();
});

const SUBJECT = 'spiffe://example.org/ns/prod/sa/billing';
const JWT = '/api/v1/auth/jwt-auth';

async function newIdentity() {
  const { identity } = await kms.admin('POST', '/api/v1/identities', {
    name: `jwt-${Math.random()}`,
    organizationId: kms.orgId,
  });
  return identity.id as string;
}

async function attach(config: Record<string, unknown>) {
  const identityId = await newIdentity();
  const r = await kms.call('POST', `${JWT}/identities/${identityId}`, config, kms.adminToken);
  expect(r.status).toBe(200);
  return identityId;
}

const jwksConfig = () => ({
  configurationType: 'jwks',
  jwksUrl: provider.jwksUrl,
  boundIssuer: provider.issuer,
  boundSubject: SUBJECT,
  boundAudiences: 'kms',
  boundClaims: { env: 'prod' },
});
const login = (identityId: string, jwt: string) => kms.call('POST', `${JWT}/login`, { identityId, jwt });
const good = { sub: SUBJECT, aud: 'kms', env: 'prod' };

describe('JWT Auth login refusals', () => {
  it('issuer, subject, audience and claims: missing or not allowed, in upstream words and codes', async () => {
    const identityId = await attach(jwksConfig());
    const { sub: _sub, ...noSubject } = good;
    const { aud: _aud, ...noAudience } = good;
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['issuer', { ...good, iss: 'https://evil.example' }, 403, 'Access denied: issuer mismatch'],
      ['no subject', noSubject, 401, 'Access denied: token has no subject field'],
      ['subject', { ...good, sub: 'spiffe://x/y' }, 403, 'Access denied: subject not allowed'],
      ['no audience', noAudience, 401, 'Access denied: token has no audience field'],
      ['audience', { ...good, aud: 'x' }, 401, 'Access denied: token audience not allowed'],
      ['claim missing', { sub: SUBJECT, aud: 'kms' }, 401, 'Access denied: token has no env field'],
      ['claim', { ...good, env: 'dev' }, 401, 'Access denied: claim mismatch for field env'],
      [
        'expired',
        { ...good, exp: Math.floor(kms.clock.now() / 1000) - 60 },
        401,
        'Access denied: jwt expired',
      ],
    ];
    for (const [name, claims, status, message] of cases) {
      const r = await login(identityId, await provider.sign(claims));
      expect(r.status, name).toBe(status);
      expect(r.body, name).toMatchObject({
        statusCode: status,
        error: status === 403 ? 'ForbiddenError' : 'UnauthorizedError',
        message,
      });
    }
    expect((await login(identityId, await provider.sign(good))).status).toBe(200);
    for (const jwt of ['', 'not-a-jwt'])
      expect((await login(identityId, jwt)).body.message).toBe('Invalid JWT');

    const without = await newIdentity();
    const none = await login(without, await provider.sign(good));
    expect(none.status).toBe(404);
    expect(none.body.message).toBe('JWT auth method not found for identity, did you configure JWT auth?');
  });

  it('static keys: every key tried, every verdict named', async () => {
    const pem = (key: Parameters<typeof createPublicKey>[0]) =>
      createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
    const identityId = await attach({
      configurationType: 'static',
      publicKeys: [
        generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }),
        pem({ key: provider.jwks()[0] as never, format: 'jwk' }),
      ],
      boundIssuer: provider.issuer,
    });
    expect((await login(identityId, await provider.sign(good))).status).toBe(200);
    const stranger = await new SignJWT({ ...good, iss: provider.issuer })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const r = await login(identityId, stranger);
    expect(r.status).toBe(401);
    expect(r.body.message).toBe(
      'Access denied: JWT verification failed with all keys. Errors - invalid signature; invalid signature',
    );
  });
});

describe('JWT Auth configuration routes', () => {
  const UPSTREAM_KEYS = [
    'accessTokenMaxTTL',
    'accessTokenNumUsesLimit',
    'accessTokenPeriod',
    'accessTokenTTL',
    'accessTokenTrustedIps',
    'boundAudiences',
    'boundClaims',
    'boundIssuer',
    'boundSubject',
    'configurationType',
    'createdAt',
    'id',
    'identityId',
    'jwksCaCert',
    'jwksUrl',
    'publicKeys',
    'updatedAt',
  ];

  it("answer upstream's keys; the removal's answer has no jwksCaCert or publicKeys", async () => {
    const identityId = await attach(jwksConfig());
    const item = `${JWT}/identities/${identityId}`;
    expect(Object.keys((await kms.admin('GET', item)).identityJwtAuth).sort()).toEqual(UPSTREAM_KEYS);
    const patched = await kms.admin('PATCH', item, { boundSubject: 'spiffe://example.org/*' });
    expect(Object.keys(patched.identityJwtAuth).sort()).toEqual(UPSTREAM_KEYS);
    const removed = await kms.admin('DELETE', item);
    expect(Object.keys(removed.identityJwtAuth).sort()).toEqual(
      UPSTREAM_KEYS.filter((k) => k !== 'jwksCaCert' && k !== 'publicKeys'),
    );
  });

  it('refuse a method not attached with 400, each route in its own words', async () => {
    const item = `${JWT}/identities/${await newIdentity()}`;
    const cases: [string, unknown, string][] = [
      ['GET', undefined, 'The identity does not have JWT Auth attached'],
      ['PATCH', { accessTokenTTL: 60 }, 'Failed to update JWT Auth'],
      ['DELETE', undefined, 'The identity does not have JWT auth'],
    ];
    for (const [method, body, message] of cases) {
      const r = await kms.call(method, item, body, kms.adminToken);
      expect(r.status, method).toBe(400);
      expect(r.body, method).toMatchObject({ error: 'BadRequest', message });
    }
  });

  it('validate the config fields as upstream', async () => {
    const identityId = await attach(jwksConfig());
    const twice = await kms.call('POST', `${JWT}/identities/${identityId}`, jwksConfig(), kms.adminToken);
    expect(twice.status).toBe(400);
    expect(twice.body.message).toBe('Failed to add JWT Auth to already configured identity');

    const fresh = `${JWT}/identities/${await newIdentity()}`;
    const invalid: [Record<string, unknown>, string][] = [
      [{ configurationType: 'jwks' }, 'jwksUrl'],
      [{ configurationType: 'jwks', jwksUrl: 'not a url' }, 'jwksUrl'],
      [{ configurationType: 'static', publicKeys: [] }, 'publicKeys'],
      [{ configurationType: 'static', publicKeys: ['not a key'] }, 'publicKeys'],
      [{ configurationType: 'other' }, 'configurationType'],
      [{ ...jwksConfig(), accessTokenTrustedIps: [{ ipAddress: 'nope' }] }, 'accessTokenTrustedIps'],
    ];
    for (const [body, field] of invalid) {
      const r = await kms.call('POST', fresh, body, kms.adminToken);
      expect(r.status, field).toBe(422);
      expect(
        r.body.message.map((issue: { path: string[] }) => issue.path[1]),
        field,
      ).toContain(field);
    }
    const badIp = await kms.call(
      'POST',
      fresh,
      { ...jwksConfig(), accessTokenTrustedIps: [{ ipAddress: 'nope' }] },
      kms.adminToken,
    );
    expect(badIp.body.message[0].message).toBe('The IP is not a valid IPv4, IPv6, or CIDR block');
  });

  it('refuse a caller without the org right with 403 and leave the config as it was', async () => {
    const identityId = await attach(jwksConfig());
    const member = await kms.createMachineIdentity();
    const token = (await kms.login(member.clientId, member.clientSecret)).body.accessToken;
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { boundSubject: '*' }],
      ['DELETE', undefined],
    ] as const) {
      const r = await kms.call(method, `${JWT}/identities/${identityId}`, body, token);
      expect(r.status, method).toBe(403);
    }
    expect((await kms.admin('GET', `${JWT}/identities/${identityId}`)).identityJwtAuth.boundSubject).toBe(
      SUBJECT,
    );
  });
});
