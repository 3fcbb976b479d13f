// OIDC and JWT Auth from the client side, against the reference server and a real OIDC discovery
// provider on loopback (both from @hanzo/kms-server): the JWT source is asked again at every login.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsAuthenticationError, KmsClient, KmsPermissionDeniedError } from '../src/index.js';
import { loadServerModule, loadStartServer, type Provisioned, ReferenceServer } from './reference-server.js';

interface Provider {
  issuer: string;
  jwksUrl: string;
  svid(o?: { spiffeId?: string; audience?: string; ttlSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}
const { startOidcProvider } = (await loadServerModule()) as { startOidcProvider: () => Promise<Provider> };
const startServer = await loadStartServer();
const SPIFFE_ID = 'spiffe://example.org/ns/prod/sa/api';

let server: ReferenceServer;
let provider: Provider;
let env: Provisioned;

/** An identity with OIDC Auth (or JWT Auth) bound to the provider, viewer of env's project. */
async function jwtIdentity(method: 'oidc-auth' | 'jwt-auth', tokens: Record<string, number> = {}) {
  const { identity } = await server.admin<{ identity: { id: string } }>('POST', '/api/v1/identities', {
    name: `svid-${Math.random()}`,
    organizationId: server.orgId,
  });
  const config =
    method === 'oidc-auth'
      ? { oidcDiscoveryUrl: provider.issuer }
      : { configurationType: 'jwks', jwksUrl: provider.jwksUrl };
  await server.admin('POST', `/api/v1/auth/${method}/identities/${identity.id}`, {
    ...config,
    boundIssuer: provider.issuer,
    boundAudiences: 'kms',
    boundSubject: SPIFFE_ID,
    ...tokens,
  });
  await server.admin('POST', `/api/v2/workspace/${env.projectId}/identity-memberships/${identity.id}`, {
    role: 'viewer',
  });
  return identity.id;
}

beforeAll(async () => {
  server = await ReferenceServer.start(startServer, false, { oidc: { allowPrivateUrls: true } });
  provider = await startOidcProvider();
  env = await server.provision();
});
afterAll(async () => {
  await provider?.close();
  await server?.close();
});

const list = (kms: KmsClient) =>
  kms.secrets.list({ projectId: env.projectId, environment: 'dev', secretPath: '/app' });

describe('OIDC Auth', () => {
  it('logs in with a JWT-SVID and reads secrets', async () => {
    const identityId = await jwtIdentity('oidc-auth');
    const kms = new KmsClient({
      siteUrl: server.url,
      auth: { oidc: { identityId, jwt: await provider.svid({ spiffeId: SPIFFE_ID }) } },
    });
    expect((await list(kms)).secrets.map((s) => s.secretKey)).toEqual(['DB_HOST', 'DB_PASS', 'DB_USER']);
    await kms.close();
  });

  it('calls the jwt function again at every login, so a rotated short-lived SVID is always fresh', async () => {
    // Tokens live 2 s, sessions 3 s; each SVID lives 2 s: a client that re-sent the first SVID would fail.
    const identityId = await jwtIdentity('oidc-auth', { accessTokenTTL: 2, accessTokenMaxTTL: 3 });
    let calls = 0;
    const issued: string[] = [];
    const kms = new KmsClient({
      siteUrl: server.url,
      auth: {
        oidc: {
          identityId,
          jwt: async () => {
            calls++;
            const svid = await provider.svid({ spiffeId: SPIFFE_ID, ttlSeconds: 2 });
            issued.push(svid);
            return svid;
          },
        },
      },
    });
    let logins = 0;
    kms.on('tokenRefreshed', (e) => e.kind === 'login' && logins++);
    const failures: unknown[] = [];
    const until = Date.now() + 7_000;
    while (Date.now() < until) {
      await list(kms).catch((e) => failures.push(e));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(failures).toEqual([]);
    expect(logins).toBeGreaterThanOrEqual(3);
    // One call per login (plus at most one for a background login still in flight at the end).
    expect(calls).toBeGreaterThanOrEqual(logins);
    expect(calls).toBeLessThanOrEqual(logins + 1);
    // Nothing prints the JWT.
    expect(inspect(kms, { depth: 5 })).not.toContain(issued[0]!);
    expect(JSON.stringify(kms)).not.toContain(issued[0]!);
    await kms.close();
  }, 20_000);

  it('kms.auth.oidc.login works by hand; a refused SVID is a typed error carrying the reason, not the JWT', async () => {
    const identityId = await jwtIdentity('oidc-auth');
    const kms = new KmsClient({ siteUrl: server.url });
    const info = await kms.auth.oidc.login({ identityId, jwt: await provider.svid({ spiffeId: SPIFFE_ID }) });
    expect(info.tokenType).toBe('Bearer');
    const wrongSubject = await provider.svid({ spiffeId: 'spiffe://example.org/other' });
    const denied = await kms.auth.oidc.login({ identityId, jwt: wrongSubject }).catch((e) => e);
    expect(denied).toBeInstanceOf(KmsPermissionDeniedError);
    expect(denied.message).toMatch(/OIDC subject not allowed/);
    expect(denied.message).toMatch(/oidc-auth\/login/);
    const wrongAudience = await provider.svid({ spiffeId: SPIFFE_ID, audience: 'other' });
    const refused = await kms.auth.oidc.login({ identityId, jwt: wrongAudience }).catch((e) => e);
    expect(refused).toBeInstanceOf(KmsAuthenticationError);
    for (const error of [denied, refused]) {
      for (const jwt of [wrongSubject, wrongAudience]) {
        expect(error.message).not.toContain(jwt);
        expect(inspect(error)).not.toContain(jwt);
        expect(JSON.stringify(error)).not.toContain(jwt);
      }
    }
    await kms.close();
  });

  it('refuses an empty JWT from the source with a typed error naming the field', async () => {
    const kms = new KmsClient({ siteUrl: server.url, auth: { oidc: { identityId: 'x', jwt: () => '' } } });
    await expect(list(kms)).rejects.toMatchObject({ name: 'KmsValidationError', field: 'jwt' });
    expect(
      () => new KmsClient({ siteUrl: server.url, auth: { oidc: { identityId: 'x', jwt: 42 as never } } }),
    ).toThrow(/auth/);
  });
});

describe('JWT Auth', () => {
  it('auth: { jwt } logs in and reads; kms.auth.jwt.login works by hand', async () => {
    const identityId = await jwtIdentity('jwt-auth');
    const kms = new KmsClient({
      siteUrl: server.url,
      auth: { jwt: { identityId, jwt: () => provider.svid({ spiffeId: SPIFFE_ID }) } },
    });
    expect((await list(kms)).secrets).toHaveLength(3);
    const manual = new KmsClient({ siteUrl: server.url });
    await manual.auth.jwt.login({ identityId, jwt: await provider.svid({ spiffeId: SPIFFE_ID }) });
    expect((await list(manual)).secrets).toHaveLength(3);
    await kms.close();
    await manual.close();
  });
});
