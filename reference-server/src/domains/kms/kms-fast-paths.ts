/**
 * Hand-written parsers of the KMS key operations' bodies and key parameter (http/validate.ts
 * withFastPath): each returns exactly what its zod schema in kms-schemas.ts returns, or `undefined`
 * for anything else (an unknown field, a value of another type, any invalid value), which zod then
 * parses and, when invalid, reports. test/kms-fast-paths.test.ts compares them with the schemas.
 *
 * @module
 */
import { z } from 'zod';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './key-crypto.js';

/** Largest plaintext or data accepted, in bytes once decoded (the contract's limit). */
export const MAX_KMS_DATA_BYTES = 4096;
/** Largest ciphertext accepted, in bytes once decoded: the data plus a small header. */
export const MAX_KMS_CIPHERTEXT_BYTES = MAX_KMS_DATA_BYTES + 64;
/** Largest signature accepted, in bytes once decoded. */
export const MAX_KMS_SIGNATURE_BYTES = 1024;
/** Canonical base64 with padding: what every base64 field must be. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The longest base64 text a field of `maxBytes` accepts before decoding (kms-schemas.ts base64Field). */
export const base64MaxLength = (maxBytes: number) => Math.ceil((maxBytes * 4) / 3) + 4;

/** The same regular expression as `z.uuid()` (shared/schemas.ts uuidSchema). */
const UUID = z.regexes.uuid();
const SIGNING = new Set<string>(SIGNING_ALGORITHMS);

/** A base64 field's bytes (the checks of kms-schemas.ts base64Field, in its order), or undefined. */
function base64(value: unknown, maxBytes: number): Buffer<ArrayBuffer> | undefined {
  if (typeof value !== 'string' || value.length > base64MaxLength(maxBytes) || !BASE64.test(value))
    return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length <= maxBytes ? bytes : undefined;
}

/** `value`'s fields when it is a plain object whose every field is one of `known`; else undefined. */
function fields(value: unknown, known: readonly string[]): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  for (const key in record) if (!known.includes(key)) return undefined;
  return record;
}

/** `:keyId` (kms-schemas.ts keyParams). */
export function fastKeyParams(params: unknown) {
  const keyId = fields(params, ['keyId'])?.keyId;
  return typeof keyId === 'string' && UUID.test(keyId) ? { keyId } : undefined;
}

/** `POST /keys/:keyId/encrypt` (kms-schemas.ts encryptBody). */
export function fastEncryptBody(body: unknown) {
  const plaintext = base64(fields(body, ['plaintext'])?.plaintext, MAX_KMS_DATA_BYTES);
  return plaintext && { plaintext };
}

/** `POST /keys/:keyId/decrypt` (kms-schemas.ts decryptBody). */
export function fastDecryptBody(body: unknown) {
  const ciphertext = base64(fields(body, ['ciphertext'])?.ciphertext, MAX_KMS_CIPHERTEXT_BYTES);
  return ciphertext && { ciphertext };
}

/** `POST /keys/:keyId/sign` (kms-schemas.ts signBody). */
export function fastSignBody(body: unknown) {
  const sent = fields(body, ['signingAlgorithm', 'isDigest', 'data']);
  if (!sent) return undefined;
  const { signingAlgorithm, isDigest = false } = sent;
  if (typeof signingAlgorithm !== 'string' || !SIGNING.has(signingAlgorithm) || typeof isDigest !== 'boolean')
    return undefined;
  const data = base64(sent.data, MAX_KMS_DATA_BYTES);
  return data && { signingAlgorithm: signingAlgorithm as SigningAlgorithm, isDigest, data };
}

/** `POST /keys/:keyId/verify` (kms-schemas.ts verifyBody). */
export function fastVerifyBody(body: unknown) {
  const sent = fields(body, ['signingAlgorithm', 'isDigest', 'data', 'signature']);
  const signed =
    sent &&
    fastSignBody({ signingAlgorithm: sent.signingAlgorithm, isDigest: sent.isDigest, data: sent.data });
  const signature = base64(sent?.signature, MAX_KMS_SIGNATURE_BYTES);
  return signed && signature && { ...signed, signature };
}
