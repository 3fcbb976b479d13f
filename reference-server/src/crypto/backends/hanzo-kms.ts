/**
 * The `kms` backend: the root key is an `aes-256-gcm` KMS key in another Hanzo KMS, used through its
 * `/api/v1/kms/keys/:id/encrypt|decrypt` with a Universal Auth identity. `@hanzo/kms` owns the token
 * lifecycle (renewal, re-login) and the retries; the root key never leaves the other KMS.
 */
import { randomBytes } from 'node:crypto';
import { KmsApiError, KmsClient, KmsConnectionError } from '@hanzo/kms';
import {
  assertWrappedBy,
  KeyBackendError,
  type KeyBackendDescription,
  type KeyManager,
  type WrappedKey,
} from '../key-manager.js';

/** Settings of the `kms` backend (`KMS_ROOT_KMS_*`). */
export interface HanzoKmsBackendSettings {
  /** Site URL of the other KMS. */
  url: string;
  /** Id of its `aes-256-gcm` key. */
  keyId: string;
  clientId: string;
  clientSecret: string;
  /** Budget of one wrap or unwrap, retries included. @default 15000 */
  deadlineMs?: number;
}

export class HanzoKmsKeyManager implements KeyManager {
  readonly #client: KmsClient;
  readonly #keyId: string;
  readonly #description: KeyBackendDescription;

  constructor(settings: HanzoKmsBackendSettings) {
    this.#keyId = settings.keyId;
    this.#description = { backend: 'kms', keyId: `kms:${new URL(settings.url).host}/${settings.keyId}` };
    this.#client = new KmsClient({
      siteUrl: settings.url,
      auth: { universalAuth: { clientId: settings.clientId, clientSecret: settings.clientSecret } },
      timeout: 5_000,
      deadline: settings.deadlineMs ?? 15_000,
      retry: { maxRetries: 3, initialDelay: 200, maxDelay: 2_000 },
      userAgent: 'hanzo-kms-server/key-backend',
    });
  }

  describe(): KeyBackendDescription {
    return this.#description;
  }

  async generateDataKey() {
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: await this.wrapDataKey(plaintext) };
  }

  async wrapDataKey(dataKey: Uint8Array): Promise<WrappedKey> {
    const ciphertext = await this.#call('wrap', () =>
      this.#client.kms.encrypt({ keyId: this.#keyId, plaintext: dataKey }),
    );
    return { keyId: this.#description.keyId, wrapped: ciphertext };
  }

  async unwrapDataKey(wrapped: WrappedKey): Promise<Buffer> {
    assertWrappedBy(wrapped, this.#description);
    const plaintext = await this.#call('unwrap', () =>
      this.#client.kms.decrypt({ keyId: this.#keyId, ciphertext: wrapped.wrapped }),
    );
    const key = Buffer.from(plaintext);
    plaintext.fill(0);
    return key;
  }

  /** The SDK's errors (already free of credentials and data) become one backend error naming the key. */
  async #call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const reason =
        error instanceof KmsApiError
          ? `${error.status} ${error.serverMessage}`
          : error instanceof KmsConnectionError
            ? `unreachable (${error.message})`
            : error instanceof Error
              ? error.message
              : String(error);
      throw new KeyBackendError('kms', `${what} with ${this.#description.keyId} failed: ${reason}`, {
        cause: error,
      });
    }
  }

  /** Stops the SDK's renewal timers. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
