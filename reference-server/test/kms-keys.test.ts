// The KMS keys API (/api/v1/kms/keys) over real HTTP: every route, status and role, each algorithm,
// tampering, audit contents, and a third-party client (@infisical/sdk) and curl against it.
import { execFile } from 'node:child_process';
import { constants, createHash, createPublicKey, verify } from 'node:crypto';
import { promisify } from 'node:util';
import type { OpenedStore } from '../src/store/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const run = promisify(execFile);
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const PLAINTEXT = 'the-plaintext-payload-7f3a';

let kms: TestServer;
let project: { id: string; slug: string };
let other: { id: string; slug: string };
let rsaKeyId: string;
let eccKeyId: string;
const tokens: Record<string, string> = {};

async function tokenFor(p: { id: string }, role: string) {
  const id = await kms.createMachineIdentity({ project: { id: p.id, role } });
  return (await kms.login(id.clientId, id.clientSecret)).body.accessToken as string;
}
const as = (role: string) => (method: string, path: string, body?: unknown) =>
  kms.call(method, path, body, tokens[role]);
const admin = as('admin');
const db = () => (kms.store as OpenedStore).sql;

async function createKey(body: Record<string, unknown>) {
  const r = await admin('POST', '/api/v1/kms/keys', { projectId: project.id, ...body });
  if (r.status !== 200) throw new Error(`create key: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.key as { id: string; name: string; version: number };
}

beforeAll(async () => {
  kms = await startTestServer();
  project = await kms.createProject('keys-project');
  other = await kms.createProject('other-project');
  tokens.admin = kms.adminToken;
  for (const role of ['member', 'viewer', 'no-access']) tokens[role] = await tokenFor(project, role);
  tokens.outsider = await tokenFor(other, 'admin');
  rsaKeyId = (
    await createKey({ name: 'release-signing', keyUsage: 'sign-verify', encryptionAlgorithm: 'RSA_4096' })
  ).id;
  eccKeyId = (
    await createKey({ name: 'token-signing', keyUsage: 'sign-verify', encryptionAlgorithm: 'ECC_NIST_P256' })
  ).id;
}, 60_000);
afterAll(() => kms?.close());

describe('key management', () => {
  it('creates with the contract defaults and refuses duplicates, bad names and mismatched algorithms', async () => {
    const r = await admin('POST', '/api/v1/kms/keys', {
      projectId: project.id,
      name: 'payloads',
      description: 'd',
    });
    expect(r.status).toBe(200);
    expect(r.body.key).toMatchObject({
      name: 'payloads',
      description: 'd',
      isDisabled: false,
      orgId: kms.orgId,
      projectId: project.id,
      keyUsage: 'encrypt-decrypt',
      encryptionAlgorithm: 'aes-256-gcm',
      version: 1,
    });
    expect(r.body.key.id).toMatch(/^[0-9a-f-]{36}$/);
    const dup = await admin('POST', '/api/v1/kms/keys', { projectId: project.id, name: 'payloads' });
    expect(dup.status).toBe(400);
    expect(dup.body.message).toBe(
      `A KMS key with the name "payloads" already exists for the project with ID "${project.id}"`,
    );
    for (const bad of [
      { name: 'Bad Name' },
      { name: 'x'.repeat(33) },
      { name: 'k', keyUsage: 'sign-verify' },
      { name: 'k', keyUsage: 'encrypt-decrypt', encryptionAlgorithm: 'ECC_NIST_P256' },
      { name: 'k', keyUsage: 'encrypt-decrypt', algorithm: 'ECC_NIST_P256' },
      { name: 'k', algorithm: 'aes-128-gcm', encryptionAlgorithm: 'aes-256-gcm' },
      { name: 'k', isExportable: 'yes' },
      { name: 'k', encryptionAlgorithm: 'des' },
      { name: 'k', description: 'x'.repeat(501) },
    ]) {
      const res = await admin('POST', '/api/v1/kms/keys', { projectId: project.id, ...bad });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.body.error).toBe('ValidationFailure');
    }
  });

  it('lists with paging, search, order and totalCount; gets by id and by name; updates; deletes', async () => {
    for (const name of ['list-a', 'list-b', 'list-c']) await createKey({ name });
    const page = await admin('GET', `/api/v1/kms/keys?projectId=${project.id}&search=list-&limit=2&offset=1`);
    expect(page.body.totalCount).toBe(3);
    expect(page.body.keys.map((k: { name: string }) => k.name)).toEqual(['list-b', 'list-c']);
    const desc = await admin(
      'GET',
      `/api/v1/kms/keys?projectId=${project.id}&search=list-&orderDirection=desc`,
    );
    expect(desc.body.keys.map((k: { name: string }) => k.name)).toEqual(['list-c', 'list-b', 'list-a']);
    expect((await admin('GET', `/api/v1/kms/keys?projectId=${project.id}&limit=101`)).status).toBe(422);
    // A LIKE wildcard in the search is taken literally.
    expect((await admin('GET', `/api/v1/kms/keys?projectId=${project.id}&search=%25`)).body.totalCount).toBe(
      0,
    );

    const byName = await admin('GET', `/api/v1/kms/keys/key-name/list-a?projectId=${project.id}`);
    expect(byName.status).toBe(200);
    const id = byName.body.key.id;
    expect((await admin('GET', `/api/v1/kms/keys/${id}`)).body.key.name).toBe('list-a');
    const missing = await admin('GET', `/api/v1/kms/keys/key-name/nope?projectId=${project.id}`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe(`Key with name "nope" not found for project with ID "${project.id}"`);

    const patched = await admin('PATCH', `/api/v1/kms/keys/${id}`, {
      name: 'list-renamed',
      description: 'new',
      isDisabled: true,
    });
    expect(patched.body.key).toMatchObject({ name: 'list-renamed', description: 'new', isDisabled: true });
    expect((await admin('PATCH', `/api/v1/kms/keys/${id}`, { name: 'list-b' })).status).toBe(400);
    const deleted = await admin('DELETE', `/api/v1/kms/keys/${id}`);
    expect(deleted.body.key.id).toBe(id);
    const gone = await admin('GET', `/api/v1/kms/keys/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe(`Key with ID "${id}" not found`);
  });

  it('answers 422 for a key id that is not a UUID, 404 for an unknown one', async () => {
    expect((await admin('GET', '/api/v1/kms/keys/not-a-uuid')).status).toBe(422);
    expect((await admin('POST', '/api/v1/kms/keys/not-a-uuid/encrypt', { plaintext: b64('x') })).status).toBe(
      422,
    );
    expect((await admin('GET', '/api/v1/kms/keys/8d0f3e8a-1c2b-4e5f-9a6b-7c8d9e0f1a2b')).status).toBe(404);
  });

  it('does not offer private-key export', async () => {
    const r = await admin('GET', `/api/v1/kms/keys/${rsaKeyId}/private-key`);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('PrivateKeyExportDisabled');
    expect(JSON.stringify(r.body)).not.toMatch(/PRIVATE KEY|MII/);
  });
});

describe('key versions, rotation and the newer create shape', () => {
  it('rotates a symmetric key: new encryptions use the new version, ciphertexts of every older version still decrypt', async () => {
    const key = await createKey({ name: 'rotating-aes', algorithm: 'aes-128-gcm' });
    expect(key).toMatchObject({ version: 1, encryptionAlgorithm: 'aes-128-gcm', algorithm: 'aes-128-gcm' });
    const encrypt = async () =>
      (await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: b64(PLAINTEXT) })).body
        .ciphertext as string;
    const blobVersion = (ciphertext: string) => Buffer.from(ciphertext, 'base64').readUInt32BE(1);
    const v1 = await encrypt();
    const rotated = await admin('POST', `/api/v1/kms/keys/${key.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).toMatchObject({ id: key.id, version: 2 });
    const v2 = await encrypt();
    expect((await as('member')('POST', `/api/v1/kms/keys/${key.id}/rotate`)).body.key.version).toBe(3);
    const v3 = await encrypt();
    expect([v1, v2, v3].map(blobVersion)).toEqual([1, 2, 3]);
    for (const ciphertext of [v1, v2, v3]) {
      const opened = await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, { ciphertext });
      expect(Buffer.from(opened.body.plaintext, 'base64').toString()).toBe(PLAINTEXT);
    }
    expect((await admin('GET', `/api/v1/kms/keys/${key.id}`)).body.key.version).toBe(3);
    const versions = await admin('GET', `/api/v1/kms/keys/${key.id}/versions`);
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(JSON.stringify(versions.body)).not.toMatch(/sealed|material/i);
    // A blob naming a version the key does not have yet is refused like any foreign blob.
    const future = Buffer.from(v3, 'base64');
    future.writeUInt32BE(9, 1);
    const refused = await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, {
      ciphertext: future.toString('base64'),
    });
    expect(refused).toMatchObject({ status: 400, body: { error: 'CryptographyError' } });
  });

  it('refuses to rotate asymmetric keys and disabled keys (400); viewers, no-access and other projects are refused', async () => {
    for (const id of [rsaKeyId, eccKeyId]) {
      const r = await admin('POST', `/api/v1/kms/keys/${id}/rotate`);
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/only symmetric .* keys can be rotated/);
    }
    const key = await createKey({ name: 'rotation-rights' });
    expect((await as('viewer')('POST', `/api/v1/kms/keys/${key.id}/rotate`)).status).toBe(403);
    expect((await as('viewer')('GET', `/api/v1/kms/keys/${key.id}/versions`)).status).toBe(200);
    expect((await as('no-access')('POST', `/api/v1/kms/keys/${key.id}/rotate`)).status).toBe(403);
    expect((await as('outsider')('POST', `/api/v1/kms/keys/${key.id}/rotate`)).status).toBe(403);
    expect((await as('outsider')('GET', `/api/v1/kms/keys/${key.id}/versions`)).status).toBe(403);
    expect((await admin('POST', '/api/v1/kms/keys/not-a-uuid/rotate')).status).toBe(422);
    await admin('PATCH', `/api/v1/kms/keys/${key.id}`, { isDisabled: true });
    expect((await admin('POST', `/api/v1/kms/keys/${key.id}/rotate`)).body.message).toBe('Key is disabled');
    expect((await admin('GET', `/api/v1/kms/keys/${key.id}`)).body.key.version).toBe(1);
  });

  it('audits a rotation as update-cmek with both versions, never material', async () => {
    const key = await createKey({ name: 'rotation-audit' });
    await admin('POST', `/api/v1/kms/keys/${key.id}/rotate`);
    const { auditLogs } = (
      await admin('GET', `/api/v1/audit-logs?projectId=${project.id}&eventType=update-cmek`)
    ).body;
    const entry = auditLogs.find((l: any) => l.event.metadata.keyId === key.id);
    expect(entry.event.metadata).toMatchObject({ version: 2, rotatedFromVersion: 1 });
    const stored = await db().all<{ sealed_material: string }>(
      'SELECT sealed_material FROM kms_key_versions WHERE key_id = ?',
      [key.id],
    );
    for (const row of stored) expect(JSON.stringify(auditLogs)).not.toContain(row.sealed_material);
  });

  it('RSA_4096 encrypt-decrypt keys encrypt with RSA-OAEP (SHA-256) up to 446 bytes', async () => {
    const key = await createKey({ name: 'rsa-envelope', keyUsage: 'encrypt-decrypt', algorithm: 'RSA_4096' });
    expect(key).toMatchObject({
      keyUsage: 'encrypt-decrypt',
      encryptionAlgorithm: 'RSA_4096',
      isExportable: false,
    });
    const secret = Buffer.alloc(446, 7);
    const sealed = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, {
      plaintext: secret.toString('base64'),
    });
    expect(sealed.status).toBe(200);
    const blob = Buffer.from(sealed.body.ciphertext, 'base64');
    expect([blob.readUInt8(0), blob.readUInt32BE(1), blob.length]).toEqual([2, 1, 5 + 512]);
    const opened = await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, {
      ciphertext: sealed.body.ciphertext,
    });
    expect(Buffer.from(opened.body.plaintext, 'base64').equals(secret)).toBe(true);
    const tooLong = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, {
      plaintext: b64(Buffer.alloc(447)),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toContain('446 bytes');
    const altered = Buffer.from(blob);
    altered[100] = (altered[100] as number) ^ 1;
    expect(
      (await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, { ciphertext: altered.toString('base64') }))
        .status,
    ).toBe(400);
    // Its public key is for signing keys only; rotation is refused like every asymmetric key.
    expect(
      (
        await admin('POST', `/api/v1/kms/keys/${key.id}/sign`, {
          signingAlgorithm: 'RSASSA_PSS_SHA_256',
          data: b64('x'),
        })
      ).status,
    ).toBe(400);
    expect((await admin('POST', `/api/v1/kms/keys/${key.id}/rotate`)).status).toBe(400);
  });

  it('records isExportable, and still refuses private-key export by policy', async () => {
    const key = await createKey({
      name: 'exportable',
      keyUsage: 'sign-verify',
      algorithm: 'ECC_NIST_P256',
      isExportable: true,
    });
    expect(key).toMatchObject({ isExportable: true });
    const r = await admin('GET', `/api/v1/kms/keys/${key.id}/private-key`);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('PrivateKeyExportDisabled');
  });
});

describe('encrypt and decrypt', () => {
  it.each(['aes-256-gcm', 'aes-128-gcm'])('round-trips with %s', async (algorithm) => {
    const key = await createKey({ name: `enc-${algorithm}`, encryptionAlgorithm: algorithm });
    const payload = Buffer.from([0, 1, 2, 255, ...Buffer.from(PLAINTEXT)]);
    const enc = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, {
      plaintext: payload.toString('base64'),
    });
    expect(enc.status).toBe(200);
    expect(Buffer.from(enc.body.ciphertext, 'base64').includes(Buffer.from(PLAINTEXT))).toBe(false);
    const dec = await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, {
      ciphertext: enc.body.ciphertext,
    });
    expect(Buffer.from(dec.body.plaintext, 'base64')).toEqual(payload);
    // Same plaintext twice gives two different ciphertexts (fresh IV).
    const again = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, {
      plaintext: payload.toString('base64'),
    });
    expect(again.body.ciphertext).not.toBe(enc.body.ciphertext);
    const empty = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: '' });
    expect(
      (await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, { ciphertext: empty.body.ciphertext })).body
        .plaintext,
    ).toBe('');
  });

  it('validates base64 and the 4096-byte cap with the contract messages', async () => {
    const key = await createKey({ name: 'limits' });
    const notB64 = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: 'not base64!' });
    expect(notB64.status).toBe(422);
    expect(JSON.stringify(notB64.body.message)).toContain('plaintext must be base64 encoded');
    const big = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, {
      plaintext: Buffer.alloc(4097).toString('base64'),
    });
    expect(big.status).toBe(422);
    // Upstream's words for every base64 field (v1/cmek-router.ts).
    expect(JSON.stringify(big.body.message)).toContain('data cannot exceed 4096 bytes');
    const max = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, {
      plaintext: Buffer.alloc(4096, 7).toString('base64'),
    });
    expect(max.status).toBe(200);
    const dec = await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, {
      ciphertext: max.body.ciphertext,
    });
    expect(Buffer.from(dec.body.plaintext, 'base64')).toEqual(Buffer.alloc(4096, 7));
  });

  it('refuses a tampered, truncated or foreign ciphertext with a 400, never a 500', async () => {
    const a = await createKey({ name: 'tamper-a' });
    const b = await createKey({ name: 'tamper-b' });
    const { ciphertext } = (
      await admin('POST', `/api/v1/kms/keys/${a.id}/encrypt`, { plaintext: b64(PLAINTEXT) })
    ).body;
    const raw = Buffer.from(ciphertext, 'base64');
    const variants: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 5) {
      const flipped = Buffer.from(raw);
      flipped[i]! ^= 0x01;
      variants.push(flipped);
    }
    variants.push(
      raw.subarray(0, raw.length - 1),
      raw.subarray(0, 10),
      Buffer.alloc(0),
      Buffer.concat([raw, raw]),
    );
    for (const v of variants) {
      const r = await admin('POST', `/api/v1/kms/keys/${a.id}/decrypt`, { ciphertext: v.toString('base64') });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('CryptographyError');
    }
    const foreign = await admin('POST', `/api/v1/kms/keys/${b.id}/decrypt`, { ciphertext });
    expect(foreign.status).toBe(400);
  });

  it('refuses a disabled key and a key of the wrong usage', async () => {
    const key = await createKey({ name: 'to-disable' });
    await admin('PATCH', `/api/v1/kms/keys/${key.id}`, { isDisabled: true });
    const r = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: b64('x') });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('Key is disabled');
    const wrong = await admin('POST', `/api/v1/kms/keys/${rsaKeyId}/encrypt`, { plaintext: b64('x') });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe(`Key with ID '${rsaKeyId}' is not intended for encryption`);
  });

  it('key material copied onto another key does not open', async () => {
    const a = await createKey({ name: 'copy-a' });
    const b = await createKey({ name: 'copy-b' });
    await db().run(
      'UPDATE kms_key_versions SET sealed_material = (SELECT sealed_material FROM kms_key_versions WHERE key_id = ?) WHERE key_id = ?',
      [a.id, b.id],
    );
    const r = await admin('POST', `/api/v1/kms/keys/${b.id}/encrypt`, { plaintext: b64('x') });
    expect(r.status).toBe(500);
    expect(r.body.error).toBe('KeyIntegrityError');
  });
});

describe('sign and verify', () => {
  const message = Buffer.from('release v1.2.3 sha256:abc');
  const cases = [
    ...['PSS', 'PKCS1_V1_5'].flatMap((s) =>
      ['256', '384', '512'].map((h) => ['rsa', `RSASSA_${s}_SHA_${h}`, h]),
    ),
    ...['256', '384', '512'].map((h) => ['ecc', `ECDSA_SHA_${h}`, h]),
  ] as [string, string, string][];

  it('lists the signing algorithms of each key type, and refuses the list for an encryption key', async () => {
    const rsa = await admin('GET', `/api/v1/kms/keys/${rsaKeyId}/signing-algorithms`);
    expect(rsa.body.signingAlgorithms).toHaveLength(6);
    const ecc = await admin('GET', `/api/v1/kms/keys/${eccKeyId}/signing-algorithms`);
    expect(ecc.body.signingAlgorithms).toEqual(['ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512']);
    const aes = await createKey({ name: 'not-signing' });
    const r = await admin('GET', `/api/v1/kms/keys/${aes.id}/signing-algorithms`);
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(`Key with ID '${aes.id}' is not intended for signing`);
  });

  it.each(cases)(
    '%s %s: the signature verifies with node:crypto on the exported public key, of the message and of its digest',
    async (type, algorithm, bits) => {
      const keyId = type === 'rsa' ? rsaKeyId : eccKeyId;
      const publicKey = createPublicKey({
        key: Buffer.from(
          (await admin('GET', `/api/v1/kms/keys/${keyId}/public-key`)).body.publicKey,
          'base64',
        ),
        format: 'der',
        type: 'spki',
      });
      const hash = `sha${bits}`;
      const options =
        type === 'ecc'
          ? { key: publicKey, dsaEncoding: 'der' as const }
          : {
              key: publicKey,
              padding: algorithm.includes('PSS')
                ? constants.RSA_PKCS1_PSS_PADDING
                : constants.RSA_PKCS1_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_AUTO,
            };
      for (const isDigest of [false, true]) {
        const data = isDigest ? createHash(hash).update(message).digest() : message;
        const signed = await admin('POST', `/api/v1/kms/keys/${keyId}/sign`, {
          signingAlgorithm: algorithm,
          isDigest,
          data: data.toString('base64'),
        });
        expect(signed.status).toBe(200);
        expect(signed.body).toMatchObject({ keyId, signingAlgorithm: algorithm });
        const signature = Buffer.from(signed.body.signature, 'base64');
        expect(verify(hash, message, options, signature)).toBe(true);
        const check = (d: Buffer, sig = signature) =>
          admin('POST', `/api/v1/kms/keys/${keyId}/verify`, {
            signingAlgorithm: algorithm,
            isDigest,
            data: d.toString('base64'),
            signature: sig.toString('base64'),
          });
        expect((await check(data)).body.signatureValid).toBe(true);
        const altered = Buffer.from(data);
        altered[0]! ^= 1;
        expect((await check(altered)).body.signatureValid).toBe(false);
        expect((await check(data, signature.subarray(1))).body.signatureValid).toBe(false);
      }
    },
    30_000,
  );

  it('refuses an algorithm of the other key type and a digest of the wrong length', async () => {
    const wrong = await admin('POST', `/api/v1/kms/keys/${eccKeyId}/sign`, {
      signingAlgorithm: 'RSASSA_PSS_SHA_256',
      data: b64('x'),
    });
    expect(wrong.status).toBe(400);
    const digest = await admin('POST', `/api/v1/kms/keys/${rsaKeyId}/sign`, {
      signingAlgorithm: 'RSASSA_PSS_SHA_256',
      isDigest: true,
      data: b64('too short'),
    });
    expect(digest.status).toBe(400);
    expect(digest.body.message).toMatch(/32 bytes/);
    const unknown = await admin('POST', `/api/v1/kms/keys/${rsaKeyId}/sign`, {
      signingAlgorithm: 'MD5',
      data: b64('x'),
    });
    expect(unknown.status).toBe(422);
    const aes = await createKey({ name: 'no-sign' });
    const publicKey = await admin('GET', `/api/v1/kms/keys/${aes.id}/public-key`);
    expect(publicKey.status).toBe(400);
  });
});

describe('permissions', () => {
  it('admin and member manage and use keys; a viewer only reads; no-access and other projects nothing', async () => {
    const key = await createKey({ name: 'perm-key' });
    const enc = (role: string) =>
      as(role)('POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: b64('x') });
    expect((await enc('member')).status).toBe(200);
    const memberKey = await as('member')('POST', '/api/v1/kms/keys', {
      projectId: project.id,
      name: 'by-member',
    });
    expect(memberKey.status).toBe(200);
    expect((await as('member')('DELETE', `/api/v1/kms/keys/${memberKey.body.key.id}`)).status).toBe(200);

    const viewer = as('viewer');
    expect((await viewer('GET', `/api/v1/kms/keys?projectId=${project.id}`)).status).toBe(200);
    expect((await viewer('GET', `/api/v1/kms/keys/${key.id}`)).status).toBe(200);
    expect((await viewer('GET', `/api/v1/kms/keys/${rsaKeyId}/public-key`)).status).toBe(200);
    expect((await enc('viewer')).status).toBe(403);
    expect(
      (
        await viewer('POST', `/api/v1/kms/keys/${eccKeyId}/sign`, {
          signingAlgorithm: 'ECDSA_SHA_256',
          data: b64('x'),
        })
      ).status,
    ).toBe(403);
    expect(
      (await viewer('POST', '/api/v1/kms/keys', { projectId: project.id, name: 'by-viewer' })).status,
    ).toBe(403);
    expect((await viewer('PATCH', `/api/v1/kms/keys/${key.id}`, { isDisabled: true })).status).toBe(403);
    expect((await viewer('DELETE', `/api/v1/kms/keys/${key.id}`)).status).toBe(403);

    for (const role of ['no-access', 'outsider']) {
      expect((await enc(role)).status, role).toBe(403);
      expect((await as(role)('GET', `/api/v1/kms/keys/${key.id}`)).status, role).toBe(403);
      expect((await as(role)('GET', `/api/v1/kms/keys?projectId=${project.id}`)).status, role).toBe(403);
    }
    expect((await kms.call('GET', `/api/v1/kms/keys/${key.id}`)).status).toBe(401);
  });
});

describe('audit', () => {
  it('records every operation with the contract event, key id and algorithm, never plaintext or key material', async () => {
    const key = await createKey({ name: 'audited-key' });
    const enc = await admin('POST', `/api/v1/kms/keys/${key.id}/encrypt`, { plaintext: b64(PLAINTEXT) });
    await admin('POST', `/api/v1/kms/keys/${key.id}/decrypt`, { ciphertext: enc.body.ciphertext });
    await admin('POST', `/api/v1/kms/keys/${eccKeyId}/sign`, {
      signingAlgorithm: 'ECDSA_SHA_256',
      data: b64(PLAINTEXT),
    });
    await admin('GET', `/api/v1/kms/keys/${eccKeyId}/public-key`);
    const logs = (await kms.admin('GET', `/api/v1/audit-logs?projectId=${project.id}&limit=1000`))
      .auditLogs as {
      event: { type: string; metadata: Record<string, unknown> };
    }[];
    const types = new Set(logs.map((l) => l.event.type));
    for (const t of [
      'create-cmek',
      'cmek-encrypt',
      'cmek-decrypt',
      'cmek-sign',
      'cmek-verify',
      'cmek-get-public-key',
      'get-cmeks',
      'get-cmek',
      'update-cmek',
      'delete-cmek',
      'cmek-list-signing-algorithms',
    ])
      expect(types.has(t), t).toBe(true);
    const encrypted = logs.find((l) => l.event.type === 'cmek-encrypt' && l.event.metadata.keyId === key.id)!;
    expect(encrypted.event.metadata).toMatchObject({ keyId: key.id, encryptionAlgorithm: 'aes-256-gcm' });
    const everything = JSON.stringify(logs);
    expect(everything).not.toContain(PLAINTEXT);
    expect(everything).not.toContain(b64(PLAINTEXT));
    // And nothing of the key material or plaintext is in the database in the clear.
    const dump = JSON.stringify(await db().all('SELECT * FROM kms_key_versions'));
    expect(dump).not.toMatch(/PRIVATE KEY/);
    const file = JSON.stringify(await db().all('SELECT * FROM audit_logs'));
    expect(file).not.toContain(b64(PLAINTEXT));
  });
});

describe('third-party clients', () => {
  it('@infisical/sdk kms() works unchanged: keys, encryption, signing', async () => {
    const id = await kms.createMachineIdentity({ project: { id: project.id, role: 'member' } });
    const { InfisicalSDK } = await import('@infisical/sdk');
    const sdk = new InfisicalSDK({ siteUrl: kms.url });
    await sdk.auth().universalAuth.login({ clientId: id.clientId, clientSecret: id.clientSecret });
    const key = await sdk
      .kms()
      .keys()
      .create({
        projectId: project.id,
        name: 'from-infisical',
        keyUsage: 'encrypt-decrypt' as any,
        encryptionAlgorithm: 'aes-256-gcm' as any,
      });
    expect(key.name).toBe('from-infisical');
    const byName = await sdk.kms().keys().getByName({ projectId: project.id, name: 'from-infisical' });
    expect(byName.id).toBe(key.id);
    const ciphertext = await sdk
      .kms()
      .encryption()
      .encrypt({ keyId: key.id, plaintext: b64(PLAINTEXT) });
    const plaintext = await sdk.kms().encryption().decrypt({ keyId: key.id, ciphertext });
    expect(Buffer.from(plaintext, 'base64').toString()).toBe(PLAINTEXT);
    const algorithms = await sdk.kms().signing().listSigningAlgorithms({ keyId: eccKeyId });
    expect(algorithms).toContain('ECDSA_SHA_256');
    const signed = await sdk
      .kms()
      .signing()
      .sign({
        keyId: eccKeyId,
        data: b64('payload'),
        signingAlgorithm: 'ECDSA_SHA_256' as any,
      });
    const verified = await sdk
      .kms()
      .signing()
      .verify({
        keyId: eccKeyId,
        data: b64('payload'),
        signature: signed.signature,
        signingAlgorithm: 'ECDSA_SHA_256' as any,
      });
    expect(verified.signatureValid).toBe(true);
    const publicKey = await sdk.kms().signing().getPublicKey({ keyId: eccKeyId });
    expect(Buffer.from(publicKey, 'base64').length).toBeGreaterThan(60);
    const deleted = await sdk.kms().keys().delete({ keyId: key.id });
    expect(deleted.id).toBe(key.id);
  });

  it('curl: create, encrypt and decrypt with plain HTTP', async () => {
    const auth = ['-H', `Authorization: Bearer ${kms.adminToken}`, '-H', 'Content-Type: application/json'];
    const curl = async (...args: string[]) =>
      JSON.parse((await run('curl', ['-sS', '--fail-with-body', ...auth, ...args])).stdout);
    const { key } = await curl(
      '-X',
      'POST',
      `${kms.url}/api/v1/kms/keys`,
      '-d',
      JSON.stringify({ projectId: project.id, name: 'from-curl' }),
    );
    const { ciphertext } = await curl(
      '-X',
      'POST',
      `${kms.url}/api/v1/kms/keys/${key.id}/encrypt`,
      '-d',
      JSON.stringify({ plaintext: b64(PLAINTEXT) }),
    );
    const { plaintext } = await curl(
      '-X',
      'POST',
      `${kms.url}/api/v1/kms/keys/${key.id}/decrypt`,
      '-d',
      JSON.stringify({ ciphertext }),
    );
    expect(Buffer.from(plaintext, 'base64').toString()).toBe(PLAINTEXT);
  });
});
