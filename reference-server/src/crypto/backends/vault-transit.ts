/**
 * The `vault-transit` backend: HashiCorp Vault's transit secrets engine over its HTTP API. New data
 * keys come from `POST /v1/<mount>/datakey/plaintext/<key>`, are unwrapped with
 * `POST /v1/<mount>/decrypt/<key>`, and re-wrapped (rotation to Vault) with `POST /v1/<mount>/encrypt/<key>`.
 * Ciphertexts carry Vault's key version (`vault:v2:…`), so they keep decrypting after
 * `vault write -f transit/keys/<key>/rotate`.
 */
import http from 'node:http';
import https from 'node:https';
import {
  assertWrappedBy,
  KeyBackendError,
  type KeyBackendDescription,
  type KeyManager,
  type WrappedKey,
} from '../key-manager.js';
import { TransientBackendError, withBackendRetries } from './retry.js';

/** Settings of the `vault-transit` backend (`KMS_VAULT_*`). */
export interface VaultTransitSettings {
  /** Vault address, e.g. `https://vault.internal:8200`. */
  address: string;
  /** A token with `update` on the key's `datakey`, `encrypt` and `decrypt` paths. */
  token: string;
  /** Transit key name. */
  key: string;
  /** Mount of the transit engine. @default 'transit' */
  mount?: string;
  /** PEM CA bundle for Vault's TLS certificate. */
  caCert?: string;
  /** Timeout of one request. @default 5000 */
  timeoutMs?: number;
}

export class VaultTransitKeyManager implements KeyManager {
  readonly #settings: Required<Omit<VaultTransitSettings, 'caCert'>> & { caCert: string | undefined };
  readonly #description: KeyBackendDescription;

  constructor(settings: VaultTransitSettings) {
    this.#settings = { mount: 'transit', timeoutMs: 5_000, ...settings, caCert: settings.caCert };
    this.#description = {
      backend: 'vault-transit',
      keyId: `vault-transit:${this.#settings.mount}/${settings.key}`,
    };
  }

  describe(): KeyBackendDescription {
    return this.#description;
  }

  async generateDataKey() {
    const data = await this.#post('generate a data key', `datakey/plaintext/${this.#settings.key}`, {
      bits: 256,
    });
    const plaintext = Buffer.from(String(data.plaintext), 'base64');
    if (plaintext.length !== 32 || typeof data.ciphertext !== 'string')
      throw new KeyBackendError(
        'vault-transit',
        'the datakey answer has no 32-byte plaintext and ciphertext',
      );
    return { plaintext, wrapped: { keyId: this.#description.keyId, wrapped: data.ciphertext } };
  }

  async wrapDataKey(dataKey: Uint8Array): Promise<WrappedKey> {
    const data = await this.#post('wrap', `encrypt/${this.#settings.key}`, {
      plaintext: Buffer.from(dataKey).toString('base64'),
    });
    if (typeof data.ciphertext !== 'string')
      throw new KeyBackendError('vault-transit', 'the encrypt answer has no ciphertext');
    return { keyId: this.#description.keyId, wrapped: data.ciphertext };
  }

  async unwrapDataKey(wrapped: WrappedKey): Promise<Buffer> {
    assertWrappedBy(wrapped, this.#description);
    const data = await this.#post('unwrap', `decrypt/${this.#settings.key}`, { ciphertext: wrapped.wrapped });
    return Buffer.from(String(data.plaintext), 'base64');
  }

  /** POSTs to the transit engine; Vault's `errors` list becomes the message (it never holds key material). */
  #post(what: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const { address, token, mount, caCert, timeoutMs } = this.#settings;
    const url = new URL(`/v1/${mount}/${path}`, address);
    return withBackendRetries(
      'vault-transit',
      `${what} with ${this.#description.keyId}`,
      () =>
        new Promise((resolve, reject) => {
          const client = url.protocol === 'https:' ? https : http;
          const request = client.request(
            url,
            {
              method: 'POST',
              headers: { 'X-Vault-Token': token, 'content-type': 'application/json' },
              ...(url.protocol === 'https:' && caCert ? { ca: caCert } : {}),
              timeout: timeoutMs,
            },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (c: Buffer) => chunks.push(c));
              response.on('end', () => {
                const status = response.statusCode ?? 0;
                let parsed: { data?: Record<string, unknown>; errors?: unknown[] } = {};
                try {
                  parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
                } catch {}
                if (status >= 200 && status < 300 && parsed.data) return resolve(parsed.data);
                const reason = `HTTP ${status}${Array.isArray(parsed.errors) ? `: ${parsed.errors.map(String).join('; ')}` : ''}`;
                reject(
                  status === 429 || status >= 500 ? new TransientBackendError(reason) : new Error(reason),
                );
              });
            },
          );
          request.on('timeout', () =>
            request.destroy(new TransientBackendError(`no answer within ${timeoutMs} ms`)),
          );
          request.on('error', (error) =>
            reject(
              error instanceof TransientBackendError
                ? error
                : new TransientBackendError(`${url.host}: ${error.message}`),
            ),
          );
          request.end(JSON.stringify(body));
        }),
    );
  }
}
