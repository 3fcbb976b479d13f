// OIDC Auth and JWT Auth over real HTTP, against a real discovery provider on loopback that signs
// SPIFFE JWT-SVIDs with jose (src/dev/oidc-provider.ts).
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../src/auth/provider-fetch.js';
import { type OidcProvider, startOidcProvider } from '../src/dev/oidc-provider.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
let provider: OidcProvider;
const extra: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  kms = await startTestServer({ settings: { oidc: { allowPrivateUrls: true } } });
  provider = await startOidcProvider({ now: kms.clock.now });
});
afterEach(async () => {
  await kms.close();
  await provider.close();
  for (const e of extra.splice(0)) await e.close();
});

const SPIFFE_ID = 'spiffe://example.org/ns/prod/sa/billing';

/** An identity with OIDC Auth bound to the provider, a member of a new project. */
async function oidcIdentity(config: Record<string, unknown> = {}, p = provider) {
  const { identity } = await kms.admin('POST', '/api/v1/identities', {
    name: `w-${Math.random()}`,
    organizationId: kms.orgId,
  });
  const attached = await kms.call(
    'POST',
    `/api/v1/auth/oidc-auth/identities/${identity.id}`,
    {
      oidcDiscoveryUrl: p.issuer,
      boundIssuer: p.issuer,
      boundAudiences: 'kms',
      boundSubject: SPIFFE_ID,
      ...config,
    },
    kms.adminToken,
  );
  return { identityId: identity.id as string, attached };
}
const login = (identityId: string, jwt: string, path = 'oidc-auth') =>
  kms.call('POST', `/api/v1/auth/${path}/login`, { identityId, jwt });

describe('OIDC Auth configuration', () => {
  it('attaches with the contract defaults and normalised lists; reads, updates and removes', async () => {
    const { identityId, attached } = await oidcIdentity({
      boundAudiences: 'kms,  other ,',
      boundClaims: { 'spiffe.ns': 'prod,staging' },
      claimMetadataMapping: { team: 'team' },
    });
    expect(attached.status).toBe(200);
    expect(attached.body.identityOidcAuth).toMatchObject({
      identityId,
      oidcDiscoveryUrl: provider.issuer,
      caCert: '',
      boundIssuer: provider.issuer,
      boundAudiences: 'kms, other',
      boundClaims: { 'spiffe.ns': 'prod, staging' },
      claimMetadataMapping: { team: 'team' },
      boundSubject: SPIFFE_ID,
      accessTokenTTL: 2592000,
      accessTokenMaxTTL: 2592000,
      accessTokenNumUsesLimit: 0,
      accessTokenTrustedIps: [
        { ipAddress: '0.0.0.0', type: 'ipv4', prefix: 0 },
        { ipAddress: '::', type: 'ipv6', prefix: 0 },
      ],
    });
    const identity = await kms.admin('GET', `/api/v1/identities/${identityId}`);
    expect(identity.identity.identity.authMethods).toEqual(['oidc-auth']);
    const again = await kms.call(
      'POST',
      `/api/v1/auth/oidc-auth/identities/${identityId}`,
      { oidcDiscoveryUrl: provider.issuer, boundIssuer: 'x' },
      kms.adminToken,
    );
    expect(again.status).toBe(400);
    const patched = await kms.admin('PATCH', `/api/v1/auth/oidc-auth/identities/${identityId}`, {
      accessTokenTTL: 60,
      accessTokenMaxTTL: 120,
    });
    expect(patched.identityOidcAuth).toMatchObject({
      accessTokenTTL: 60,
      accessTokenMaxTTL: 120,
      boundSubject: SPIFFE_ID,
    });
    const removed = await kms.admin('DELETE', `/api/v1/auth/oidc-auth/identities/${identityId}`);
    expect(removed.identityOidcAuth.identityId).toBe(identityId);
    const gone = await kms.call(
      'GET',
      `/api/v1/auth/oidc-auth/identities/${identityId}`,
      undefined,
      kms.adminToken,
    );
    // Upstream (identity-oidc-auth-service.ts getOidcAuth): 400 once the method is removed.
    expect(gone.status).toBe(400);
    expect(gone.body.message).toBe('The identity does not have OIDC Auth attached');
  });

  it('answers 422 for bad input', async () => {
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'bad',
      organizationId: kms.orgId,
    });
    const path = `/api/v1/auth/oidc-auth/identities/${identity.id}`;
    for (const body of [
      { boundIssuer: 'x' },
      { oidcDiscoveryUrl: 'ftp://x', boundIssuer: 'x' },
      { oidcDiscoveryUrl: provider.issuer },
      { oidcDiscoveryUrl: provider.issuer, boundIssuer: 'x', caCert: 'not a pem' },
      { oidcDiscoveryUrl: provider.issuer, boundIssuer: 'x', accessTokenTTL: 100, accessTokenMaxTTL: 10 },
      { oidcDiscoveryUrl: provider.issuer, boundIssuer: 'x', boundClaims: { a: 1 } },
      { oidcDiscoveryUrl: provider.issuer, boundIssuer: 'x', accessTokenTrustedIps: [{ ipAddress: 'nope' }] },
    ]) {
      const r = await kms.call('POST', path, body, kms.adminToken);
      expect(r.status, JSON.stringify(body)).toBe(422);
    }
  });

  it('only org admins configure it', async () => {
    const p = await kms.createProject('oidc-perm');
    const member = await kms.createMachineIdentity({ project: { id: p.id, role: 'admin' } });
    await kms.admin('PATCH', `/api/v1/identities/${member.identityId}`, { role: 'member' });
    const token = (await kms.login(member.clientId, member.clientSecret)).body.accessToken;
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'target',
      organizationId: kms.orgId,
    });
    const r = await kms.call(
      'POST',
      `/api/v1/auth/oidc-auth/identities/${identity.id}`,
      { oidcDiscoveryUrl: provider.issuer, boundIssuer: 'x' },
      token,
    );
    expect(r.status).toBe(403);
  });
});

describe('OIDC Auth login', () => {
  it('exchanges a JWT-SVID for an ordinary access token that reads secrets, renews and is audited without the JWT', async () => {
    const p = await kms.createProject('oidc-app');
    await kms.admin('POST', '/api/v3/secrets/raw/DB_URL', {
      workspaceId: p.id,
      environment: 'dev',
      secretPath: '/',
      secretValue: 'postgres://x',
    });
    const { identityId } = await oidcIdentity({ accessTokenTTL: 60, accessTokenMaxTTL: 120 });
    await kms.admin('POST', `/api/v2/workspace/${p.id}/identity-memberships/${identityId}`, {
      role: 'viewer',
    });
    const svid = await provider.svid({ spiffeId: SPIFFE_ID });
    const r = await login(identityId, svid);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ expiresIn: 60, accessTokenMaxTTL: 120, tokenType: 'Bearer' });
    const list = await kms.call(
      'GET',
      `/api/v3/secrets/raw?workspaceSlug=oidc-app&environment=dev&secretPath=/`,
      undefined,
      r.body.accessToken,
    );
    expect(list.body.secrets[0].secretValue).toBe('postgres://x');
    const renewed = await kms.call('POST', '/api/v1/auth/token/renew', { accessToken: r.body.accessToken });
    expect(renewed.status).toBe(200);
    kms.clock.advance(121);
    expect(
      (await kms.call('GET', `/api/v1/projects/${p.id}`, undefined, renewed.body.accessToken)).status,
    ).toBe(403);

    const logs = (await kms.admin('GET', '/api/v1/audit-logs?eventType=login-identity-oidc-auth')).auditLogs;
    expect(logs).toHaveLength(1);
    expect(logs[0].event.metadata).toMatchObject({
      identityId,
      claims: { sub: SPIFFE_ID, aud: 'kms', iss: provider.issuer },
    });
    expect(JSON.stringify(logs)).not.toContain(svid);
    expect(JSON.stringify(await kms.admin('GET', '/api/v1/audit-logs?limit=1000'))).not.toContain(
      svid.split('.')[2],
    );
  });

  it('audits configuration changes, and drops claims over 32 KB from the login entry', async () => {
    const { identityId } = await oidcIdentity();
    await kms.admin('PATCH', `/api/v1/auth/oidc-auth/identities/${identityId}`, { accessTokenTTL: 100 });
    await kms.admin('GET', `/api/v1/auth/oidc-auth/identities/${identityId}`);
    const big = await provider.sign({ sub: SPIFFE_ID, aud: 'kms', padding: 'x'.repeat(33 * 1024) });
    expect((await login(identityId, big)).status).toBe(200);
    const logs = (await kms.admin('GET', '/api/v1/audit-logs?limit=1000')).auditLogs as {
      event: { type: string; metadata: Record<string, unknown> };
    }[];
    const types = logs.map((l) => l.event.type);
    for (const t of ['add-identity-oidc-auth', 'update-identity-oidc-auth', 'get-identity-oidc-auth'])
      expect(types).toContain(t);
    const entry = logs.find((l) => l.event.type === 'login-identity-oidc-auth')!;
    expect(entry.event.metadata.claims).toEqual({ omitted: 'claims larger than 32 KB' });
  });

  it('honours the uses limit and trusted IPs like any token', async () => {
    const { identityId } = await oidcIdentity({ accessTokenNumUsesLimit: 1 });
    const r = await login(identityId, await provider.svid({ spiffeId: SPIFFE_ID }));
    const use = () => kms.call('GET', '/api/v1/projects', undefined, r.body.accessToken);
    expect((await use()).status).toBe(200);
    expect((await use()).status).toBe(401);
    const { identityId: far } = await oidcIdentity({ accessTokenTrustedIps: [{ ipAddress: '10.9.9.9/32' }] });
    const t = await login(far, await provider.svid({ spiffeId: SPIFFE_ID }));
    expect((await kms.call('GET', '/api/v1/projects', undefined, t.body.accessToken)).status).toBe(403);
  });

  it('answers every refusal with the contract status and message, never a 500', async () => {
    const { identityId } = await oidcIdentity({ boundClaims: { 'spiffe.trust_domain': 'example.org' } });
    const good = { sub: SPIFFE_ID, aud: 'kms', spiffe: { trust_domain: 'example.org' } };
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = createPublicKey({ key: provider.jwks()[0] as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    }) as string;
    const now = Math.floor(kms.clock.now() / 1000);
    const cases: [string, string | Promise<string>, number, RegExp][] = [
      ['ok', provider.sign(good), 200, /./],
      ['malformed', 'not.a.jwt', 401, /^Invalid JWT$/],
      [
        'alg none',
        new UnsecuredJWT({ ...good, iss: provider.issuer }).setExpirationTime(now + 60).encode(),
        401,
        /Access denied/,
      ],
      [
        'foreign key, known kid',
        new SignJWT({ ...good, iss: provider.issuer })
          .setProtectedHeader({ alg: 'RS256', kid: provider.currentKid })
          .setExpirationTime(now + 60)
          .sign(other.privateKey),
        401,
        /invalid signature/,
      ],
      [
        'foreign kid',
        new SignJWT({ ...good, iss: provider.issuer })
          .setProtectedHeader({ alg: 'RS256', kid: 'nope' })
          .setExpirationTime(now + 60)
          .sign(other.privateKey),
        401,
        /signing key 'nope' was not found/,
      ],
      [
        'HS256 with the public key as secret',
        new SignJWT({ ...good, iss: provider.issuer })
          .setProtectedHeader({ alg: 'HS256', kid: provider.currentKid })
          .setExpirationTime(now + 60)
          .sign(createSecretKey(Buffer.from(publicPem))),
        401,
        /invalid algorithm/,
      ],
      ['expired', provider.sign({ ...good, exp: now - 60 }), 401, /expired/],
      ['not yet valid', provider.sign({ ...good, nbf: now + 600 }), 401, /jwt not active/],
      ['wrong issuer', provider.sign({ ...good, iss: 'https://evil.example' }), 401, /jwt issuer invalid/],
      [
        'subject',
        provider.sign({ ...good, sub: 'spiffe://example.org/other' }),
        403,
        /OIDC subject not allowed/,
      ],
      ['audience', provider.sign({ ...good, aud: 'other' }), 401, /OIDC audience not allowed/],
      [
        'claim missing',
        provider.sign({ sub: SPIFFE_ID, aud: 'kms' }),
        401,
        /token has no spiffe.trust_domain field/,
      ],
      [
        'claim mismatch',
        provider.sign({ ...good, spiffe: { trust_domain: 'evil.org' } }),
        401,
        /OIDC claim not allowed/,
      ],
    ];
    for (const [name, jwt, status, message] of cases) {
      const r = await login(identityId, await jwt);
      expect(r.status, name).toBe(status);
      if (status !== 200) expect(r.body.message, name).toMatch(message);
    }
    expect((await login(identityId, `${'a'.repeat(70000)}.b.c`)).status).toBe(422);
    expect((await login('8d0f3e8a-1c2b-4e5f-9a6b-7c8d9e0f1a2b', await provider.svid())).status).toBe(404);
    expect((await login(identityId, '')).body.message).toBe('Invalid JWT');
  });

  it('matches bound claims by dotted path, glob, array element, boolean and number', async () => {
    const { identityId } = await oidcIdentity({
      boundSubject: 'spiffe://example.org/ns/*/sa/*',
      boundAudiences: 'other, km*',
      boundClaims: { groups: 'ops', 'meta.admin': 'true', 'meta.level': '3', 'meta.region': 'eu-*' },
    });
    const claims = {
      sub: SPIFFE_ID,
      aud: ['x', 'kms'],
      groups: ['dev', 'ops'],
      meta: { admin: true, level: 3, region: 'eu-west-1' },
    };
    expect((await login(identityId, await provider.sign(claims))).status).toBe(200);
    for (const [name, change] of [
      ['array', { groups: ['dev'] }],
      ['boolean', { meta: { ...claims.meta, admin: false } }],
      ['number', { meta: { ...claims.meta, level: 4 } }],
      ['glob', { meta: { ...claims.meta, region: 'us-east-1' } }],
    ] as const) {
      expect((await login(identityId, await provider.sign({ ...claims, ...change }))).status, name).toBe(401);
    }
  });

  it('is a 401, never a 500 or a hang, when discovery fails; refuses private URLs unless allowed', async () => {
    const { identityId } = await oidcIdentity();
    const svid = await provider.svid({ spiffeId: SPIFFE_ID });
    await provider.close();
    const down = await login(identityId, svid);
    expect(down.status).toBe(401);
    expect(down.body.message).toMatch(/Failed to fetch OIDC discovery document/);

    const strict = await startTestServer({ settings: { oidc: { allowPrivateUrls: false } } });
    extra.push(strict);
    const p2 = await startOidcProvider({ now: strict.clock.now });
    extra.push(p2);
    const { identity } = await strict.admin('POST', '/api/v1/identities', {
      name: 'ssrf',
      organizationId: strict.orgId,
    });
    await strict.admin('POST', `/api/v1/auth/oidc-auth/identities/${identity.id}`, {
      oidcDiscoveryUrl: p2.issuer,
      boundIssuer: p2.issuer,
    });
    const refused = await strict.call('POST', '/api/v1/auth/oidc-auth/login', {
      identityId: identity.id,
      jwt: await p2.svid(),
    });
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/private address.*KMS_OIDC_ALLOW_PRIVATE_URLS/);
    expect(p2.fetches.discovery).toBe(0);
  });
});

describe('tokens without exp, and a failing provider', () => {
  it('refuses a token without exp with a 401 saying so, for OIDC and JWT Auth alike', async () => {
    const { identityId } = await oidcIdentity();
    const forever = await provider.sign({ sub: SPIFFE_ID, aud: 'kms' }, { expiresInSeconds: null });
    const oidc = await login(identityId, forever);
    expect(oidc.status).toBe(401);
    expect(oidc.body.message).toMatch(/the token has no exp \(expiry\) claim/);

    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: `j-${Math.random()}`,
      organizationId: kms.orgId,
    });
    await kms.admin('POST', `/api/v1/auth/jwt-auth/identities/${identity.id}`, {
      configurationType: 'jwks',
      jwksUrl: provider.jwksUrl,
      boundIssuer: provider.issuer,
    });
    const jwt = await login(identity.id, forever, 'jwt-auth');
    expect(jwt.status).toBe(401);
    expect(jwt.body.message).toMatch(/no exp \(expiry\) claim/);
    const withExp = await provider.sign({ sub: SPIFFE_ID, aud: 'kms' });
    expect((await login(identity.id, withExp, 'jwt-auth')).status).toBe(200);
  });

  it('a provider answering 503 is fetched once per backoff, however many logins arrive', async () => {
    let fetches = 0;
    const failing = createServer((_req, res) => {
      fetches++;
      res.writeHead(503).end('down');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    extra.push({ close: () => new Promise<void>((resolve) => failing.close(() => resolve())) });
    const issuer = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const { identityId } = await oidcIdentity({ oidcDiscoveryUrl: issuer, boundIssuer: issuer });
    const svid = await provider.svid({ spiffeId: SPIFFE_ID });
    const logins = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await login(identityId, svid);
        expect(r.status).toBe(401);
        expect(r.body.message).toMatch(/Failed to fetch OIDC discovery document/);
      }
    };
    await logins(100);
    // One fetch per replica answering logins (2 on PostgreSQL, behind a round robin).
    expect(fetches).toBe(kms.replicas);
    kms.clock.advance(6); // past the first backoff (the refetch interval, 5 s)
    await logins(10);
    expect(fetches).toBe(2 * kms.replicas);
    kms.clock.advance(6); // the backoff doubled to 10 s: not yet
    await logins(10);
    expect(fetches).toBe(2 * kms.replicas);
    kms.clock.advance(5);
    await logins(10);
    expect(fetches).toBe(3 * kms.replicas);
  });
});

describe('the private-address guard (KMS_OIDC_ALLOW_PRIVATE_URLS off)', () => {
  const privateOnes = [
    '::7f00:1', // ::127.0.0.1, IPv4-compatible
    '::ffff:7f00:1', // ::ffff:127.0.0.1, IPv4-mapped (hex form, as URL parsing writes it)
    '::ffff:0:a00:1', // IPv4-translated 10.0.0.1
    '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254 (cloud metadata)
    '64:ff9b:1::808:808', // local-use NAT64: private whatever it carries
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2002:c0a8:101::1', // 6to4 of 192.168.1.1
    '::1',
    'fe80::1',
    '10.1.2.3',
    '169.254.169.254',
  ];
  const publicOnes = ['8.8.8.8', '2606:4700::1111', '64:ff9b::808:808', '2002:808:808::1', '::ffff:8.8.8.8'];

  it('judges an IPv6 address that carries an IPv4 one by that IPv4 address', () => {
    for (const a of privateOnes) expect([a, isPrivateAddress(a)]).toEqual([a, true]);
    for (const a of publicOnes) expect([a, isPrivateAddress(a)]).toEqual([a, false]);
  });

  it('refuses discovery URLs at such addresses with a 401 naming the setting, without a fetch', async () => {
    const strict = await startTestServer({ settings: { oidc: { allowPrivateUrls: false } } });
    extra.push(strict);
    const hosts = [
      '[::127.0.0.1]',
      '[64:ff9b::7f00:1]',
      '[::ffff:127.0.0.1]',
      '[2002:7f00:1::]',
      'localhost',
    ];
    for (const host of hosts) {
      const url = `http://${host}:${new URL(provider.issuer).port}`;
      const { identity } = await strict.admin('POST', '/api/v1/identities', {
        name: `ssrf-${Math.random()}`,
        organizationId: strict.orgId,
      });
      await strict.admin('POST', `/api/v1/auth/oidc-auth/identities/${identity.id}`, {
        oidcDiscoveryUrl: url,
        boundIssuer: url,
      });
      const refused = await strict.call('POST', '/api/v1/auth/oidc-auth/login', {
        identityId: identity.id,
        jwt: await provider.svid(),
      });
      expect([host, refused.status]).toEqual([host, 401]);
      expect(refused.body.message).toMatch(/private address.*KMS_OIDC_ALLOW_PRIVATE_URLS/);
    }
    expect(provider.fetches.discovery).toBe(0);
  });
});

describe('signing-key rotation and the JWKS cache', () => {
  it('accepts a new kid at once and the old one until it leaves the JWKS', async () => {
    const { identityId } = await oidcIdentity();
    const oldKid = provider.currentKid;
    expect((await login(identityId, await provider.svid({ spiffeId: SPIFFE_ID }))).status).toBe(200);
    await provider.rotate();
    kms.clock.advance(6); // past the refetch interval (5 s)
    expect((await login(identityId, await provider.svid({ spiffeId: SPIFFE_ID }))).status).toBe(200);
    const oldToken = await provider.sign({ sub: SPIFFE_ID, aud: 'kms' }, { kid: oldKid });
    expect((await login(identityId, oldToken)).status).toBe(200);
    provider.retire(oldKid);
    kms.clock.advance(601); // the cache's max age: keys are fetched again
    const afterRetire = await login(
      identityId,
      await provider.sign({ sub: SPIFFE_ID, aud: 'kms' }, { kid: oldKid }).catch(() => oldToken),
    );
    expect(afterRetire.status).toBe(401);
  });

  it('a flood of tokens naming unknown keys costs at most one JWKS fetch per refetch interval', async () => {
    const { identityId } = await oidcIdentity();
    await login(identityId, await provider.svid({ spiffeId: SPIFFE_ID }));
    const before = provider.fetches.jwks;
    const now = Math.floor(kms.clock.now() / 1000);
    const bad = await new SignJWT({ sub: SPIFFE_ID, aud: 'kms', iss: provider.issuer })
      .setProtectedHeader({ alg: 'RS256', kid: 'unknown' })
      .setExpirationTime(now + 60)
      .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const results = await Promise.all(Array.from({ length: 50 }, () => login(identityId, bad)));
    expect(results.every((r) => r.status === 401)).toBe(true);
    expect(provider.fetches.jwks - before).toBeLessThanOrEqual(1);
  });

  it('concurrent first logins share one discovery and one JWKS fetch (per replica)', async () => {
    const { identityId } = await oidcIdentity();
    const svids = await Promise.all(Array.from({ length: 20 }, () => provider.svid({ spiffeId: SPIFFE_ID })));
    const results = await Promise.all(svids.map((s) => login(identityId, s)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(provider.fetches).toEqual({ discovery: kms.replicas, jwks: kms.replicas });
  });

  it('tries every key for a token without kid, up to ten keys', async () => {
    const noKid = await startOidcProvider({ now: kms.clock.now, omitKid: true });
    extra.push(noKid);
    const { identityId } = await oidcIdentity(
      { oidcDiscoveryUrl: noKid.issuer, boundIssuer: noKid.issuer },
      noKid,
    );
    await noKid.rotate();
    expect((await login(identityId, await noKid.svid({ spiffeId: SPIFFE_ID }))).status).toBe(200);
    for (let i = 0; i < 10; i++) await noKid.rotate();
    kms.clock.advance(601);
    const many = await login(identityId, await noKid.svid({ spiffeId: SPIFFE_ID }));
    expect(many.status).toBe(401);
    expect(many.body.message).toMatch(/more than 10 keys/);
  });
});

describe('caCert: strict TLS to the provider', () => {
  it('trusts a provider whose certificate a configured CA signed, and refuses it without the CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-oidc-ca-'));
    const sh = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    sh([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Test CA',
    ]);
    sh([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'srv.key',
      '-out',
      'srv.csr',
      '-subj',
      '/CN=127.0.0.1',
    ]);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    sh([
      'x509',
      '-req',
      '-in',
      'srv.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'srv.pem',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ]);
    const tlsProvider = await startOidcProvider({
      now: kms.clock.now,
      tls: {
        cert: readFileSync(join(dir, 'srv.pem'), 'utf8'),
        key: readFileSync(join(dir, 'srv.key'), 'utf8'),
      },
    });
    extra.push(tlsProvider);
    expect(tlsProvider.issuer).toMatch(/^https:/);
    const base = { oidcDiscoveryUrl: tlsProvider.issuer, boundIssuer: tlsProvider.issuer };
    const without = await oidcIdentity(base, tlsProvider);
    const refused = await login(without.identityId, await tlsProvider.svid({ spiffeId: SPIFFE_ID }));
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/Failed to fetch OIDC discovery document/);
    const withCa = await oidcIdentity(
      { ...base, caCert: readFileSync(join(dir, 'ca.pem'), 'utf8') },
      tlsProvider,
    );
    expect((await login(withCa.identityId, await tlsProvider.svid({ spiffeId: SPIFFE_ID }))).status).toBe(
      200,
    );
  });
});

describe('JWT Auth', () => {
  async function jwtIdentity(config: Record<string, unknown>) {
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: `j-${Math.random()}`,
      organizationId: kms.orgId,
    });
    const r = await kms.call(
      'POST',
      `/api/v1/auth/jwt-auth/identities/${identity.id}`,
      config,
      kms.adminToken,
    );
    return { identityId: identity.id as string, r };
  }

  it('verifies with a JWKS URL, with the JWT Auth wording of refusals', async () => {
    const { identityId, r } = await jwtIdentity({
      configurationType: 'jwks',
      jwksUrl: provider.jwksUrl,
      boundIssuer: provider.issuer,
      boundSubject: SPIFFE_ID,
      boundAudiences: 'kms',
      boundClaims: { env: 'prod' },
    });
    expect(r.status).toBe(200);
    expect(r.body.identityJwtAuth).toMatchObject({
      configurationType: 'jwks',
      jwksUrl: provider.jwksUrl,
      publicKeys: [],
    });
    const good = { sub: SPIFFE_ID, aud: 'kms', env: 'prod' };
    expect((await login(identityId, await provider.sign(good), 'jwt-auth')).status).toBe(200);
    const cases: [JWTLike, number, RegExp][] = [
      [{ ...good, iss: 'other' }, 403, /issuer mismatch/],
      [{ ...good, sub: 'spiffe://x/y' }, 403, /subject not allowed/],
      [{ ...good, aud: 'x' }, 401, /token audience not allowed/],
      [{ ...good, env: 'dev' }, 401, /claim mismatch for field env/],
    ];
    for (const [claims, status, message] of cases) {
      const res = await login(identityId, await provider.sign(claims), 'jwt-auth');
      expect(res.status).toBe(status);
      expect(res.body.message).toMatch(message);
    }
  });

  it('verifies with static PEM keys, trying each', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const providerPem = createPublicKey({ key: provider.jwks()[0] as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const { identityId, r } = await jwtIdentity({
      configurationType: 'static',
      publicKeys: [other.publicKey.export({ type: 'spki', format: 'pem' }), providerPem],
      boundIssuer: provider.issuer,
    });
    expect(r.status).toBe(200);
    expect((await login(identityId, await provider.svid(), 'jwt-auth')).status).toBe(200);
    const stranger = await new SignJWT({ iss: provider.issuer })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('1h')
      .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const refused = await login(identityId, stranger, 'jwt-auth');
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/JWT verification failed with all keys/);
  });

  it('refuses a configuration that cannot work', async () => {
    expect((await jwtIdentity({ configurationType: 'jwks' })).r.status).toBe(422);
    expect((await jwtIdentity({ configurationType: 'static', publicKeys: [] })).r.status).toBe(422);
    expect((await jwtIdentity({ configurationType: 'static', publicKeys: ['not a key'] })).r.status).toBe(
      422,
    );
  });
});

type JWTLike = Record<string, unknown>;
