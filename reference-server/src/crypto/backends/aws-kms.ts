/**
 * The `aws-kms` backend: AWS KMS through `@aws-sdk/client-kms` with the standard credential chain
 * (environment, shared config, instance or task role). New data keys come from `GenerateDataKey`
 * (AES_256), unwrapping is `Decrypt`, re-wrapping (rotation to AWS) is `Encrypt`. The stored key id is
 * the key's ARN as AWS resolves it, even when an alias is configured. The SDK is loaded only when
 * this backend is chosen.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import {
  assertWrappedBy,
  KeyBackendError,
  type KeyBackendDescription,
  type KeyManager,
  type WrappedKey,
} from '../key-manager.js';
import { TransientBackendError, withBackendRetries } from './retry.js';

/** Settings of the `aws-kms` backend (`KMS_AWS_*`). */
export interface AwsKmsSettings {
  region: string;
  /** Key id, ARN, alias name (`alias/kms-root`) or alias ARN. */
  keyId: string;
  /** Endpoint override (a VPC endpoint, or a local emulation). */
  endpoint?: string;
  /** A client to use instead of one built from the settings (tests pass a mocked one). */
  client?: KMSClient;
}

/** AWS errors that are worth another try. */
const TRANSIENT = new Set([
  'ThrottlingException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'TimeoutError',
]);

export class AwsKmsKeyManager implements KeyManager {
  readonly #settings: AwsKmsSettings;
  #client: Promise<{ client: KMSClient; sdk: typeof import('@aws-sdk/client-kms') }> | undefined;
  /** The resolved key ARN, known after {@link AwsKmsKeyManager.resolve} (the boot check calls it). */
  #description: KeyBackendDescription;

  constructor(settings: AwsKmsSettings) {
    this.#settings = settings;
    this.#description = { backend: 'aws-kms', keyId: settings.keyId };
  }

  describe(): KeyBackendDescription {
    return this.#description;
  }

  /** Asks AWS for the key's ARN (`DescribeKey`), so an alias is stored and compared as the key it names. */
  async resolve(): Promise<KeyBackendDescription> {
    const { client, sdk } = await this.#sdk();
    const answer = await this.#call('resolve the key', () =>
      client.send(new sdk.DescribeKeyCommand({ KeyId: this.#settings.keyId })),
    );
    const arn = answer.KeyMetadata?.Arn;
    if (!arn) throw new KeyBackendError('aws-kms', `DescribeKey of ${this.#settings.keyId} returned no ARN`);
    this.#description = { backend: 'aws-kms', keyId: arn };
    return this.#description;
  }

  async generateDataKey() {
    const { client, sdk } = await this.#sdk();
    const answer = await this.#call('generate a data key', () =>
      client.send(new sdk.GenerateDataKeyCommand({ KeyId: this.#settings.keyId, KeySpec: 'AES_256' })),
    );
    if (!answer.Plaintext || !answer.CiphertextBlob || !answer.KeyId)
      throw new KeyBackendError('aws-kms', 'GenerateDataKey returned no plaintext, ciphertext or key id');
    return {
      plaintext: Buffer.from(answer.Plaintext),
      wrapped: { keyId: answer.KeyId, wrapped: Buffer.from(answer.CiphertextBlob).toString('base64') },
    };
  }

  async wrapDataKey(dataKey: Uint8Array): Promise<WrappedKey> {
    const { client, sdk } = await this.#sdk();
    const answer = await this.#call('wrap', () =>
      client.send(new sdk.EncryptCommand({ KeyId: this.#settings.keyId, Plaintext: dataKey })),
    );
    if (!answer.CiphertextBlob || !answer.KeyId)
      throw new KeyBackendError('aws-kms', 'Encrypt returned no ciphertext');
    return { keyId: answer.KeyId, wrapped: Buffer.from(answer.CiphertextBlob).toString('base64') };
  }

  async unwrapDataKey(wrapped: WrappedKey): Promise<Buffer> {
    assertWrappedBy(wrapped, this.#description);
    const { client, sdk } = await this.#sdk();
    const answer = await this.#call('unwrap', () =>
      client.send(
        new sdk.DecryptCommand({
          KeyId: wrapped.keyId,
          CiphertextBlob: Buffer.from(wrapped.wrapped, 'base64'),
        }),
      ),
    );
    if (!answer.Plaintext) throw new KeyBackendError('aws-kms', 'Decrypt returned no plaintext');
    return Buffer.from(answer.Plaintext);
  }

  #sdk() {
    this.#client ??= import('@aws-sdk/client-kms').then((sdk) => ({
      sdk,
      client:
        this.#settings.client ??
        new sdk.KMSClient({
          region: this.#settings.region,
          ...(this.#settings.endpoint ? { endpoint: this.#settings.endpoint } : {}),
          maxAttempts: 1, // retries are ours (retry.ts), with one budget for every backend
        }),
    }));
    return this.#client;
  }

  #call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return withBackendRetries('aws-kms', `${what} with ${this.#description.keyId}`, async () => {
      try {
        return await operation();
      } catch (error) {
        const name = (error as { name?: string }).name ?? 'Error';
        const message = `${name}: ${(error as Error).message}`;
        throw TRANSIENT.has(name) || (error as { $retryable?: unknown }).$retryable
          ? new TransientBackendError(message)
          : new Error(message);
      }
    });
  }
}
