// OIDC Auth answers as upstream. Upstream sources followed:
// backend/src/server/routes/v1/identity-oidc-auth-router.ts (bodies, answer keys, the removal's
// answer without caCert) and backend/src/services/identity-oidc-auth/identity-oidc-auth-service.ts
// (login refusals and the config routes' refusals), against a real discovery provider on loopback.
import { generateKeyPairSync } from 'node:crypto';
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
const OIDC = '/api/v1/auth/oidc-auth';

async function newIdentity() {
  const { identity } = await kms.admin('POST', '/api/v1/identities', {
    name: `oidc-${Math.random()}`,
    organizationId: kms.orgId,
  });
  return identity.id as string;
}

async function attach(config: Record<string, unknown> = {}, p = provider) {
  const identityId = await newIdentity();
  const r = await kms.call(
    'POST',
    `${OIDC}/identities/${identityId}`,
    {
      oidcDiscoveryUrl: p.issuer,
      boundIssuer: p.issuer,
      boundAudiences: 'kms',
      boundSubject: SUBJECT,
      boundClaims: { 'spiffe.trust_domain': 'example.org' },
      ...config,
    },
    kms.adminToken,
  );
  expect(r.status).toBe(200);
  return identityId;
}

const login = (identityId: string, jwt: string) => kms.call('POST', `${OIDC}/login`, { identityId, jwt });
const good = { sub: SUBJECT, aud: 'kms', spiffe: { trust_domain: 'example.org' } };

describe('OIDC login refusals', () => {
  it('audience, subject and claims: missing or not allowed, in upstream words and codes', async () => {
    const identityId = await attach();
    const { sub: _sub, ...noSubject } = good;
    const { aud: _aud, ...noAudience } = good;
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['audience not allowed', { ...good, aud: 'other' }, 401, 'Access denied: OIDC audience not allowed.'],
      ['no audience', noAudience, 401, 'Access denied: OIDC audience not allowed.'],
      [
        'subject not allowed',
        { ...good, sub: 'spiffe://example.org/x' },
        403,
        'Access denied: OIDC subject not allowed.',
      ],
      ['no subject', noSubject, 403, 'Access denied: OIDC subject not allowed.'],
      [
        'claim missing',
        { sub: SUBJECT, aud: 'kms' },
        401,
        'Access denied: token has no spiffe.trust_domain field',
      ],
      [
        'claim not allowed',
        { ...good, spiffe: { trust_domain: 'evil.org' } },
        401,
        'Access denied: OIDC claim not allowed.',
      ],
      [
        'issuer',
        { ...good, iss: 'https://evil.example' },
        401,
        `Access denied: jwt issuer invalid. expected: ${provider.issuer}`,
      ],
      [
        'not yet valid',
        { ...good, nbf: Math.floor(kms.clock.now() / 1000) + 600 },
        401,
        'Access denied: jwt not active',
      ],
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
  });

  it('a token that is no JWT, a key the provider does not publish, and an identity without OIDC Auth', async () => {
    const identityId = await attach();
    for (const jwt of ['', 'garbage', 'a.b.c']) {
      const r = await login(identityId, jwt);
      expect(r.status, jwt).toBe(401);
      expect(r.body.message, jwt).toBe('Invalid JWT');
    }
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const unknownKid = await new SignJWT({ ...good, iss: provider.issuer })
      .setProtectedHeader({ alg: 'RS256', kid: 'nope' })
      .setExpirationTime('5m')
      .sign(stranger);
    const r = await login(identityId, unknownKid);
    expect(r.status).toBe(401);
    expect(r.body.message).toBe(
      "Access denied: Unable to verify JWT signature. The signing key 'nope' was not found in the OIDC provider's JWKS endpoint. This may indicate an invalid token or misconfigured OIDC provider.",
    );

    const without = await newIdentity();
    const none = await login(without, await provider.sign(good));
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({
      error: 'NotFound',
      message: 'OIDC auth method not found for identity, did you configure OIDC auth?',
    });
  });

  it('a token without kid that no key verifies names the last verdict', async () => {
    const plain = await startOidcProvider({ now: kms.clock.now, omitKid: true });
    try {
      const identityId = await attach({ oidcDiscoveryUrl: plain.issuer, boundIssuer: plain.issuer }, plain);
      const forged = await new SignJWT({ ...good, iss: plain.issuer })
        .setProtectedHeader({ alg: 'RS256' })
        .setExpirationTime('5m')
        .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
      const r = await login(identityId, forged);
      expect(r.status).toBe(401);
      expect(r.body.message).toBe(
        'Access denied: Unable to verify JWT signature with any available signing key. invalid signature',
      );
      expect((await login(identityId, await plain.sign(good))).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});

describe('OIDC configuration routes', () => {
  const UPSTREAM_KEYS = [
    'accessTokenMaxTTL',
    'accessTokenNumUsesLimit',
    'accessTokenTTL',
    'accessTokenTrustedIps',
    'boundAudiences',
    'boundClaims',
    'boundIssuer',
    'boundSubject',
    'caCert',
    'claimMetadataMapping',
    'createdAt',
    'id',
    'identityId',
    'oidcDiscoveryUrl',
    'updatedAt',
  ];
  // `accessTokenPeriod` is this server's addition (decision D25 of docs/reference/api.md).
  const keysOf = (body: Record<string, unknown>) =>
    Object.keys(body)
      .filter((k) => k !== 'accessTokenPeriod')
      .sort();

  it("answer upstream's keys; the removal's answer has no caCert", async () => {
    const identityId = await attach();
    const item = `${OIDC}/identities/${identityId}`;
    expect(keysOf((await kms.admin('GET', item)).identityOidcAuth)).toEqual(UPSTREAM_KEYS);
    const patched = await kms.admin('PATCH', item, { boundSubject: 'spiffe://example.org/*' });
    expect(keysOf(patched.identityOidcAuth)).toEqual(UPSTREAM_KEYS);
    const removed = await kms.admin('DELETE', item);
    expect(keysOf(removed.identityOidcAuth)).toEqual(UPSTREAM_KEYS.filter((k) => k !== 'caCert'));
  });

  it('refuse a method not attached with 400, each route in its own words', async () => {
    const identityId = await newIdentity();
    const item = `${OIDC}/identities/${identityId}`;
    const cases: [string, unknown, string][] = [
      ['GET', undefined, 'The identity does not have OIDC Auth attached'],
      ['PATCH', { accessTokenTTL: 60 }, 'Failed to update OIDC Auth'],
      ['DELETE', undefined, 'The identity does not have OIDC auth'],
    ];
    for (const [method, body, message] of cases) {
      const r = await kms.call(method, item, body, kms.adminToken);
      expect(r.status, method).toBe(400);
      expect(r.body, method).toMatchObject({ error: 'BadRequest', message });
    }
  });

  it('validate the config fields as upstream', async () => {
    const identityId = await attach();
    const item = `${OIDC}/identities/${identityId}`;
    const twice = await kms.call(
      'POST',
      item,
      { oidcDiscoveryUrl: provider.issuer, boundIssuer: provider.issuer },
      kms.adminToken,
    );
    expect(twice.status).toBe(400);
    expect(twice.body.message).toBe('Failed to add OIDC Auth to already configured identity');

    const fresh = `${OIDC}/identities/${await newIdentity()}`;
    const invalid: [Record<string, unknown>, string][] = [
      [{ boundIssuer: provider.issuer }, 'oidcDiscoveryUrl'],
      [{ oidcDiscoveryUrl: 'not a url', boundIssuer: provider.issuer }, 'oidcDiscoveryUrl'],
      [{ oidcDiscoveryUrl: provider.issuer }, 'boundIssuer'],
      [{ oidcDiscoveryUrl: provider.issuer, boundIssuer: provider.issuer, boundClaims: 'x' }, 'boundClaims'],
      [
        { oidcDiscoveryUrl: provider.issuer, boundIssuer: provider.issuer, accessTokenTTL: -1 },
        'accessTokenTTL',
      ],
    ];
    for (const [body, field] of invalid) {
      const r = await kms.call('POST', fresh, body, kms.adminToken);
      expect(r.status, field).toBe(422);
      expect(r.body.error).toBe('ValidationFailure');
      expect(
        r.body.message.map((issue: { path: string[] }) => issue.path[1]),
        field,
      ).toContain(field);
    }
    const aboveMax = await kms.call(
      'POST',
      fresh,
      {
        oidcDiscoveryUrl: provider.issuer,
        boundIssuer: provider.issuer,
        accessTokenTTL: 120,
        accessTokenMaxTTL: 60,
      },
      kms.adminToken,
    );
    expect(aboveMax.status).toBe(422);
    expect(aboveMax.body.message[0].message).toBe(
      'Access Token TTL cannot be greater than Access Token Max TTL.',
    );
    await kms.admin('PATCH', item, { accessTokenTTL: 50, accessTokenMaxTTL: 100 });
    const patchAbove = await kms.call('PATCH', item, { accessTokenTTL: 101 }, kms.adminToken);
    expect(patchAbove.status).toBe(400);
    expect(patchAbove.body.message).toBe('Access token TTL cannot be greater than max TTL');
  });

  it("refuse an unknown identity with upstream's 404, and a caller without the org right with 403", async () => {
    const identityId = await attach();
    const missing = '8d0f3e8a-1c2b-4e5f-9a6b-7c8d9e0f1a2b';
    const unknown = await kms.call('GET', `${OIDC}/identities/${missing}`, undefined, kms.adminToken);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe(`Failed to find identity with ID ${missing}`);

    const member = await kms.createMachineIdentity();
    const token = (await kms.login(member.clientId, member.clientSecret)).body.accessToken;
    for (const method of ['GET', 'DELETE']) {
      const r = await kms.call(method, `${OIDC}/identities/${identityId}`, undefined, token);
      expect(r.status, method).toBe(403);
    }
    expect((await kms.admin('GET', `${OIDC}/identities/${identityId}`)).identityOidcAuth.identityId).toBe(
      identityId,
    );
  });
});
