// client.kms against the real reference server over real HTTP: key management, every algorithm's
// round trip, offline verification with the public key, redaction of decrypted bytes, typed errors.
import { constants, createHash, createPublicKey, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KmsBadRequestError,
  KmsClient,
  KmsNotFoundError,
  KmsPermissionDeniedError,
  KmsPlaintext,
  type KmsSigningAlgorithm,
  KmsValidationError,
} from '../src/index.js';
import { loadStartServer, type Provisioned, ReferenceServer } from './reference-server.js';

const startServer = await loadStartServer();
const SECRET_TEXT = 'envelope-data-key-4f9c';

let server: ReferenceServer;
let env: Provisioned;
let kms: KmsClient;
let rsaKeyId: string;
let eccKeyId: string;

beforeAll(async () => {
  server = await ReferenceServer.start(startServer);
  env = await server.provision({ role: 'member' });
  kms = new KmsClient({
    siteUrl: env.url,
    auth: { universalAuth: { clientId: env.clientId, clientSecret: env.clientSecret } },
  });
  rsaKeyId = (
    await kms.kms.keys.create({
      projectId: env.projectId,
      name: 'rsa',
      keyUsage: 'sign-verify',
      encryptionAlgorithm: 'RSA_4096',
    })
  ).id;
  eccKeyId = (
    await kms.kms.keys.create({
      projectId: env.projectId,
      name: 'ecc',
      keyUsage: 'sign-verify',
      encryptionAlgorithm: 'ECC_NIST_P256',
    })
  ).id;
}, 60_000);
afterAll(async () => {
  await kms?.close();
  await server?.close();
});

describe('kms.kms.keys', () => {
  it('creates, gets by id and name, lists, updates and deletes', async () => {
    const key = await kms.kms.keys.create({ projectId: env.projectId, name: 'crud', description: 'd' });
    expect(key).toMatchObject({
      name: 'crud',
      keyUsage: 'encrypt-decrypt',
      encryptionAlgorithm: 'aes-256-gcm',
    });
    expect((await kms.kms.keys.get({ keyId: key.id })).name).toBe('crud');
    expect((await kms.kms.keys.getByName({ projectId: env.projectId, name: 'crud' })).id).toBe(key.id);
    const page = await kms.kms.keys.list({ projectId: env.projectId, search: 'cru' });
    expect(page).toMatchObject({ totalCount: 1, keys: [{ id: key.id }] });
    expect((await kms.kms.keys.update({ keyId: key.id, isDisabled: true })).isDisabled).toBe(true);
    await expect(kms.kms.encrypt({ keyId: key.id, plaintext: 'x' })).rejects.toBeInstanceOf(
      KmsBadRequestError,
    );
    await kms.kms.keys.delete({ keyId: key.id });
    await expect(kms.kms.keys.get({ keyId: key.id })).rejects.toBeInstanceOf(KmsNotFoundError);
  });

  it('names the bad field in a typed error before any request', async () => {
    await expect(kms.kms.keys.create({ projectId: env.projectId, name: 'Not A Slug' })).rejects.toMatchObject(
      {
        name: 'KmsValidationError',
        field: 'name',
      },
    );
    await expect(kms.kms.keys.update({ keyId: 'k' })).rejects.toBeInstanceOf(KmsValidationError);
    await expect(kms.kms.keys.list({ projectId: env.projectId, limit: 101 })).rejects.toMatchObject({
      field: 'limit',
    });
  });
});

describe('key versions and rotation', () => {
  it('rotate moves a symmetric key to a new version; older ciphertexts still decrypt; versions lists them', async () => {
    const key = await kms.kms.keys.create({
      projectId: env.projectId,
      name: 'rotated',
      algorithm: 'aes-128-gcm',
    });
    expect(key).toMatchObject({ version: 1, encryptionAlgorithm: 'aes-128-gcm', isExportable: false });
    const before = await kms.kms.encrypt({ keyId: key.id, plaintext: SECRET_TEXT });
    const rotated = await kms.kms.keys.rotate({ keyId: key.id });
    expect(rotated.version).toBe(2);
    const after = await kms.kms.encrypt({ keyId: key.id, plaintext: SECRET_TEXT });
    for (const ciphertext of [before, after]) {
      expect(await kms.kms.decryptString({ keyId: key.id, ciphertext })).toBe(SECRET_TEXT);
    }
    expect((await kms.kms.keys.versions({ keyId: key.id })).map((v) => v.version)).toEqual([2, 1]);
    await expect(kms.kms.keys.rotate({ keyId: eccKeyId })).rejects.toBeInstanceOf(KmsBadRequestError);
    await expect(kms.kms.keys.rotate({ keyId: '' })).rejects.toMatchObject({
      name: 'KmsValidationError',
      field: 'keyId',
    });
  });

  it('creates RSA_4096 encryption keys (RSA-OAEP) with the newer create shape', async () => {
    const key = await kms.kms.keys.create({
      projectId: env.projectId,
      name: 'rsa-oaep',
      keyUsage: 'encrypt-decrypt',
      algorithm: 'RSA_4096',
      isExportable: true,
    });
    expect(key).toMatchObject({ keyUsage: 'encrypt-decrypt', algorithm: 'RSA_4096', isExportable: true });
    const ciphertext = await kms.kms.encrypt({ keyId: key.id, plaintext: SECRET_TEXT });
    expect(await kms.kms.decryptString({ keyId: key.id, ciphertext })).toBe(SECRET_TEXT);
    await expect(kms.kms.encrypt({ keyId: key.id, plaintext: 'x'.repeat(447) })).rejects.toBeInstanceOf(
      KmsBadRequestError,
    );
    await expect(
      kms.kms.keys.create({ projectId: env.projectId, name: 'bad-flag', isExportable: 'yes' as never }),
    ).rejects.toMatchObject({ name: 'KmsValidationError', field: 'isExportable' });
  }, 60_000);
});

describe('encrypt and decrypt', () => {
  it.each(['aes-256-gcm', 'aes-128-gcm'] as const)(
    'round-trips text and bytes with %s',
    async (algorithm) => {
      const key = await kms.kms.keys.create({
        projectId: env.projectId,
        name: `e-${algorithm}`,
        encryptionAlgorithm: algorithm,
      });
      const text = await kms.kms.encrypt({ keyId: key.id, plaintext: SECRET_TEXT });
      expect(await kms.kms.decryptString({ keyId: key.id, ciphertext: text })).toBe(SECRET_TEXT);
      const bytes = new Uint8Array([0, 1, 2, 250, 251, 255]);
      const ciphertext = await kms.kms.encrypt({ keyId: key.id, plaintext: bytes });
      const plaintext = await kms.kms.decrypt({ keyId: key.id, ciphertext });
      expect(plaintext).toBeInstanceOf(KmsPlaintext);
      expect(plaintext).toBeInstanceOf(Uint8Array);
      expect([...plaintext]).toEqual([...bytes]);
      // The base64 wire form stays reachable both ways.
      const viaBase64 = await kms.kms.encrypt({
        keyId: key.id,
        plaintextBase64: Buffer.from(SECRET_TEXT).toString('base64'),
      });
      expect((await kms.kms.decrypt({ keyId: key.id, ciphertext: viaBase64 })).base64()).toBe(
        Buffer.from(SECRET_TEXT).toString('base64'),
      );
    },
  );

  it('prints decrypted bytes redacted in inspect and JSON', async () => {
    const key = await kms.kms.keys.create({ projectId: env.projectId, name: 'redacted' });
    const plaintext = await kms.kms.decrypt({
      keyId: key.id,
      ciphertext: await kms.kms.encrypt({ keyId: key.id, plaintext: SECRET_TEXT }),
    });
    expect(inspect(plaintext)).not.toContain(SECRET_TEXT);
    expect(inspect({ plaintext })).toContain('[REDACTED]');
    expect(JSON.stringify({ plaintext })).toBe('{"plaintext":"[REDACTED]"}');
    expect(String(inspect(plaintext))).not.toMatch(/\d+, \d+/);
    expect(plaintext.text()).toBe(SECRET_TEXT);
  });

  it('refuses oversize or non-base64 input with a typed error naming the field, never the value', async () => {
    const key = await kms.kms.keys.create({ projectId: env.projectId, name: 'limits' });
    const big = await kms.kms.encrypt({ keyId: key.id, plaintext: new Uint8Array(4097) }).catch((e) => e);
    expect(big).toBeInstanceOf(KmsValidationError);
    expect(big.field).toBe('plaintext');
    const bad = await kms.kms.encrypt({ keyId: key.id, plaintextBase64: `${SECRET_TEXT}!` }).catch((e) => e);
    expect(bad.field).toBe('plaintextBase64');
    expect(bad.message).not.toContain(SECRET_TEXT);
    const tampered = await kms.kms
      .decrypt({ keyId: key.id, ciphertext: 'AQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' })
      .catch((e) => e);
    expect(tampered).toBeInstanceOf(KmsBadRequestError);
    expect(tampered.error).toBe('CryptographyError');
  });
});

describe('sign and verify', () => {
  const release = 'release 1.4.0 sha256:9b2c';
  const algorithms: [string, KmsSigningAlgorithm][] = [
    ['rsa', 'RSASSA_PSS_SHA_256'],
    ['rsa', 'RSASSA_PSS_SHA_512'],
    ['rsa', 'RSASSA_PKCS1_V1_5_SHA_256'],
    ['rsa', 'RSASSA_PKCS1_V1_5_SHA_384'],
    ['ecc', 'ECDSA_SHA_256'],
    ['ecc', 'ECDSA_SHA_384'],
  ];

  it.each(algorithms)(
    '%s %s: signs, verifies on the server and offline with the PEM public key',
    async (type, algorithm) => {
      const keyId = type === 'rsa' ? rsaKeyId : eccKeyId;
      expect(await kms.kms.listSigningAlgorithms({ keyId })).toContain(algorithm);
      const signed = await kms.kms.sign({ keyId, data: release, signingAlgorithm: algorithm });
      expect(signed.signature).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(signed.signature).toString('base64')).toBe(signed.signatureBase64);
      expect(
        (
          await kms.kms.verify({
            keyId,
            data: release,
            signature: signed.signature,
            signingAlgorithm: algorithm,
          })
        ).signatureValid,
      ).toBe(true);
      expect(
        (
          await kms.kms.verify({
            keyId,
            data: `${release}!`,
            signature: signed.signatureBase64,
            signingAlgorithm: algorithm,
          })
        ).signatureValid,
      ).toBe(false);

      const { pem, der } = await kms.kms.getPublicKey({ keyId });
      expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      const publicKey = createPublicKey(pem);
      expect(createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }).equals(publicKey)).toBe(
        true,
      );
      const hash = `sha${algorithm.slice(-3)}`;
      const options =
        type === 'ecc'
          ? { key: publicKey, dsaEncoding: 'der' as const }
          : {
              key: publicKey,
              padding: algorithm.includes('PSS')
                ? constants.RSA_PKCS1_PSS_PADDING
                : constants.RSA_PKCS1_PADDING,
            };
      expect(verify(hash, Buffer.from(release), options, signed.signature)).toBe(true);
      // A precomputed digest signs the same message.
      const digest = createHash(hash).update(release).digest();
      const fromDigest = await kms.kms.sign({
        keyId,
        data: digest,
        isDigest: true,
        signingAlgorithm: algorithm,
      });
      expect(verify(hash, Buffer.from(release), options, fromDigest.signature)).toBe(true);
    },
    20_000,
  );

  it('reports a refused operation with the typed error of its status', async () => {
    const viewer = await server.provision({ role: 'viewer' });
    const keyId = (
      await kms.kms.keys.create({ projectId: viewer.projectId, name: 'viewers' }).catch(() => undefined)
    )?.id;
    expect(keyId).toBeUndefined(); // the member identity is not in the viewer's project
    const asViewer = new KmsClient({
      siteUrl: viewer.url,
      auth: { universalAuth: { clientId: viewer.clientId, clientSecret: viewer.clientSecret } },
    });
    try {
      await expect(
        asViewer.kms.keys.create({ projectId: viewer.projectId, name: 'nope' }),
      ).rejects.toBeInstanceOf(KmsPermissionDeniedError);
    } finally {
      await asViewer.close();
    }
  });
});
