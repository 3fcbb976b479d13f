/**
 * The key manager: project data keys generated and wrapped by the root-key backend, unwrapped on
 * demand. Never writes a raw key anywhere.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A data key wrapped by a root key, as stored beside the project it protects. */
export interface WrappedKey {
  /** Which root key wrapped it (the local manager uses the SHA-256 of the root key, hex). */
  keyId: string;
  /** Base64 of iv (12) || tag (16) || ciphertext. */
  wrapped: string;
}

/** What a key manager tells about itself: safe to log, never key material. */
export interface KeyBackendDescription {
  /** `local`, `kms`, `vault-transit` or `aws-kms`. */
  backend: string;
  /** Id of the root key in use (local: SHA-256 of the key; kms: `kms:<host>/<key id>`; …). */
  keyId: string;
}

/**
 * Wraps and unwraps the data keys (one per project, plus the server's signing secret) with a root
 * key that never leaves the manager. Asynchronous, so the root key can live in another KMS, Vault
 * or AWS KMS (crypto/backends/). The server unwraps each data key once and keeps it in memory
 * (app.ts): one backend call per project per process, not one per row.
 */
export interface KeyManager {
  describe(): KeyBackendDescription;
  /** A fresh 32-byte data key and its wrapped form (Vault and AWS generate it themselves). */
  generateDataKey(): Promise<{ plaintext: Buffer; wrapped: WrappedKey }>;
  /** Wraps an existing data key (root-key rotation re-wraps with this). */
  wrapDataKey(dataKey: Uint8Array): Promise<WrappedKey>;
  /** Unwraps a data key this backend wrapped; throws {@link RootKeyError} for a key wrapped by another root key. */
  unwrapDataKey(wrapped: WrappedKey): Promise<Buffer>;
}

/** Thrown for an unusable root key; the CLI prints its message and exits. */
export class RootKeyError extends Error {
  override name = 'RootKeyError';
}

/**
 * A key backend failed (unreachable, refused, timed out). The message names the backend and the key
 * id, never key material or a credential.
 */
export class KeyBackendError extends Error {
  override name = 'KeyBackendError';
  constructor(
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`key backend ${backend}: ${message}`, options);
  }
}

/** Refuses a data key wrapped by a different root key than the one configured. */
export function assertWrappedBy(wrapped: WrappedKey, expected: KeyBackendDescription): void {
  if (wrapped.keyId !== expected.keyId) {
    throw new RootKeyError(
      `data key was wrapped by root key ${wrapped.keyId.slice(0, 48)}…, not the configured one (${expected.backend} ${expected.keyId.slice(0, 48)}…)`,
    );
  }
}

const WRAP_AAD = Buffer.from('hanzo-kms/data-key/v1');

/** Parses `ROOT_ENCRYPTION_KEY`: base64 of exactly 32 bytes, nothing else. */
export function parseRootKey(value: string | undefined, source = 'ROOT_ENCRYPTION_KEY'): Buffer {
  if (!value || value.trim() === '') {
    throw new RootKeyError(
      `${source} is not set. Make a root key file with: kms-server keygen --out root.key (then --root-key-file root.key); keep a copy, the data cannot be read without it`,
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

/**
 * The `local` key manager: AES-256-GCM key wrapping under a root key held in the process (from
 * `ROOT_ENCRYPTION_KEY`). Right for a laptop or CI; in production a process dump shows the key.
 */
export class LocalKeyManager implements KeyManager {
  readonly keyId: string;
  readonly #rootKey: Buffer;

  constructor(rootKey: Uint8Array) {
    if (rootKey.length !== 32) throw new RootKeyError('root key must be 32 bytes');
    this.#rootKey = Buffer.from(rootKey);
    this.keyId = localKeyId(this.#rootKey);
  }

  describe(): KeyBackendDescription {
    return { backend: 'local', keyId: this.keyId };
  }

  async generateDataKey() {
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: await this.wrapDataKey(plaintext) };
  }

  async wrapDataKey(dataKey: Uint8Array): Promise<WrappedKey> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#rootKey, iv);
    cipher.setAAD(WRAP_AAD);
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId: this.keyId, wrapped: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  }

  async unwrapDataKey(wrapped: WrappedKey): Promise<Buffer> {
    assertWrappedBy(wrapped, this.describe());
    const raw = Buffer.from(wrapped.wrapped, 'base64');
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
