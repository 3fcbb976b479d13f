/**
 * `@hanzo/kms-node/env`: `@hanzo/kms-node` for runtimes without a filesystem or `node:` modules (the
 * Next.js edge runtime, workers): the configuration resolution from options and `KMS_*` variables, and a
 * {@link createSecretsSession} that talks through the global `fetch`. Credential files cannot be read
 * here; a JWT must come as a value (`KMS_OIDC_JWT`). Same classes as the main entry (one shared build).
 *
 * @packageDocumentation
 */
import type { StandardSchemaV1 } from './define-secrets.js';
import { clientAuthOf, resolveConfigFromEnv } from './env.js';
import { SecretsSession, type SecretsSessionOptions, type SessionPlatform } from './session.js';

export { KmsBootError, KmsNodeConfigError } from './boot-error.js';
export type { SecretsChange } from './changes.js';
export type { StandardSchemaV1 } from './define-secrets.js';
export {
  type ConfigSource,
  type CredentialFileReader,
  clientAuthOf,
  configFingerprint,
  DEFAULT_BOOT_TIMEOUT,
  DEFAULT_CREDENTIALS_DIR,
  type EnvMergePolicy,
  findOptionProblem,
  type KmsAuthMethod,
  type KmsNodeOptions,
  kmsNodeOptionRules,
  locationLabel,
  type OptionProblem,
  type OptionRule,
  parseBooleanVariable,
  parseDuration,
  projectLabel,
  type ResolvedKmsConfig,
  resolveConfigFromEnv,
} from './env.js';
export {
  SecretsSession,
  type SecretsSessionOptions,
  type SecretsSessionStatus,
  type SessionLoad,
  type SessionPlatform,
  type SessionValues,
  sessionOptionRules,
} from './session.js';

/** No filesystem: options and variables only, the JWT as a value, the global `fetch`. */
const neutralPlatform: SessionPlatform = {
  resolveConfig: (options) => resolveConfigFromEnv(options),
  auth: (config) => clientAuthOf(config),
};

/**
 * A {@link SecretsSession} without a filesystem: configuration from `options`, then the `KMS_*`
 * variables of `options.env` (default `process.env` where there is one). Throws a `config`
 * `KmsBootError` at once for bad options or configuration.
 */
export function createSecretsSession<S extends StandardSchemaV1 | undefined = undefined>(
  options: SecretsSessionOptions<S> = {},
): SecretsSession<S> {
  return new SecretsSession(options, neutralPlatform);
}
