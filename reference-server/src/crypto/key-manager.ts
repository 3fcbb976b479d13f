import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A data key wrapped by a root key, as stored beside the project it protects. */
export interface WrappedKey {
  /** Which root key wrapped it (the local manager uses the SHA-256 of the root key, hex). */
  keyId: string;
  /** Base64 of iv (12) || tag (16) || ciphertext. */
  wrapped: string;
}

/**
 * Wraps and unwraps data keys. The root key never leaves the manager; a cloud KMS
 * can implement this interface without the server changing.
 */
export interface KeyManager {
  readonly keyId: string;
  wrapDataKey(dataKey: Uint8Array): WrappedKey;
  unwrapDataKey(wrapped: WrappedKey): Buffer;
}

/** Thrown for an unusable root key; the CLI prints its message and exits. */
export class RootKeyError extends Error {
  override name = 'RootKeyError';
}

const WRAP_AAD = Buffer.from('hanzo-kms/data-key/v1');

/** Parses `ROOT_ENCRYPTION_KEY`: base64 of exactly 32 bytes, nothing else. */
export function parseRootKey(value: string | undefined, source = 'ROOT_ENCRYPTION_KEY'): Buffer {
  if (!value || value.trim() === '') {
    throw new RootKeyError(
      `${source} is not set. Generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
    );
  }
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new RootKeyError(`${source} must be base64 of 32 random bytes (it is not valid base64)`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new RootKeyError(`${source} must be base64 of 32 random bytes (it decodes to ${key.length} bytes)`);
  }
  return key;
}

/** Key id of a local root key: SHA-256 of the key bytes, hex. */
export const localKeyId = (rootKey: Uint8Array) => createHash('sha256').update(rootKey).digest('hex');

/** The `local` key manager: AES-256-GCM key wrapping under a root key held in memory. */
export class LocalKeyManager implements KeyManager {
  readonly keyId: string;
  readonly #rootKey: Buffer;

  constructor(rootKey: Uint8Array) {
    if (rootKey.length !== 32) throw new RootKeyError('root key must be 32 bytes');
    this.#rootKey = Buffer.from(rootKey);
    this.keyId = localKeyId(this.#rootKey);
  }

  wrapDataKey(dataKey: Uint8Array): WrappedKey {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#rootKey, iv);
    cipher.setAAD(WRAP_AAD);
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId: this.keyId, wrapped: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  }

  unwrapDataKey({ keyId, wrapped }: WrappedKey): Buffer {
    if (keyId !== this.keyId) {
      throw new RootKeyError(
        `data key was wrapped by root key ${keyId.slice(0, 12)}…, not the configured one`,
      );
    }
    const raw = Buffer.from(wrapped, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#rootKey, raw.subarray(0, 12));
    decipher.setAAD(WRAP_AAD);
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }

  /** Keeps the root key out of logs and inspection. */
  toJSON() {
    return { type: 'local', keyId: this.keyId };
  }
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `LocalKeyManager { keyId: '${this.keyId}' }`;
  }
}
