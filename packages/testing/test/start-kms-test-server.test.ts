import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KmsTestServer, KmsTestApiError, startKmsTestServer } from '../src/index.js';

describe('startKmsTestServer', () => {
  let kms: KmsTestServer;
  beforeAll(async () => {
    kms = await startKmsTestServer({
      projectSlug: 'testing-pkg',
      secrets: { dev: { '/': { ROOT_KEY: 'root' }, '/app/api': { DATABASE_URL: 'postgres://x' } } },
      identity: { role: 'viewer', accessTokenTTL: 60 },
    });
  });
  afterAll(() => kms?.close());

  async function loginAndList(secretPath: string) {
    const login = await fetch(`${kms.url}/api/v1/auth/universal-auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: kms.clientId, clientSecret: kms.clientSecret }),
    });
    expect(login.status).toBe(200);
    const { accessToken, expiresIn } = (await login.json()) as { accessToken: string; expiresIn: number };
    expect(expiresIn).toBe(60);
    const res = await fetch(
      `${kms.url}/api/v3/secrets/raw?workspaceSlug=${kms.projectSlug}&environment=dev&secretPath=${encodeURIComponent(secretPath)}`,
      { headers: { authorization: `Bearer ${accessToken}` } },
    );
    expect(res.status).toBe(200);
    return ((await res.json()) as { secrets: { secretKey: string; secretValue: string }[] }).secrets;
  }

  it('provisions a project, nested folders, secrets and a viewer identity that can read them', async () => {
    expect(kms.projectSlug).toBe('testing-pkg');
    expect(await loginAndList('/app/api')).toEqual([
      expect.objectContaining({ secretKey: 'DATABASE_URL', secretValue: 'postgres://x' }),
    ]);
  });

  it('sets, updates and deletes secrets, creating folders as needed', async () => {
    await kms.setSecret('dev', '/new/folder', 'TOKEN', 'one');
    await kms.setSecret('dev', '/new/folder', 'TOKEN', 'two');
    expect((await loginAndList('/new/folder')).map((s) => s.secretValue)).toEqual(['two']);
    await kms.deleteSecret('dev', '/new/folder', 'TOKEN');
    expect(await loginAndList('/new/folder')).toEqual([]);
  });

  it('reports a failed admin call with its status', async () => {
    const error = await kms.api('GET', '/api/v2/workspace/does-not-exist').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsTestApiError);
    expect((error as KmsTestApiError).status).toBe(404);
  });
});
