// KMS keys answer as upstream's own router and service, not only the contract tables. Upstream
// sources followed: backend/src/server/routes/v1/cmek-router.ts (bodies, the base64 fields' words,
// answer keys) and backend/src/services/cmek/cmek-service.ts (refusals and their words).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
let project: { id: string };
beforeEach(async () => {
  kms = await startTestServer();
  project = await kms.createProject('wire-kms');
});
afterEach(() => kms.close());

const KEYS = '/api/v1/kms/keys';
const call = (method: string, path: string, body?: unknown, token = kms.adminToken) =>
  kms.call(method, path, body, token);
const createKey = async (body: Record<string, unknown>) => {
  const r = await call('POST', KEYS, { projectId: project.id, ...body });
  expect(r.status).toBe(200);
  return r.body.key as { id: string; name: string };
};
const b64 = (text: string) => Buffer.from(text).toString('base64');
// Upstream's key object (CmekSchema: the key row and its version and algorithm).
const UPSTREAM_KEY_FIELDS = [
  'id',
  'name',
  'description',
  'isDisabled',
  'orgId',
  'projectId',
  'keyUsage',
  'version',
  'encryptionAlgorithm',
  'createdAt',
  'updatedAt',
];

describe('KMS keys: refusals in upstream words', () => {
  it('an unknown key: quoted id everywhere but update and delete', async () => {
    const missing = '8d0f3e8a-1c2b-4e5f-9a6b-7c8d9e0f1a2b';
    const quoted: [string, string, unknown][] = [
      ['GET', `${KEYS}/${missing}`, undefined],
      ['POST', `${KEYS}/${missing}/encrypt`, { plaintext: b64('x') }],
      ['POST', `${KEYS}/${missing}/decrypt`, { ciphertext: b64('x') }],
      ['GET', `${KEYS}/${missing}/public-key`, undefined],
      ['GET', `${KEYS}/${missing}/signing-algorithms`, undefined],
    ];
    for (const [method, path, body] of quoted) {
      const r = await call(method, path, body);
      expect(r.status, path).toBe(404);
      expect(r.body.message, path).toBe(`Key with ID "${missing}" not found`);
    }
    for (const [method, body] of [
      ['PATCH', { description: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const r = await call(method, `${KEYS}/${missing}`, body);
      expect(r.status, method).toBe(404);
      expect(r.body.message, method).toBe(`Key with ID ${missing} not found`);
    }
    const byName = await call('GET', `${KEYS}/key-name/nope?projectId=${project.id}`);
    expect(byName.status).toBe(404);
    expect(byName.body.message).toBe(`Key with name "nope" not found for project with ID "${project.id}"`);
  });

  it('a disabled key refuses every use, the public key and its signing algorithms included', async () => {
    const signing = await createKey({ name: 'signer', keyUsage: 'sign-verify', algorithm: 'ECC_NIST_P256' });
    const sealing = await createKey({ name: 'sealer' });
    const ciphertext = (await call('POST', `${KEYS}/${sealing.id}/encrypt`, { plaintext: b64('x') })).body
      .ciphertext;
    const signature = (
      await call('POST', `${KEYS}/${signing.id}/sign`, { signingAlgorithm: 'ECDSA_SHA_256', data: b64('x') })
    ).body.signature;
    for (const key of [signing, sealing])
      expect((await call('PATCH', `${KEYS}/${key.id}`, { isDisabled: true })).status).toBe(200);
    const uses: [string, string, unknown][] = [
      ['GET', `${KEYS}/${signing.id}/public-key`, undefined],
      ['GET', `${KEYS}/${signing.id}/signing-algorithms`, undefined],
      ['POST', `${KEYS}/${signing.id}/sign`, { signingAlgorithm: 'ECDSA_SHA_256', data: b64('x') }],
      [
        'POST',
        `${KEYS}/${signing.id}/verify`,
        { signingAlgorithm: 'ECDSA_SHA_256', data: b64('x'), signature },
      ],
      ['POST', `${KEYS}/${sealing.id}/encrypt`, { plaintext: b64('x') }],
      ['POST', `${KEYS}/${sealing.id}/decrypt`, { ciphertext }],
    ];
    for (const [method, path, body] of uses) {
      const r = await call(method, path, body);
      expect(r.status, path).toBe(400);
      expect(r.body, path).toMatchObject({ error: 'BadRequest', message: 'Key is disabled' });
    }
    // Reading the key itself stays allowed, as upstream.
    expect((await call('GET', `${KEYS}/${signing.id}`)).body.key.isDisabled).toBe(true);
  });

  it("base64 fields: upstream's words for every field, the field named in the issue's path", async () => {
    const sealing = await createKey({ name: 'sizes' });
    const signing = await createKey({ name: 'sizes-sign', keyUsage: 'sign-verify', algorithm: 'RSA_4096' });
    const issues = (body: { message: { message: string; path: string[] }[] }) =>
      body.message.map((i) => `${i.path.join('.')}: ${i.message}`);
    const notBase64 = await call('POST', `${KEYS}/${sealing.id}/encrypt`, { plaintext: 'not base64!' });
    expect(notBase64.status).toBe(422);
    expect(issues(notBase64.body)).toEqual(['body.plaintext: plaintext must be base64 encoded']);
    const tooBig = await call('POST', `${KEYS}/${sealing.id}/encrypt`, {
      plaintext: Buffer.alloc(4097).toString('base64'),
    });
    expect(issues(tooBig.body)).toEqual(['body.plaintext: data cannot exceed 4096 bytes']);
    const bigData = await call('POST', `${KEYS}/${signing.id}/sign`, {
      signingAlgorithm: 'RSASSA_PSS_SHA_256',
      data: Buffer.alloc(4097).toString('base64'),
    });
    expect(issues(bigData.body)).toEqual(['body.data: data cannot exceed 4096 bytes']);
    const badSignature = await call('POST', `${KEYS}/${signing.id}/verify`, {
      signingAlgorithm: 'RSASSA_PSS_SHA_256',
      data: b64('x'),
      signature: '***',
    });
    expect(issues(badSignature.body)).toEqual(['body.signature: plaintext must be base64 encoded']);
  });

  it('a taken name, on create and on rename', async () => {
    await createKey({ name: 'taken' });
    const other = await createKey({ name: 'other' });
    const message = `A KMS key with the name "taken" already exists for the project with ID "${project.id}"`;
    const create = await call('POST', KEYS, { projectId: project.id, name: 'taken' });
    expect(create.status).toBe(400);
    expect(create.body.message).toBe(message);
    const rename = await call('PATCH', `${KEYS}/${other.id}`, { name: 'taken' });
    expect(rename.status).toBe(400);
    expect(rename.body.message).toBe(message);
  });
});

describe('KMS keys: answers', () => {
  it("carry upstream's keys for every route", async () => {
    const sealing = await createKey({ name: 'answers', description: 'd' });
    for (const field of UPSTREAM_KEY_FIELDS) expect(sealing).toHaveProperty(field);
    const list = (await call('GET', `${KEYS}?projectId=${project.id}`)).body;
    expect(Object.keys(list).sort()).toEqual(['keys', 'totalCount']);
    expect(list.totalCount).toBe(1);
    const encrypted = (await call('POST', `${KEYS}/${sealing.id}/encrypt`, { plaintext: b64('hello') })).body;
    expect(Object.keys(encrypted)).toEqual(['ciphertext']);
    const decrypted = (await call('POST', `${KEYS}/${sealing.id}/decrypt`, encrypted)).body;
    expect(decrypted).toEqual({ plaintext: b64('hello') });

    const signing = await createKey({
      name: 'answers-sign',
      keyUsage: 'sign-verify',
      algorithm: 'ECC_NIST_P256',
    });
    const signingAlgorithms = (await call('GET', `${KEYS}/${signing.id}/signing-algorithms`)).body;
    expect(signingAlgorithms).toEqual({
      signingAlgorithms: ['ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512'],
    });
    const signed = (
      await call('POST', `${KEYS}/${signing.id}/sign`, { signingAlgorithm: 'ECDSA_SHA_384', data: b64('m') })
    ).body;
    expect(Object.keys(signed).sort()).toEqual(['keyId', 'signature', 'signingAlgorithm']);
    expect(signed).toMatchObject({ keyId: signing.id, signingAlgorithm: 'ECDSA_SHA_384' });
    const verified = (
      await call('POST', `${KEYS}/${signing.id}/verify`, {
        signingAlgorithm: 'ECDSA_SHA_384',
        data: b64('m'),
        signature: signed.signature,
      })
    ).body;
    expect(verified).toEqual({ signatureValid: true, keyId: signing.id, signingAlgorithm: 'ECDSA_SHA_384' });
    expect(Object.keys((await call('GET', `${KEYS}/${signing.id}/public-key`)).body)).toEqual(['publicKey']);
    const removed = (await call('DELETE', `${KEYS}/${signing.id}`)).body.key;
    for (const field of UPSTREAM_KEY_FIELDS) expect(removed).toHaveProperty(field);
  });

  it('refuse a caller of another project, and leave its key as it was', async () => {
    const key = await createKey({ name: 'guarded' });
    const other = await kms.createProject('wire-kms-other');
    const outsider = await kms.createMachineIdentity({ project: { id: other.id, role: 'admin' } });
    const token = (await kms.login(outsider.clientId, outsider.clientSecret)).body.accessToken as string;
    for (const [method, path, body] of [
      ['GET', `${KEYS}/${key.id}`, undefined],
      ['PATCH', `${KEYS}/${key.id}`, { isDisabled: true }],
      ['POST', `${KEYS}/${key.id}/encrypt`, { plaintext: b64('x') }],
      ['DELETE', `${KEYS}/${key.id}`, undefined],
      ['GET', `${KEYS}?projectId=${project.id}`, undefined],
    ] as const) {
      const r = await call(method, path, body, token);
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect((await call('GET', `${KEYS}/${key.id}`)).body.key.isDisabled).toBe(false);
  });
});
