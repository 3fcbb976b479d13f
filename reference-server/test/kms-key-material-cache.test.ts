// The KMS key material cache (src/domains/kms/key-material-cache.ts): material is read and opened
// once, then served sealed from memory only while the key's row, its project's wrapped data key and
// the TTL say it may be: a change by this process or another replica on the same PostgreSQL is never
// met by an old entry. And the material is never in util.inspect or JSON of the cache.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type KeyManager, LocalKeyManager, type WrappedKey } from '../src/crypto/key-manager.js';
import { KEY_MATERIAL_TTL_MS, KeyMaterialCache } from '../src/domains/kms/key-material-cache.js';
import { ApiClient } from '../src/provisioning/api-client.js';
import { type RunningServer, startServer } from '../src/server.js';
import type { Store } from '../src/store/store.js';
import { openStore } from '../src/store/store.js';
import { createDatabase } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

/** Counts the store's reads of key versions (each read is what the cache saves). */
function countVersionReads(store: Store) {
  const keys = store.kmsKeys;
  const read = keys.getVersion.bind(keys);
  const counter = { reads: 0 };
  keys.getVersion = (keyId, version) => {
    counter.reads++;
    return read(keyId, version);
  };
  return counter;
}

/** The key version a ciphertext blob names (docs/reference/kms-keys.md: format byte, uint32 version). */
const blobVersionOf = (ciphertext: string) => Buffer.from(ciphertext, 'base64').readUInt32BE(1);

describe('KeyMaterialCache', () => {
  const material = randomBytes(32);
  const pub = randomBytes(91);

  it('serves an entry only for its validator and before its TTL, as a fresh buffer each time', () => {
    let now = 1_000;
    const cache = new KeyMaterialCache(() => now);
    cache.put('k1', 1, 'v-a', { material, publicKey: pub });
    const first = cache.material('k1', 1, 'v-a')!;
    expect(first.equals(material)).toBe(true);
    first.fill(0); // the caller zeroes its copy; the entry is unaffected
    expect(cache.material('k1', 1, 'v-a')!.equals(material)).toBe(true);
    expect(cache.publicKey('k1', 1, 'v-a')!.equals(pub)).toBe(true);
    expect(cache.material('k1', 2, 'v-a')).toBeUndefined();

    // Another validator (the row changed, here or on another replica): not served, and dropped.
    expect(cache.material('k1', 1, 'v-b')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.material('k1', 1, 'v-a')).toBeUndefined();

    cache.put('k1', 1, 'v-a', { material });
    now += KEY_MATERIAL_TTL_MS - 1;
    expect(cache.material('k1', 1, 'v-a')).toBeDefined();
    now += 1;
    expect(cache.material('k1', 1, 'v-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('is bounded in entries and bytes (least recently used out), and drops every version of a changed key', () => {
    const cache = new KeyMaterialCache(() => 0, { maxEntries: 2, maxBytes: 200 });
    cache.put('a', 1, 'v', { material });
    cache.put('b', 1, 'v', { material });
    cache.material('a', 1, 'v');
    cache.put('c', 1, 'v', { material });
    expect(cache.size).toBe(2);
    expect(cache.material('b', 1, 'v')).toBeUndefined();
    expect(cache.material('a', 1, 'v')).toBeDefined();

    cache.put('big', 1, 'v', { material: randomBytes(300) });
    expect(cache.material('big', 1, 'v')).toBeUndefined();

    const versions = new KeyMaterialCache(() => 0);
    versions.put('k', 1, 'v', { material });
    versions.put('k', 2, 'v', { material });
    versions.put('other', 1, 'v', { material });
    versions.dropKey('k');
    expect(versions.size).toBe(1);
    expect(versions.material('other', 1, 'v')).toBeDefined();
    versions.clear();
    expect(versions.size).toBe(0);
  });

  it('never shows material in util.inspect or JSON, and another instance cannot open its entries', () => {
    const cache = new KeyMaterialCache(() => 0);
    cache.put('k', 1, 'v', { material });
    const shown = [
      inspect(cache, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true }),
      JSON.stringify(cache),
      JSON.stringify({ cache }),
      String(cache),
    ].join('\n');
    for (const form of [material.toString('hex'), b64(material), material.toString('base64url')])
      expect(shown).not.toContain(form);
    expect(new KeyMaterialCache(() => 0).material('k', 1, 'v')).toBeUndefined();
  });
});

describe('KMS routes with the material cache (one process)', () => {
  let kms: TestServer;
  beforeAll(async () => {
    // One process on purpose (its store's reads are counted); replicas are the next describe's.
    kms = await startTestServer({ database: ':memory:' });
  }, 60_000);
  afterAll(() => kms?.close());

  it('reads material once; update, disable, rotation, deletion and the TTL each make it read again', async () => {
    const project = await kms.createProject('cache-one');
    const { key } = await kms.admin('POST', '/api/v1/kms/keys', { projectId: project.id, name: 'payloads' });
    const counter = countVersionReads(kms.store);
    const encrypt = () =>
      kms.call('POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: b64('payload') }, kms.adminToken);
    const decrypt = (ciphertext: string) =>
      kms.call('POST', `/api/v1/kms/keys/${key.id}/decrypt`, { ciphertext }, kms.adminToken);

    const v1 = (await encrypt()).body.ciphertext as string;
    expect(counter.reads).toBe(1);
    await encrypt();
    expect(Buffer.from((await decrypt(v1)).body.plaintext, 'base64').toString()).toBe('payload');
    expect(counter.reads).toBe(1); // served from the cache

    await kms.admin('PATCH', `/api/v1/kms/keys/${key.id}`, { isDisabled: true });
    expect((await encrypt()).status).toBe(400);
    await kms.admin('PATCH', `/api/v1/kms/keys/${key.id}`, { isDisabled: false });
    expect((await encrypt()).status).toBe(200);
    expect(counter.reads).toBe(2);
    await kms.admin('PATCH', `/api/v1/kms/keys/${key.id}`, {
      description: 'renamed nothing, still a change',
    });
    await encrypt();
    expect(counter.reads).toBe(3);

    await kms.admin('POST', `/api/v1/kms/keys/${key.id}/rotate`);
    const v2 = (await encrypt()).body.ciphertext as string;
    expect(blobVersionOf(v2)).toBe(2);
    expect(Buffer.from((await decrypt(v1)).body.plaintext, 'base64').toString()).toBe('payload');
    expect(counter.reads).toBe(5); // version 2, then version 1 again under the new validator
    await decrypt(v2);
    await decrypt(v1);
    expect(counter.reads).toBe(5);

    kms.clock.advance(KEY_MATERIAL_TTL_MS / 1000);
    await encrypt();
    expect(counter.reads).toBe(6);

    await kms.admin('DELETE', `/api/v1/kms/keys/${key.id}`);
    expect((await encrypt()).status).toBe(404);
    expect((await decrypt(v2)).status).toBe(404);
  });

  it('signing keys: sign opens material once; verify and the public key use the same entry', async () => {
    const project = await kms.createProject('cache-sign');
    const { key } = await kms.admin('POST', '/api/v1/kms/keys', {
      projectId: project.id,
      name: 'tokens',
      keyUsage: 'sign-verify',
      encryptionAlgorithm: 'ECC_NIST_P256',
    });
    const counter = countVersionReads(kms.store);
    const data = b64('message');
    const sign = () =>
      kms.admin('POST', `/api/v1/kms/keys/${key.id}/sign`, { signingAlgorithm: 'ECDSA_SHA_256', data });
    const { signature } = await sign();
    await sign();
    const verified = await kms.admin('POST', `/api/v1/kms/keys/${key.id}/verify`, {
      signingAlgorithm: 'ECDSA_SHA_256',
      data,
      signature,
    });
    expect(verified.signatureValid).toBe(true);
    const { publicKey } = await kms.admin('GET', `/api/v1/kms/keys/${key.id}/public-key`);
    expect(publicKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(counter.reads).toBe(1);
  });
});

// Two replicas on one PostgreSQL database, each with its own cache: what one changes, the other
// sees on its next request. The root key can be rotated underneath them (as replicas-rotation.test.ts).
describe('KMS material cache across replicas on PostgreSQL', () => {
  const oldRoot = new LocalKeyManager(randomBytes(32));
  const newRoot = new LocalKeyManager(randomBytes(32));
  let inUse = oldRoot;
  const backend: KeyManager = {
    describe: () => inUse.describe(),
    generateDataKey: () => inUse.generateDataKey(),
    wrapDataKey: (key) => inUse.wrapDataKey(key),
    unwrapDataKey: (wrapped: WrappedKey) =>
      (wrapped.keyId === newRoot.keyId ? newRoot : oldRoot).unwrapDataKey(wrapped),
  };
  let databaseUrl: string;
  let a: RunningServer;
  let b: RunningServer;
  let admin: string;
  const call = (server: RunningServer, method: string, path: string, body?: unknown) =>
    new ApiClient(server.url, admin).request<any>(method, path, body);

  beforeAll(async () => {
    databaseUrl = await createDatabase(inject('postgresAdminUrl'));
    a = await startServer({ databaseUrl, keyManager: backend, rateLimit: false });
    b = await startServer({ databaseUrl, keyManager: backend, rateLimit: false });
    const boot = await fetch(`${a.url}/api/v1/admin/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.test', password: 'S3cure-pass!', organization: 'cache' }),
    });
    admin = ((await boot.json()) as any).identity.credentials.token;
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('an update, disable, rotation, root-key rotation or deletion on one replica is never met by the other one’s entry', async () => {
    const { project } = (await call(a, 'POST', '/api/v2/workspace', { projectName: 'c', slug: 'cache-rep' }))
      .body;
    const { key } = (await call(b, 'POST', '/api/v1/kms/keys', { projectId: project.id, name: 'shared' }))
      .body;
    const counter = countVersionReads(a.store);
    const encryptOnA = () =>
      call(a, 'POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: b64('across') });
    const decryptOnA = (ciphertext: string) =>
      call(a, 'POST', `/api/v1/kms/keys/${key.id}/decrypt`, { ciphertext });

    const v1 = (await encryptOnA()).body.ciphertext as string;
    await encryptOnA();
    expect(counter.reads).toBe(1);

    await call(b, 'PATCH', `/api/v1/kms/keys/${key.id}`, { isDisabled: true });
    const refused = await encryptOnA();
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('Key is disabled');
    await call(b, 'PATCH', `/api/v1/kms/keys/${key.id}`, { isDisabled: false });
    expect((await encryptOnA()).status).toBe(200);
    expect(counter.reads).toBe(2); // A's entry named the old row: read and opened again

    await call(b, 'POST', `/api/v1/kms/keys/${key.id}/rotate`);
    const v2 = (await encryptOnA()).body.ciphertext as string;
    expect(blobVersionOf(v2)).toBe(2);
    expect(Buffer.from((await decryptOnA(v1)).body.plaintext, 'base64').toString()).toBe('across');
    expect(counter.reads).toBe(4);

    // `kms-server rotate-root-key` re-wraps through its own store: A's entries named the old wrapped key.
    const operator = await openStore({ postgres: { url: databaseUrl } });
    await operator.rewrapKeys(async (wrapped) =>
      wrapped.keyId === newRoot.keyId ? undefined : newRoot.wrapDataKey(await oldRoot.unwrapDataKey(wrapped)),
    );
    await operator.close();
    inUse = newRoot;
    expect((await encryptOnA()).status).toBe(200);
    expect(counter.reads).toBe(5);

    await call(b, 'DELETE', `/api/v1/kms/keys/${key.id}`);
    expect((await encryptOnA()).status).toBe(404);
    expect((await decryptOnA(v2)).status).toBe(404);
  });
});
