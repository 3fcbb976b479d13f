/**
 * KMS key versions: rotating a symmetric key to fresh material (docs/reference/kms-keys.md#versions-and-rotation).
 * Every version stays stored, so ciphertexts of older versions still decrypt; encryption uses the newest.
 */
import type { ServerContext } from '../../context.js';
import { badRequest, conflict } from '../../http/errors.js';
import type { KmsKeyRecord } from '../../store/records.js';
import { StoreConflictError } from '../../store/contract.js';
import { generateMaterial, isSymmetric, sealMaterial } from './key-crypto.js';
import { type KeyRef, type KmsCaller, keyFacts, keyFor } from './kms-key-service.js';

/** `GET /keys/:keyId/versions`: version numbers and when each was made, never material (`get-cmek`). */
export async function listKeyVersions(ctx: ServerContext, caller: KmsCaller, input: KeyRef) {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'read');
  const versions = await ctx.store.kmsKeys.listVersions(key.id);
  await caller.audit(access.project, { type: 'get-cmek', metadata: keyFacts(key) });
  return versions.map((v) => ({ version: v.version, createdAt: v.createdAt }));
}

/**
 * `POST /keys/:keyId/rotate`: new material as version + 1, made current in one transaction.
 * Asymmetric keys are refused (400, as upstream: their public keys are held by others), and so are
 * disabled keys. Two rotations racing: one wins, the other answers 409.
 */
export async function rotateKey(ctx: ServerContext, caller: KmsCaller, input: KeyRef): Promise<KmsKeyRecord> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'edit');
  if (!isSymmetric(key.encryptionAlgorithm)) {
    throw badRequest(
      `Key with ID '${key.id}' uses ${key.encryptionAlgorithm}: only symmetric (aes-256-gcm, aes-128-gcm) keys can be rotated`,
    );
  }
  if (key.isDisabled) throw badRequest('Key is disabled');
  const iso = new Date(ctx.now()).toISOString();
  const version = key.version + 1;
  const generated = await generateMaterial(key.encryptionAlgorithm);
  const rotated: KmsKeyRecord = { ...key, version, updatedAt: iso };
  try {
    await ctx.store.kmsKeys.rotateKey(rotated, {
      keyId: key.id,
      version,
      sealedMaterial: sealMaterial(access.dataKey, key.id, version, generated.material),
      publicKey: null,
      createdAt: iso,
    });
  } catch (error) {
    if (error instanceof StoreConflictError) throw conflict('The key was rotated by another request; retry');
    throw error;
  } finally {
    generated.material.fill(0);
  }
  ctx.keyMaterial.dropKey(key.id);
  // Upstream has no event of its own for a rotation: it is a change of the key (`update-cmek`).
  await caller.audit(access.project, {
    type: 'update-cmek',
    metadata: { ...keyFacts(rotated), rotatedFromVersion: key.version },
  });
  return rotated;
}
