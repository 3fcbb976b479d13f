/**
 * AES-256-GCM sealing of values under a project data key. Pure crypto: no storage, no logging.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

/**
 * A project's data key as a KeyObject: Node converts a raw Buffer key on every cipher
 * creation, which made decryption 3-5x slower (measured with bench/list-secrets.mjs).
 */
export type DataKey = KeyObject;

/** Wraps raw key bytes once, for reuse across many cipher operations. */
export const toDataKey = (raw: Uint8Array): DataKey => createSecretKey(raw);

/**
 * AES-256-GCM under a project's data key. The associated data binds a ciphertext to
 * the row it was written for, so a ciphertext copied onto another row fails to decrypt.
 * Stored form: base64 of iv (12) || tag (16) || ciphertext.
 */
export function encryptValue(dataKey: DataKey, plaintext: string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** Inverse of {@link encryptValue}; throws when the data key or the associated data differ. */
export function decryptValue(dataKey: DataKey, stored: string, associatedData: string): string {
  const raw = Buffer.from(stored, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
