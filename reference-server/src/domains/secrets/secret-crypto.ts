/**
 * Sealing and opening a secret's fields, bound to its row (project, environment, folder, key).
 * Pure crypto over a data key: no storage, no logging.
 */
import { type DataKey, decryptValue, encryptValue } from '../../crypto/value-cipher.js';
import { ApiError } from '../../http/errors.js';
import type { LegacySecretRow, ResealedFields } from '../../store/sql/migrations.js';

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
  /** Sealed with the value since rows of this form carry a 4th field; older rows have it null. */
  reminderNote: string | null;
}

export interface SecretCipherFields {
  valueCiphertext: string;
  commentCiphertext: string;
  metadataCiphertext: string;
}

/**
 * Prefix of the current stored form: one AES-GCM ciphertext of `[value, comment, metadata,
 * reminderNote]` in the value column (comment, metadata and reminder-note columns are empty;
 * rows sealed before the reminder note joined have three fields). One decryption per row instead of three.
 * Legacy rows (three ciphertexts, plain base64 without this prefix) still open; migration 3
 * (`resealLegacySecretRows`) converts them at server start.
 */
export const SEALED_PREFIX = 's2:';

/**
 * Associated data of a value: `${projectId}:${environmentId}:${folderId}:${secretKey}:${version}`.
 * Comment and metadata use the same binding with a suffix, so fields cannot be swapped either.
 */
export const valueAssociatedData = (b: SecretRowBinding) =>
  `${b.projectId}:${b.envId}:${b.folderId}:${b.key}:${b.version}`;

/** Associated data of the sealed form (distinct from every legacy field's). */
const sealedAssociatedData = (b: SecretRowBinding) => `${valueAssociatedData(b)}:sealed`;

/** Encrypts value, comment and metadata of one row into one ciphertext bound to the row. */
export function sealSecret(
  dataKey: DataKey,
  binding: SecretRowBinding,
  plain: SecretPlainFields,
): SecretCipherFields {
  const body = JSON.stringify([plain.value, plain.comment, plain.metadata, plain.reminderNote]);
  return {
    valueCiphertext: SEALED_PREFIX + encryptValue(dataKey, body, sealedAssociatedData(binding)),
    commentCiphertext: '',
    metadataCiphertext: '',
  };
}

/** The legacy stored form: three ciphertexts (kept for rows written before migration 3). */
export function sealSecretLegacy(
  dataKey: DataKey,
  binding: SecretRowBinding,
  plain: Omit<SecretPlainFields, 'reminderNote'>,
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
  if (!sealed.valueCiphertext.startsWith(SEALED_PREFIX)) return openSecretLegacy(dataKey, binding, sealed);
  let fields: unknown;
  try {
    fields = JSON.parse(
      decryptValue(
        dataKey,
        sealed.valueCiphertext.slice(SEALED_PREFIX.length),
        sealedAssociatedData(binding),
      ),
    );
  } catch {
    throw secretIntegrityError(binding.key);
  }
  if (
    !Array.isArray(fields) ||
    (fields.length !== 3 && fields.length !== 4) ||
    typeof fields[0] !== 'string' ||
    typeof fields[1] !== 'string' ||
    !Array.isArray(fields[2]) ||
    (fields[3] !== undefined && fields[3] !== null && typeof fields[3] !== 'string')
  ) {
    throw secretIntegrityError(binding.key);
  }
  return {
    value: fields[0],
    comment: fields[1],
    metadata: fields[2] as SecretMetadataItem[],
    reminderNote: (fields[3] as string | null | undefined) ?? null,
  };
}

/** Opens the legacy three-ciphertext form. */
export function openSecretLegacy(
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
      reminderNote: null,
    };
  } catch {
    throw secretIntegrityError(binding.key);
  }
}

/**
 * The row conversion of migration 3 (see `Store.resealLegacySecrets`): opens a legacy row and
 * seals it again in the current form under the same binding, with the project data keys unwrapped
 * beforehand (`dataKeys` by project id; the conversion runs inside one synchronous transaction).
 * A row that fails its integrity check is left alone (undefined).
 */
export function legacyResealer(
  dataKeys: ReadonlyMap<string, DataKey>,
): (row: LegacySecretRow) => ResealedFields | undefined {
  return (row) => {
    const binding: SecretRowBinding = {
      projectId: row.projectId,
      envId: row.envId,
      folderId: row.folderId,
      key: row.key,
      version: row.version,
    };
    const dataKey = dataKeys.get(row.projectId);
    // A project whose key did not unwrap: its rows stay as they are, reads report them as before.
    if (!dataKey) return undefined;
    try {
      const plain = row.valueCiphertext.startsWith(SEALED_PREFIX)
        ? openSecret(dataKey, binding, row)
        : openSecretLegacy(dataKey, binding, row);
      return sealSecret(dataKey, binding, { ...plain, reminderNote: row.reminderNote ?? plain.reminderNote });
    } catch {
      // A tampered row: left as it is, reads report it as before.
      return undefined;
    }
  };
}
