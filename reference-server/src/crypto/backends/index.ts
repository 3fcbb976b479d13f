/**
 * Chooses the root-key backend from the environment (`KMS_KEY_BACKEND`) and builds its key manager.
 * The same variables with the prefix `NEW_` describe the target of `kms-server rotate-root-key`
 * (`NEW_KMS_KEY_BACKEND`, `NEW_ROOT_ENCRYPTION_KEY`, `NEW_KMS_VAULT_ADDR`, …). reference-server/README.md
 * has a section per backend.
 */
import { readFileSync } from 'node:fs';
import { type KeyManager, LocalKeyManager, parseRootKey, RootKeyError } from '../key-manager.js';
import { AwsKmsKeyManager } from './aws-kms.js';
import { HanzoKmsKeyManager } from './hanzo-kms.js';
import { VaultTransitKeyManager } from './vault-transit.js';

export const KEY_BACKENDS = ['local', 'kms', 'vault-transit', 'aws-kms'] as const;
export type KeyBackendName = (typeof KEY_BACKENDS)[number];

export { AwsKmsKeyManager, type AwsKmsSettings } from './aws-kms.js';
export { HanzoKmsKeyManager, type HanzoKmsBackendSettings } from './hanzo-kms.js';
export { VaultTransitKeyManager, type VaultTransitSettings } from './vault-transit.js';

type Env = Record<string, string | undefined>;

/** A variable, or its `_FILE` twin read from disk (trimmed), so secrets can come from mounted files. */
function valueOrFile(env: Env, name: string): string | undefined {
  const direct = env[name]?.trim();
  if (direct) return direct;
  const file = env[`${name}_FILE`]?.trim();
  if (!file) return undefined;
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (!value) throw new RootKeyError(`${name}_FILE (${file}) is empty`);
    return value;
  } catch (error) {
    if (error instanceof RootKeyError) throw error;
    throw new RootKeyError(
      `${name}_FILE (${file}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

function required(env: Env, name: string, backend: string, withFile = false): string {
  const value = withFile ? valueOrFile(env, name) : env[name]?.trim();
  if (!value)
    throw new RootKeyError(
      `${name}${withFile ? ` (or ${name}_FILE)` : ''} is not set; the ${backend} key backend needs it`,
    );
  return value;
}

/**
 * The key manager the environment asks for. `prefix` `NEW_` reads the rotation target. A wrong
 * setting is a {@link RootKeyError} naming the variable; no network call is made here except
 * AWS's `DescribeKey`, which resolves an alias to the key ARN that is stored with each data key.
 */
export async function keyManagerFromEnv(env: Env, prefix: '' | 'NEW_' = ''): Promise<KeyManager> {
  const name = (variable: string) => `${prefix}${variable}`;
  const backend = (env[name('KMS_KEY_BACKEND')]?.trim() || 'local') as KeyBackendName;
  switch (backend) {
    case 'local':
      return new LocalKeyManager(parseRootKey(env[name('ROOT_ENCRYPTION_KEY')], name('ROOT_ENCRYPTION_KEY')));
    case 'kms':
      return new HanzoKmsKeyManager({
        url: required(env, name('KMS_ROOT_KMS_URL'), 'kms'),
        keyId: required(env, name('KMS_ROOT_KMS_KEY_ID'), 'kms'),
        clientId: required(env, name('KMS_ROOT_KMS_CLIENT_ID'), 'kms', true),
        clientSecret: required(env, name('KMS_ROOT_KMS_CLIENT_SECRET'), 'kms', true),
      });
    case 'vault-transit': {
      const caFile = env[name('KMS_VAULT_CACERT')]?.trim();
      return new VaultTransitKeyManager({
        address: required(env, name('KMS_VAULT_ADDR'), 'vault-transit'),
        token: required(env, name('KMS_VAULT_TOKEN'), 'vault-transit', true),
        key: required(env, name('KMS_VAULT_KEY'), 'vault-transit'),
        mount: env[name('KMS_VAULT_MOUNT')]?.trim() || 'transit',
        ...(caFile ? { caCert: readFileSync(caFile, 'utf8') } : {}),
      });
    }
    case 'aws-kms': {
      const endpoint = env[name('KMS_AWS_ENDPOINT')]?.trim();
      const manager = new AwsKmsKeyManager({
        region: required(env, name('KMS_AWS_REGION'), 'aws-kms'),
        keyId: required(env, name('KMS_AWS_KEY_ID'), 'aws-kms'),
        ...(endpoint ? { endpoint } : {}),
      });
      await manager.resolve();
      return manager;
    }
    default:
      throw new RootKeyError(
        `${name('KMS_KEY_BACKEND')} must be one of ${KEY_BACKENDS.join(', ')}, got "${backend}"`,
      );
  }
}
