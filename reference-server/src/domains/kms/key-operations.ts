/**
 * The cryptographic operations of KMS keys as a service: encrypt, decrypt, sign, verify, and the
 * public facts of signing keys. Each opens the material it needs for the one operation and zeroes
 * it in `finally`; nothing here is HTTP. Statuses and messages follow docs/reference/kms-keys.md.
 */
import type { ProjectAccess } from '../../auth/permissions.js';
import type { ServerContext } from '../../context.js';
import { ApiError, badRequest, forbidden, notFound } from '../../http/errors.js';
import type { KmsKeyRecord, KmsKeyVersionRecord } from '../../store/records.js';
import {
  blobVersion,
  DigestLengthError,
  decryptBlob,
  decryptRsaBlob,
  encryptBlob,
  encryptRsaBlob,
  MAX_RSA_PLAINTEXT_BYTES,
  openMaterial,
  type SigningAlgorithm,
  signingAlgorithmsOf,
  signWith,
  verifyWith,
} from './key-crypto.js';
import { type KeyRef, type KmsCaller, keyFor } from './kms-key-service.js';
import type { SignInput, VerifyInput } from './kms-schemas.js';

const cryptographyError = (message: string) => new ApiError(400, 'CryptographyError', message);

/** Keys used for cryptography must be enabled and of the right usage. */
function assertUsable(key: KmsKeyRecord, usage: KmsKeyRecord['keyUsage']) {
  if (key.isDisabled) throw badRequest('Key is disabled');
  if (key.keyUsage !== usage)
    throw badRequest(
      `Key with ID '${key.id}' is not intended for ${usage === 'sign-verify' ? 'signing' : 'encryption'}`,
    );
}

/** The signing algorithm, if the key can use it. */
function assertAlgorithm(key: KmsKeyRecord, signingAlgorithm: SigningAlgorithm) {
  if (!signingAlgorithmsOf(key.encryptionAlgorithm).includes(signingAlgorithm))
    throw badRequest(
      `Signing algorithm ${signingAlgorithm} does not fit a ${key.encryptionAlgorithm} key; use one of ${signingAlgorithmsOf(key.encryptionAlgorithm).join(', ')}`,
    );
}

/** Runs a signing operation, turning a digest of the wrong length into a 400. */
function withDigestCheck<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof DigestLengthError) throw badRequest(`Invalid digest: ${error.message}`);
    throw error;
  }
}

/**
 * What an entry of the material cache (key-material-cache.ts) is valid for: the key and project
 * rows this request read. Another replica's update, disable, rotation or root-key rotation changes
 * one of them, so an entry made before it is not served after it.
 */
const validatorOf = (key: KmsKeyRecord, access: ProjectAccess) =>
  `${key.version}|${key.updatedAt}|${key.isDisabled}|${access.project.dataKey.keyId}|${access.project.dataKey.wrapped}`;

/**
 * Runs `use` with the material of one version of a key, zeroed when `use` returns or throws. The
 * material comes from the process's cache, or is read and opened with the project's data key (then
 * cached). `missing` is the error for a version without material.
 */
async function withMaterial<T>(
  ctx: ServerContext,
  access: ProjectAccess,
  key: KmsKeyRecord,
  version: number,
  missing: () => ApiError,
  use: (material: Buffer) => T,
): Promise<T> {
  const validator = validatorOf(key, access);
  let material = ctx.keyMaterial.material(key.id, version, validator);
  let read: KmsKeyVersionRecord | undefined;
  if (!material) {
    read = await ctx.store.kmsKeys.getVersion(key.id, version);
    if (!read) throw missing();
    try {
      material = openMaterial(access.dataKey, key.id, version, read.sealedMaterial);
    } catch {
      // Material that does not open for its row was altered or moved outside the API.
      throw new ApiError(
        500,
        'KeyIntegrityError',
        `Stored material of key '${key.id}' failed its integrity check`,
      );
    }
  }
  try {
    if (read) {
      const publicKey = read.publicKey === null ? null : Buffer.from(read.publicKey, 'base64');
      ctx.keyMaterial.put(key.id, version, validator, { material, publicKey });
    }
    return use(material);
  } finally {
    material.fill(0);
  }
}

/** The public key (SPKI DER) of the key's current version, cached as its material; else the contract's 404. */
async function publicKeyOf(ctx: ServerContext, access: ProjectAccess, key: KmsKeyRecord): Promise<Buffer> {
  const validator = validatorOf(key, access);
  let publicKey = ctx.keyMaterial.publicKey(key.id, key.version, validator);
  if (publicKey === undefined) {
    const stored = await ctx.store.kmsKeys.getVersion(key.id, key.version);
    if (!stored) throw notFound(`Key with ID "${key.id}" has no public key`);
    publicKey = stored.publicKey === null ? null : Buffer.from(stored.publicKey, 'base64');
    ctx.keyMaterial.put(key.id, key.version, validator, { publicKey });
  }
  if (!publicKey) throw notFound(`Key with ID "${key.id}" has no public key`);
  return publicKey;
}

const noMaterial = (key: KmsKeyRecord) => () =>
  notFound(`Key with ID "${key.id}" has no material for version ${key.version}`);

/** `POST /keys/:keyId/encrypt`: the blob of `plaintext` under the key's current version (`cmek-encrypt`). */
export async function encrypt(
  ctx: ServerContext,
  caller: KmsCaller,
  input: KeyRef & { plaintext: Buffer },
): Promise<Buffer> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'encrypt');
  assertUsable(key, 'encrypt-decrypt');
  let blob: Buffer;
  if (key.encryptionAlgorithm === 'RSA_4096') {
    if (input.plaintext.length > MAX_RSA_PLAINTEXT_BYTES) {
      throw badRequest(
        `plaintext cannot exceed ${MAX_RSA_PLAINTEXT_BYTES} bytes for an RSA_4096 key (RSA-OAEP)`,
      );
    }
    blob = encryptRsaBlob(await publicKeyOf(ctx, access, key), key.id, key.version, input.plaintext);
  } else {
    blob = await withMaterial(ctx, access, key, key.version, noMaterial(key), (material) =>
      encryptBlob(material, key.id, key.version, input.plaintext),
    );
  }
  await caller.audit(access.project, {
    type: 'cmek-encrypt',
    metadata: { keyId: key.id, encryptionAlgorithm: key.encryptionAlgorithm, version: key.version },
  });
  return blob;
}

/** `POST /keys/:keyId/decrypt`: the plaintext of a blob of any version of the key (`cmek-decrypt`). */
export async function decrypt(
  ctx: ServerContext,
  caller: KmsCaller,
  input: KeyRef & { ciphertext: Buffer },
): Promise<Buffer> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'decrypt');
  assertUsable(key, 'encrypt-decrypt');
  const invalid = () =>
    cryptographyError('The ciphertext is malformed, was altered, or was not made by this key');
  const version = blobVersion(input.ciphertext, key.encryptionAlgorithm);
  if (version === undefined || version > key.version) throw invalid();
  const plaintext = await withMaterial(ctx, access, key, version, invalid, (material) =>
    key.encryptionAlgorithm === 'RSA_4096'
      ? decryptRsaBlob(material, key.id, version, input.ciphertext)
      : decryptBlob(material, key.id, version, input.ciphertext),
  );
  if (!plaintext) throw invalid();
  await caller.audit(access.project, {
    type: 'cmek-decrypt',
    metadata: { keyId: key.id, encryptionAlgorithm: key.encryptionAlgorithm, version },
  });
  return plaintext;
}

/** `POST /keys/:keyId/sign`: a signature of `data` (or of a digest) with the current version (`cmek-sign`). */
export async function sign(
  ctx: ServerContext,
  caller: KmsCaller,
  input: KeyRef & SignInput,
): Promise<{ key: KmsKeyRecord; signature: Buffer }> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'sign');
  assertUsable(key, 'sign-verify');
  assertAlgorithm(key, input.signingAlgorithm);
  const signature = await withMaterial(ctx, access, key, key.version, noMaterial(key), (material) =>
    withDigestCheck(() => signWith(material, input.signingAlgorithm, input.data, input.isDigest)),
  );
  await caller.audit(access.project, {
    type: 'cmek-sign',
    metadata: {
      keyId: key.id,
      signingAlgorithm: input.signingAlgorithm,
      isDigest: input.isDigest,
      signature: signature.toString('base64'),
    },
  });
  return { key, signature };
}

/** `POST /keys/:keyId/verify`: whether `signature` is the key's over `data` (`cmek-verify`). */
export async function verify(
  ctx: ServerContext,
  caller: KmsCaller,
  input: KeyRef & VerifyInput,
): Promise<{ key: KmsKeyRecord; signatureValid: boolean }> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'verify');
  assertUsable(key, 'sign-verify');
  assertAlgorithm(key, input.signingAlgorithm);
  const publicKey = await publicKeyOf(ctx, access, key);
  const signatureValid = withDigestCheck(() =>
    verifyWith(publicKey, input.signingAlgorithm, input.data, input.signature, input.isDigest),
  );
  await caller.audit(access.project, {
    type: 'cmek-verify',
    metadata: {
      keyId: key.id,
      signingAlgorithm: input.signingAlgorithm,
      isDigest: input.isDigest,
      signatureValid,
    },
  });
  return { key, signatureValid };
}

/**
 * Enabled signing keys only: the public facts below are refused for a disabled key (as upstream's
 * getPublicKey and listSigningAlgorithms) and for an encryption key.
 */
function assertSigningKey(key: KmsKeyRecord) {
  if (key.isDisabled) throw badRequest('Key is disabled');
  if (key.keyUsage !== 'sign-verify') throw badRequest(`Key with ID '${key.id}' is not intended for signing`);
}

/** `GET /keys/:keyId/public-key`: base64 SPKI DER (`cmek-get-public-key`). */
export async function getPublicKey(ctx: ServerContext, caller: KmsCaller, input: KeyRef): Promise<string> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'read');
  assertSigningKey(key);
  const publicKey = (await publicKeyOf(ctx, access, key)).toString('base64');
  await caller.audit(access.project, { type: 'cmek-get-public-key', metadata: { keyId: key.id } });
  return publicKey;
}

/** `GET /keys/:keyId/signing-algorithms` (`cmek-list-signing-algorithms`). */
export async function listSigningAlgorithms(
  ctx: ServerContext,
  caller: KmsCaller,
  input: KeyRef,
): Promise<SigningAlgorithm[]> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'read');
  assertSigningKey(key);
  await caller.audit(access.project, { type: 'cmek-list-signing-algorithms', metadata: { keyId: key.id } });
  return [...signingAlgorithmsOf(key.encryptionAlgorithm)];
}

/** `GET /keys/:keyId/private-key`: refused after the read check, by operator decision. */
export async function exportPrivateKey(ctx: ServerContext, caller: KmsCaller, input: KeyRef): Promise<never> {
  await keyFor(ctx, caller, input.keyId, 'read');
  // Operator decision: key material never leaves this KMS (docs/reference/kms-keys.md).
  throw forbidden('Exporting private keys is disabled on this server: key material never leaves the KMS', {
    name: 'PrivateKeyExportDisabled',
  });
}
