import { decryptValue, encryptValue, type DataKey } from '../../crypto/value-cipher.js';
import { ApiError } from '../../http/errors.js';

/** The row a secret's ciphertexts belong to; changing any part needs a re-encryption. */
export interface SecretRowBinding {
  projectId: string;
  envId: string;
  folderId: string;
  key: string;
  version: number;
}

/** A metadata entry as the API speaks it. */
export interface SecretMetadataItem {
  key: string;
  value: string;
  isEncrypted: boolean;
}

/** The plaintext fields kept encrypted at rest. */
export interface SecretPlainFields {
  value: string;
  comment: string;
  metadata: SecretMetadataItem[];
}

export interface SecretCipherFields {
  valueCiphertext: string;
  commentCiphertext: string;
  metadataCiphertext: string;
}

/**
 * Associated data of a value: `${projectId}:${environmentId}:${folderId}:${secretKey}:${version}`.
 * Comment and metadata use the same binding with a suffix, so fields cannot be swapped either.
 */
export const valueAssociatedData = (b: SecretRowBinding) =>
  `${b.projectId}:${b.envId}:${b.folderId}:${b.key}:${b.version}`;

/** Encrypts value, comment and metadata for one row. */
export function sealSecret(
  dataKey: DataKey,
  binding: SecretRowBinding,
  plain: SecretPlainFields,
): SecretCipherFields {
  const ad = valueAssociatedData(binding);
  return {
    valueCiphertext: encryptValue(dataKey, plain.value, ad),
    commentCiphertext: encryptValue(dataKey, plain.comment, `${ad}:comment`),
    metadataCiphertext: encryptValue(dataKey, JSON.stringify(plain.metadata), `${ad}:metadata`),
  };
}

/**
 * Raised when stored ciphertext does not decrypt for its row: the database was altered
 * outside the API (a ciphertext copied between rows, a corrupted file, a wrong root key).
 * It is a server-side integrity failure, never answered with wrong plaintext.
 */
export const secretIntegrityError = (key: string) =>
  new ApiError(
    500,
    'SecretIntegrityError',
    `Stored data of secret '${key}' failed its integrity check: the ciphertext does not belong to this secret. ` +
      'The database was modified outside the API or is corrupted; restore the secret from a backup or write it again.',
  );

/** Decrypts one row's fields; a failed authentication tag becomes {@link secretIntegrityError}. */
export function openSecret(
  dataKey: DataKey,
  binding: SecretRowBinding,
  sealed: SecretCipherFields,
): SecretPlainFields {
  const ad = valueAssociatedData(binding);
  try {
    return {
      value: decryptValue(dataKey, sealed.valueCiphertext, ad),
      comment: decryptValue(dataKey, sealed.commentCiphertext, `${ad}:comment`),
      metadata: JSON.parse(
        decryptValue(dataKey, sealed.metadataCiphertext, `${ad}:metadata`),
      ) as SecretMetadataItem[],
    };
  } catch {
    throw secretIntegrityError(binding.key);
  }
}
