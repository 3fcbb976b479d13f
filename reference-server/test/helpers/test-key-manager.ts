import { randomBytes } from 'node:crypto';
import { HanzoKmsKeyManager } from '../../src/crypto/backends/hanzo-kms.js';
import { type KeyManager, LocalKeyManager } from '../../src/crypto/key-manager.js';
import { ApiClient } from '../../src/provisioning/api-client.js';
import { type RunningServer, startServer } from '../../src/server.js';

/** A second reference server holding an `aes-256-gcm` root key, and an identity allowed to use it. */
export interface RootKms {
  server: RunningServer;
  url: string;
  keyId: string;
  clientId: string;
  clientSecret: string;
  adminToken: string;
  projectId: string;
}

/** Starts a root KMS (a reference server on the local backend) with its key and a member identity. */
export async function startRootKms(): Promise<RootKms> {
  const server = await startServer({ rateLimit: false, keyManager: new LocalKeyManager(randomBytes(32)) });
  const api = new ApiClient(server.url);
  const boot = await api.call<any>('POST', '/api/v1/admin/bootstrap', {
    email: 'root@kms.test',
    password: 'test-admin-password',
    organization: 'root-kms',
  });
  const admin = boot.identity.credentials.token as string;
  api.useToken(admin);
  const { project } = await api.call<any>('POST', '/api/v2/workspace', {
    projectName: 'root-keys',
    slug: 'root-keys',
  });
  const { key } = await api.call<any>('POST', '/api/v1/kms/keys', {
    projectId: project.id,
    name: 'root-key',
  });
  const { identity } = await api.call<any>('POST', '/api/v1/identities', {
    name: 'kms-server-root-key',
    organizationId: boot.organization.id,
  });
  const { identityUniversalAuth } = await api.call<any>(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}`,
    {},
  );
  const { clientSecret } = await api.call<any>(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
    {},
  );
  await api.call<any>('POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
    role: 'member',
  });
  return {
    server,
    url: server.url,
    keyId: key.id,
    clientId: identityUniversalAuth.clientId,
    clientSecret,
    adminToken: admin,
    projectId: project.id,
  };
}

let sharedRoot: Promise<RootKms> | undefined;

/**
 * The key manager test servers use: `local` with a random key, or, when the suite runs with
 * `KMS_TEST_KEY_BACKEND=kms` (package.json `test:kms-backend`), a root key held in a second reference
 * server, one per test file: the conformance run of the `kms` backend.
 */
export async function testKeyManager(): Promise<KeyManager> {
  if (process.env.KMS_TEST_KEY_BACKEND !== 'kms') return new LocalKeyManager(randomBytes(32));
  sharedRoot ??= startRootKms();
  const root = await sharedRoot;
  return new HanzoKmsKeyManager({
    url: root.url,
    keyId: root.keyId,
    clientId: root.clientId,
    clientSecret: root.clientSecret,
  });
}
