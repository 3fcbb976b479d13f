/**
 * App connection credentials at rest: one AES-256-GCM ciphertext under a data key of the
 * connection's own, wrapped by the root key (the envelope secrets use, crypto/value-cipher.ts).
 * A connection belongs to an organization, not a project, so no project data key applies.
 */
import type { KeyManager, WrappedKey } from '../../crypto/key-manager.js';
import { decryptValue, encryptValue, toDataKey } from '../../crypto/value-cipher.js';
import type { AppConnectionRecord } from '../../store/records.js';

/** The associated data binding a ciphertext to its connection. */
const boundTo = (connectionId: string) => `app-connection:${connectionId}`;

/** Seals credentials for the connection `connectionId` under a fresh data key. */
export async function sealCredentials(
  keys: KeyManager,
  connectionId: string,
  credentials: object,
): Promise<{ ciphertext: string; key: WrappedKey }> {
  const { plaintext, wrapped } = await keys.generateDataKey();
  try {
    return {
      ciphertext: encryptValue(toDataKey(plaintext), JSON.stringify(credentials), boundTo(connectionId)),
      key: wrapped,
    };
  } finally {
    plaintext.fill(0);
  }
}

/** Opens a connection's credentials (throws when the root key or the row do not match). */
export async function openCredentials<T>(keys: KeyManager, connection: AppConnectionRecord): Promise<T> {
  const raw = await keys.unwrapDataKey(connection.credentialsKey);
  try {
    return JSON.parse(
      decryptValue(toDataKey(raw), connection.credentialsCiphertext, boundTo(connection.id)),
    ) as T;
  } finally {
    raw.fill(0);
  }
}
