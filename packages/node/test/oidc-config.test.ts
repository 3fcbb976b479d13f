// OIDC and JWT Auth configuration in kms-node: KMS_AUTH_METHOD (or inference), the identity id, and a
// JWT file read again at every login; then the real thing end to end, with `kms run`, `kms export`
// and `--import @hanzo/kms-node/register` against the reference server and a loopback OIDC provider.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  type KmsTestServer,
  type OidcProvider,
  startKmsTestServer,
  startOidcProvider,
} from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAuth, KmsNodeConfigError, resolveConfig } from '../src/index.ts';
import { baseEnv, cliPath, emptyDir, errorOf, registerPath, runKms, runNode } from './helpers.ts';

const site = {
  KMS_SITE_URL: 'https://kms.example.test',
  KMS_PROJECT_SLUG: 'shop',
  KMS_ENVIRONMENT: 'prod',
  KMS_CREDENTIALS_DIR: '/nonexistent',
};
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

describe('auth method resolution', () => {
  it('infers oidc from an identity id and a JWT file; reads the file again at every login', async () => {
    const dir = emptyDir();
    const file = join(dir, 'svid.jwt');
    writeFileSync(file, 'first.jwt.value\n');
    const config = resolveConfig({ env: { ...site, KMS_IDENTITY_ID: 'id-1', KMS_OIDC_JWT_FILE: file } });
    expect(config).toMatchObject({ authMethod: 'oidc', identityId: 'id-1', jwtFile: file, clientId: '' });
    expect(config.sources.authMethod).toBe('default');
    const auth = clientAuth(config) as { oidc: { identityId: string; jwt: () => string } };
    expect(auth.oidc.identityId).toBe('id-1');
    expect(auth.oidc.jwt()).toBe('first.jwt.value');
    writeFileSync(file, 'second.jwt.value');
    expect(auth.oidc.jwt()).toBe('second.jwt.value');
  });

  it('takes kms-go INFISICAL_OIDC_AUTH_IDENTITY_ID and a JWT value, and never prints the JWT', () => {
    const config = resolveConfig({
      env: { ...site, INFISICAL_OIDC_AUTH_IDENTITY_ID: 'id-2', KMS_OIDC_JWT: JWT },
    });
    expect(config).toMatchObject({ authMethod: 'oidc', identityId: 'id-2' });
    expect(config.jwt).toBe(JWT);
    expect(JSON.stringify(config)).not.toContain(JWT);
    expect(inspect(config)).not.toContain(JWT);
  });

  it('KMS_AUTH_METHOD=jwt selects JWT Auth; universal-auth stays the default', () => {
    const jwt = resolveConfig({
      env: { ...site, KMS_AUTH_METHOD: 'jwt', KMS_IDENTITY_ID: 'id-3', KMS_OIDC_JWT: JWT },
    });
    expect(Object.keys(clientAuth(jwt))).toEqual(['jwt']);
    const ua = resolveConfig({ env: { ...site, KMS_CLIENT_ID: 'c', KMS_CLIENT_SECRET: 's' } });
    expect(ua.authMethod).toBe('universal-auth');
    expect(Object.keys(clientAuth(ua))).toEqual(['universalAuth']);
  });

  it('refuses ambiguity and missing pieces with one line naming the variable', () => {
    const both = errorOf(() =>
      resolveConfig({
        env: { ...site, KMS_CLIENT_ID: 'c', KMS_CLIENT_SECRET: 's', KMS_IDENTITY_ID: 'i', KMS_OIDC_JWT: JWT },
      }),
    );
    expect(both).toBeInstanceOf(KmsNodeConfigError);
    expect(both.message).toMatch(/KMS_AUTH_METHOD is not set, and both/);
    expect(
      errorOf(() => resolveConfig({ env: { ...site, KMS_AUTH_METHOD: 'oidc', KMS_OIDC_JWT: JWT } })).message,
    ).toMatch(/KMS_IDENTITY_ID is not set/);
    expect(
      errorOf(() => resolveConfig({ env: { ...site, KMS_AUTH_METHOD: 'oidc', KMS_IDENTITY_ID: 'i' } }))
        .message,
    ).toMatch(/KMS_OIDC_JWT_FILE is not set/);
    expect(errorOf(() => resolveConfig({ env: { ...site, KMS_AUTH_METHOD: 'ldap' } })).message).toMatch(
      /KMS_AUTH_METHOD must be universal-auth, oidc or jwt/,
    );
    const missingFile = resolveConfig({
      env: { ...site, KMS_IDENTITY_ID: 'i', KMS_OIDC_JWT_FILE: '/nonexistent/svid' },
    });
    const auth = clientAuth(missingFile) as { oidc: { jwt: () => string } };
    expect(() => auth.oidc.jwt()).toThrow(/\/nonexistent\/svid does not exist/);
    for (const e of [both]) expect(e.message).not.toContain(JWT);
  });
});

describe('end to end with a SPIRE-like provider', () => {
  let kms: KmsTestServer;
  let provider: OidcProvider;
  let identityId: string;
  const SPIFFE_ID = 'spiffe://example.org/ns/shop/sa/api';

  beforeAll(async () => {
    kms = await startKmsTestServer({
      secrets: { dev: { '/app': { DATABASE_URL: 'postgres://oidc-db', API_KEY: 'k-1' } } },
    });
    provider = await startOidcProvider();
    identityId = await kms.addOidcIdentity(provider, { boundSubject: SPIFFE_ID });
  });
  afterAll(async () => {
    await provider?.close();
    await kms?.close();
  });

  function oidcEnv(file: string) {
    return baseEnv({
      KMS_SITE_URL: kms.url,
      KMS_PROJECT_SLUG: kms.projectSlug,
      KMS_ENVIRONMENT: 'dev',
      KMS_SECRET_PATH: '/app',
      KMS_IDENTITY_ID: identityId,
      KMS_OIDC_JWT_FILE: file,
    });
  }

  it('kms run, kms export and --import register log in with the JWT-SVID file', async () => {
    const file = join(emptyDir(), 'svid.jwt');
    writeFileSync(file, await provider.svid({ spiffeId: SPIFFE_ID }));
    const env = oidcEnv(file);
    const run = await runKms(['run', '--', 'node', '-e', 'console.log(process.env.DATABASE_URL)'], env);
    expect(run.stderr).toMatch(/^kms: injected \d+ secrets? from /);
    expect(run.stdout).toBe('postgres://oidc-db\n');
    const exported = await runKms(['export', '--format', 'json'], env);
    expect(JSON.parse(exported.stdout)).toEqual({ API_KEY: 'k-1', DATABASE_URL: 'postgres://oidc-db' });
    const booted = await runNode(['--import', registerPath, '-e', 'console.log(process.env.API_KEY)'], env);
    expect(booted.stdout).toBe('k-1\n');
    expect(cliPath).toBeTruthy();
  });

  it('a refused SVID fails with exit 77 and the reason, never the token', async () => {
    const file = join(emptyDir(), 'svid.jwt');
    const wrong = await provider.svid({ spiffeId: 'spiffe://example.org/ns/other/sa/x' });
    writeFileSync(file, wrong);
    const result = await runKms(['export'], oidcEnv(file));
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/OIDC subject not allowed/);
    expect(result.stderr).not.toContain(wrong);
  });
});
