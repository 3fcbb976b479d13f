/**
 * The cryptography of project KMS keys: material generation, sealing under the project data key,
 * the ciphertext blob, and signing and verification (with and without a precomputed digest).
 * Everything is node:crypto; the formats are written down in docs/reference/kms-keys.md.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  type KeyObject,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  sign as signData,
  timingSafeEqual,
  verify as verifyData,
} from 'node:crypto';
import { promisify } from 'node:util';
import { p256 } from '@noble/curves/nist';
import { type DataKey, decryptValue, encryptValue } from '../../crypto/value-cipher.js';
import type { KmsKeyAlgorithm, KmsKeyUsage } from '../../store/records.js';

/** Encryption algorithms and the signing algorithms of each key type. */
export const ENCRYPTION_ALGORITHMS = ['aes-256-gcm', 'aes-128-gcm'] as const;
export const SIGNING_KEY_ALGORITHMS = ['RSA_4096', 'ECC_NIST_P256'] as const;
export const RSA_SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
] as const;
export const ECC_SIGNING_ALGORITHMS = ['ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512'] as const;
export const SIGNING_ALGORITHMS = [...RSA_SIGNING_ALGORITHMS, ...ECC_SIGNING_ALGORITHMS] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** The algorithms each usage takes: RSA_4096 serves both (encryption with RSA-OAEP, upstream's newer keys). */
export const ALGORITHMS_BY_USAGE: Record<KmsKeyUsage, readonly KmsKeyAlgorithm[]> = {
  'encrypt-decrypt': [...ENCRYPTION_ALGORITHMS, 'RSA_4096'],
  'sign-verify': SIGNING_KEY_ALGORITHMS,
};

/** Whether a key of this algorithm may have this usage. */
export const fitsUsage = (algorithm: KmsKeyAlgorithm, usage: KmsKeyUsage) =>
  ALGORITHMS_BY_USAGE[usage].includes(algorithm);

/** Symmetric keys (AES) are the ones that rotate (upstream refuses rotating asymmetric keys). */
export const isSymmetric = (algorithm: KmsKeyAlgorithm) =>
  (ENCRYPTION_ALGORITHMS as readonly string[]).includes(algorithm);

/** The signing algorithms a key supports (empty for an encryption key). */
export function signingAlgorithmsOf(algorithm: KmsKeyAlgorithm): readonly SigningAlgorithm[] {
  if (algorithm === 'RSA_4096') return RSA_SIGNING_ALGORITHMS;
  if (algorithm === 'ECC_NIST_P256') return ECC_SIGNING_ALGORITHMS;
  return [];
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Fresh key material: raw AES key bytes, or a PKCS#8 DER private key with its SPKI DER public key. */
export async function generateMaterial(
  algorithm: KmsKeyAlgorithm,
): Promise<{ material: Buffer; publicKey: Buffer | null }> {
  switch (algorithm) {
    case 'aes-256-gcm':
      return { material: randomBytes(32), publicKey: null };
    case 'aes-128-gcm':
      return { material: randomBytes(16), publicKey: null };
    case 'RSA_4096': {
      // Asynchronous: a 4096-bit prime search takes long enough to stall every other request.
      const pair = await generateKeyPairAsync('rsa', { modulusLength: 4096 });
      return {
        material: pair.privateKey.export({ type: 'pkcs8', format: 'der' }),
        publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }),
      };
    }
    case 'ECC_NIST_P256': {
      const pair = await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
      return {
        material: pair.privateKey.export({ type: 'pkcs8', format: 'der' }),
        publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }),
      };
    }
  }
}

/** Associated data sealing a key's material: a copy onto another key or version fails to open. */
const materialBinding = (keyId: string, version: number) => `hanzo-kms/kms-key/${keyId}/v${version}`;

/** Seals key material under the project data key, bound to the key id and version. */
export const sealMaterial = (dataKey: DataKey, keyId: string, version: number, material: Buffer) =>
  encryptValue(dataKey, material.toString('base64'), materialBinding(keyId, version));

/** Opens sealed material; throws when it was moved to another key or version, or altered. */
export const openMaterial = (dataKey: DataKey, keyId: string, version: number, sealed: string) =>
  Buffer.from(decryptValue(dataKey, sealed, materialBinding(keyId, version)), 'base64');

/**
 * Ciphertext blob, base64 on the wire: `0x01` (format) || key version (uint32 BE) || IV (12) ||
 * tag (16) || AES-GCM ciphertext. The associated data is the key id and version, so a blob only
 * opens with the key (and version) that made it; the version lets a rotated key open old blobs.
 */
const BLOB_FORMAT = 0x01;
const BLOB_HEADER = 1 + 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const blobBinding = (keyId: string, version: number) => Buffer.from(`hanzo-kms/cmek/${keyId}/v${version}`);
const cipherName = (keyBytes: Buffer) => (keyBytes.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm');

/** Encrypts `plaintext` with an encryption key's material into an opaque blob. */
export function encryptBlob(material: Buffer, keyId: string, version: number, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(cipherName(material), createSecretKey(material), iv);
  cipher.setAAD(blobBinding(keyId, version));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const header = Buffer.alloc(BLOB_HEADER);
  header.writeUInt8(BLOB_FORMAT, 0);
  header.writeUInt32BE(version, 1);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** The key version a blob names, or undefined when it is not a blob of this key type's format. */
export function blobVersion(blob: Buffer, algorithm: KmsKeyAlgorithm = 'aes-256-gcm'): number | undefined {
  const [format, minLength] =
    algorithm === 'RSA_4096'
      ? [RSA_BLOB_FORMAT, BLOB_HEADER + RSA_BYTES]
      : [BLOB_FORMAT, BLOB_HEADER + IV_BYTES + TAG_BYTES];
  if (blob.length < minLength || blob.readUInt8(0) !== format) return undefined;
  const version = blob.readUInt32BE(1);
  return version > 0 ? version : undefined;
}

/**
 * RSA_4096 encryption keys: blob `0x02` (format) || key version (uint32 BE) || RSA-OAEP ciphertext
 * (SHA-256, MGF1-SHA-256, 512 bytes) with the key id and version as the OAEP label, so a blob only
 * opens with the key and version that made it. OAEP with SHA-256 takes at most 446 bytes.
 */
const RSA_BLOB_FORMAT = 0x02;
const RSA_BYTES = 512;
/** Largest plaintext an RSA_4096 key encrypts (RFC 8017 §7.1.1: k − 2·hLen − 2). */
export const MAX_RSA_PLAINTEXT_BYTES = RSA_BYTES - 2 * 32 - 2;

/** Encrypts with an RSA_4096 key's public key (SPKI DER). */
export function encryptRsaBlob(publicKey: Buffer, keyId: string, version: number, plaintext: Buffer): Buffer {
  const body = publicEncrypt(
    {
      key: createPublicKey({ key: publicKey, format: 'der', type: 'spki' }),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: blobBinding(keyId, version),
    },
    plaintext,
  );
  const header = Buffer.alloc(BLOB_HEADER);
  header.writeUInt8(RSA_BLOB_FORMAT, 0);
  header.writeUInt32BE(version, 1);
  return Buffer.concat([header, body]);
}

/** Opens a blob made by {@link encryptRsaBlob} with the private key (PKCS#8 DER); undefined when it does not open. */
export function decryptRsaBlob(
  privateKey: Buffer,
  keyId: string,
  version: number,
  blob: Buffer,
): Buffer | undefined {
  try {
    return privateDecrypt(
      {
        key: createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: blobBinding(keyId, version),
      },
      blob.subarray(BLOB_HEADER),
    );
  } catch {
    return undefined;
  }
}

/** Opens a blob made by {@link encryptBlob}; undefined when it was altered, truncated or made by another key. */
export function decryptBlob(
  material: Buffer,
  keyId: string,
  version: number,
  blob: Buffer,
): Buffer | undefined {
  try {
    const iv = blob.subarray(BLOB_HEADER, BLOB_HEADER + IV_BYTES);
    const tag = blob.subarray(BLOB_HEADER + IV_BYTES, BLOB_HEADER + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv(cipherName(material), createSecretKey(material), iv);
    decipher.setAAD(blobBinding(keyId, version));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(blob.subarray(BLOB_HEADER + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

// ---- signing

const HASHES = { SHA_256: 'sha256', SHA_384: 'sha384', SHA_512: 'sha512' } as const;
const HASH_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;
type Hash = (typeof HASHES)[keyof typeof HASHES];

/** DER prefixes of PKCS#1 v1.5 DigestInfo (RFC 8017 §9.2, note 1). */
const DIGEST_INFO: Record<Hash, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

function parseAlgorithm(algorithm: SigningAlgorithm): { scheme: 'pss' | 'pkcs1' | 'ecdsa'; hash: Hash } {
  const hash = HASHES[algorithm.slice(-7) as keyof typeof HASHES];
  const scheme = algorithm.startsWith('RSASSA_PSS')
    ? 'pss'
    : algorithm.startsWith('RSASSA_PKCS1')
      ? 'pkcs1'
      : 'ecdsa';
  return { scheme, hash };
}

/** Thrown for a digest whose length does not match the algorithm's hash (the router answers 400). */
export class DigestLengthError extends Error {
  constructor(readonly expected: number) {
    super(`a digest for this algorithm must be ${expected} bytes`);
  }
}

function assertDigest(data: Buffer, hash: Hash) {
  if (data.length !== HASH_BYTES[hash]) throw new DigestLengthError(HASH_BYTES[hash]);
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(seed: Buffer, length: number, hash: Hash): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * HASH_BYTES[hash] < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter, 0);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * EMSA-PSS encoding of a precomputed digest (RFC 8017 §9.1.1), salt as long as the hash: node:crypto
 * signs PSS only over a message it hashes itself, so a caller's digest is encoded here and signed
 * raw. The result verifies as an ordinary RSASSA-PSS signature of the original message.
 */
function emsaPssEncode(mHash: Buffer, emBits: number, hash: Hash): Buffer {
  const hLen = HASH_BYTES[hash];
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([0x01]), salt]);
  const masked = mgf1(h, emLen - hLen - 1, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= masked[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** EMSA-PSS verification of a precomputed digest (RFC 8017 §9.1.2), any salt length. */
function emsaPssVerify(mHash: Buffer, em: Buffer, emBits: number, hash: Hash): boolean {
  const hLen = HASH_BYTES[hash];
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen || em[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >>> (8 * emLen - emBits);
  if ((db[0]! & ~topMask) !== 0) return false;
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= topMask;
  const one = db.indexOf(0x01);
  if (one < 0 || db.subarray(0, one).some((b) => b !== 0)) return false;
  const salt = db.subarray(one + 1);
  const expected = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return expected.length === h.length && timingSafeEqual(expected, h);
}

const modulusBits = (key: KeyObject) => key.asymmetricKeyDetails?.modulusLength ?? 4096;

/** Signs `data` (or, with `isDigest`, a digest of the algorithm's hash) with a PKCS#8 DER private key. */
export function signWith(
  privateDer: Buffer,
  algorithm: SigningAlgorithm,
  data: Buffer,
  isDigest: boolean,
): Buffer {
  const key = createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' });
  const { scheme, hash } = parseAlgorithm(algorithm);
  if (!isDigest) {
    if (scheme === 'ecdsa') return signData(hash, data, { key, dsaEncoding: 'der' });
    return signData(hash, data, {
      key,
      padding: scheme === 'pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
      ...(scheme === 'pss' ? { saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : {}),
    });
  }
  assertDigest(data, hash);
  // node:crypto hashes whatever it signs with an EC key (even with a null algorithm), so a given
  // digest is signed with @noble/curves, which takes the hash value as ECDSA defines it.
  if (scheme === 'ecdsa') {
    const d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
    return Buffer.from(p256.sign(data, d, { prehash: false }).toDERRawBytes());
  }
  if (scheme === 'pkcs1')
    return privateEncrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([DIGEST_INFO[hash], data]),
    );
  const bits = modulusBits(key);
  return privateDecryptRaw(key, emsaPssEncode(data, bits - 1, hash), bits);
}

/** Raw RSA private operation (m^d mod n) on an encoded message of the modulus length. */
function privateDecryptRaw(key: KeyObject, em: Buffer, bits: number): Buffer {
  const k = Math.ceil(bits / 8);
  const padded = em.length < k ? Buffer.concat([Buffer.alloc(k - em.length), em]) : em;
  return privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, padded);
}

/** Verifies a signature with an SPKI DER public key; false for any mismatch or malformed signature. */
export function verifyWith(
  publicDer: Buffer,
  algorithm: SigningAlgorithm,
  data: Buffer,
  signature: Buffer,
  isDigest: boolean,
): boolean {
  const key = createPublicKey({ key: publicDer, format: 'der', type: 'spki' });
  const { scheme, hash } = parseAlgorithm(algorithm);
  // An RSA signature is exactly as long as the modulus (RFC 8017 8.1.2, 8.2.2). OpenSSL also accepts
  // one with its leading zero octet dropped, which would let two encodings of a signature verify.
  const bits = scheme === 'ecdsa' ? 0 : modulusBits(key);
  if (scheme !== 'ecdsa' && signature.length !== Math.ceil(bits / 8)) return false;
  try {
    if (!isDigest) {
      if (scheme === 'ecdsa') return verifyData(hash, data, { key, dsaEncoding: 'der' }, signature);
      return verifyData(
        hash,
        data,
        {
          key,
          padding: scheme === 'pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
          ...(scheme === 'pss' ? { saltLength: constants.RSA_PSS_SALTLEN_AUTO } : {}),
        },
        signature,
      );
    }
    assertDigest(data, hash);
    if (scheme === 'ecdsa') {
      const { x, y } = key.export({ format: 'jwk' });
      const point = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(x!, 'base64url'),
        Buffer.from(y!, 'base64url'),
      ]);
      return p256.verify(signature, data, point, { prehash: false, lowS: false, format: 'der' });
    }
    if (scheme === 'pkcs1') {
      const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      const expected = Buffer.concat([DIGEST_INFO[hash], data]);
      return recovered.length === expected.length && timingSafeEqual(recovered, expected);
    }
    const em = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
    // The encoded message has emBits = modBits - 1, so its leading octet is dropped when it is whole.
    const emLen = Math.ceil((bits - 1) / 8);
    return emsaPssVerify(data, em.subarray(em.length - emLen), bits - 1, hash);
  } catch (error) {
    if (error instanceof DigestLengthError) throw error;
    return false;
  }
}
