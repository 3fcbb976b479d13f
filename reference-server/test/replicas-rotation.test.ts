// Root-key rotation with replicas running: one store re-wraps every key; the other replica, which
// has the old wrapped forms cached, notices the change on its next request and unwraps the new form
// (its key backend can reach both keys, as a Vault transit key or an AWS KMS alias across versions can).
import { randomBytes } from 'node:crypto';
import { ApiClient } from '../src/provisioning/api-client.js';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type KeyManager, LocalKeyManager, type WrappedKey } from '../src/crypto/key-manager.js';
import { type RunningServer, startServer } from '../src/server.js';
import { openStore } from '../src/store/store.js';
import { createDatabase } from './helpers/postgres.js';

const oldKey = new LocalKeyManager(randomBytes(32));
const newKey = new LocalKeyManager(randomBytes(32));
/** A backend that wraps with `current` and unwraps under either key, counting unwraps. */
function twoKeyBackend(current: () => LocalKeyManager) {
  const counts = { unwraps: 0 };
  const manager: KeyManager = {
    describe: () => current().describe(),
    generateDataKey: () => current().generateDataKey(),
    wrapDataKey: (key) => current().wrapDataKey(key),
    unwrapDataKey: async (wrapped: WrappedKey) => {
      counts.unwraps++;
      return (wrapped.keyId === newKey.keyId ? newKey : oldKey).unwrapDataKey(wrapped);
    },
  };
  return { manager, counts };
}

let inUse = oldKey;
const a = twoKeyBackend(() => inUse);
const b = twoKeyBackend(() => inUse);
let databaseUrl: string;
let replicaA: RunningServer;
let replicaB: RunningServer;
let admin: string;

/** The API's own client (src/provisioning/api-client.ts), as the admin. */
function call(server: RunningServer, method: string, path: string, body?: unknown) {
  return new ApiClient(server.url, admin).request<any>(method, path, body);
}

beforeAll(async () => {
  databaseUrl = await createDatabase(inject('postgresAdminUrl'));
  replicaA = await startServer({ databaseUrl, keyManager: a.manager, rateLimit: false });
  replicaB = await startServer({ databaseUrl, keyManager: b.manager, rateLimit: false });
  const boot = await fetch(`${replicaA.url}/api/v1/admin/bootstrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@example.test', password: 'S3cure-pass!', organization: 'rot' }),
  });
  admin = ((await boot.json()) as any).identity.credentials.token;
});
afterAll(async () => {
  await replicaA?.close();
  await replicaB?.close();
});

it('a rotation by one store is seen by a running replica without a restart', async () => {
  const { project } = (await call(replicaA, 'POST', '/api/v2/workspace', { projectName: 'rot', slug: 'rot' }))
    .body;
  await call(replicaA, 'POST', '/api/v3/secrets/raw/TOKEN', {
    workspaceId: project.id,
    environment: 'dev',
    secretValue: 'before-rotation',
  });
  const read = async (server: RunningServer) =>
    (await call(server, 'GET', `/api/v3/secrets/raw/TOKEN?workspaceId=${project.id}&environment=dev`)).body
      .secret?.secretValue;
  expect(await read(replicaB)).toBe('before-rotation');
  const cachedUnwraps = b.counts.unwraps;
  expect(await read(replicaB)).toBe('before-rotation');
  expect(b.counts.unwraps).toBe(cachedUnwraps); // served from B's cache of the unwrapped data key

  // `kms-server rotate-root-key` does exactly this through its own store on the same database.
  const operator = await openStore({ postgres: { url: databaseUrl } });
  const rewrapped = await operator.rewrapKeys(async (key) =>
    key.keyId === newKey.keyId ? undefined : newKey.wrapDataKey(await oldKey.unwrapDataKey(key)),
  );
  await operator.close();
  expect(rewrapped).toBe(2); // the project's data key and the token-signing secret
  inUse = newKey;

  expect(await read(replicaB)).toBe('before-rotation');
  expect(b.counts.unwraps).toBe(cachedUnwraps + 1); // the new wrapped form was unwrapped again
  expect(await read(replicaA)).toBe('before-rotation');
  // New writes on either replica wrap nothing new; new projects get keys under the new root key.
  const other = (await call(replicaB, 'POST', '/api/v2/workspace', { projectName: 'after', slug: 'after' }))
    .body;
  expect(other.project.id).toBeTruthy();
  const verified = await replicaA.verifyAuditLog();
  expect(verified.ok).toBe(true);
});
