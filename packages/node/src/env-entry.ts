/**
 * `@hanzo/kms-node/env`: `@hanzo/kms-node` for runtimes without a filesystem or `node:` modules (the
 * Next.js edge runtime, workers): the configuration resolution from options and `KMS_*` variables, and a
 * {@link createSecretsSession} that talks through the global `fetch`. Credential files cannot be read
 * here; a JWT must come as a value (`KMS_OIDC_JWT`). Same classes as the main entry (one shared build).
 *
 * @packageDocumentation
 */
import type { StandardSchemaV1 } from './standard-schema.js';
import { clientAuthOf, resolveCheckedOptions } from './env.js';
import { SecretsSession, type SecretsSessionOptions, type SessionPlatform } from './session.js';

export { KmsBootError, KmsNodeConfigError } from './boot-error.js';
export type { SecretsChange } from './changes.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export {
  type ConfigSource,
  type CredentialFileReader,
  DEFAULT_BOOT_TIMEOUT,
  DEFAULT_CREDENTIALS_DIR,
  type EnvMergePolicy,
  type KmsAuthMethod,
  type KmsNodeOptions,
  locationLabel,
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
} from './session.js';

/**
 * The `KMS_*` (and kms-go `INFISICAL_*`) variables this package reads, each read from `process.env` by
 * its literal name: bundlers for edge runtimes (Next.js, Vercel, Cloudflare) put into a bundle only the
 * variables its code names this way, which is why the names are spelled out here rather than taken
 * from the settings table (`settings.ts`); test/settings.test.ts keeps the two equal. Empty where there
 * is no `process`.
 */
export function kmsVariables(): Record<string, string | undefined> {
  if (typeof process === 'undefined' || !process.env) return {};
  return {
    KMS_SITE_URL: process.env.KMS_SITE_URL,
    KMS_AUTH_METHOD: process.env.KMS_AUTH_METHOD,
    KMS_CLIENT_ID: process.env.KMS_CLIENT_ID,
    KMS_CLIENT_SECRET: process.env.KMS_CLIENT_SECRET,
    INFISICAL_UNIVERSAL_AUTH_CLIENT_ID: process.env.INFISICAL_UNIVERSAL_AUTH_CLIENT_ID,
    INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET: process.env.INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET,
    KMS_IDENTITY_ID: process.env.KMS_IDENTITY_ID,
    INFISICAL_OIDC_AUTH_IDENTITY_ID: process.env.INFISICAL_OIDC_AUTH_IDENTITY_ID,
    INFISICAL_JWT_AUTH_IDENTITY_ID: process.env.INFISICAL_JWT_AUTH_IDENTITY_ID,
    KMS_OIDC_JWT: process.env.KMS_OIDC_JWT,
    KMS_JWT: process.env.KMS_JWT,
    KMS_PROJECT_ID: process.env.KMS_PROJECT_ID,
    KMS_PROJECT_SLUG: process.env.KMS_PROJECT_SLUG,
    KMS_ENVIRONMENT: process.env.KMS_ENVIRONMENT,
    KMS_SECRET_PATH: process.env.KMS_SECRET_PATH,
    KMS_RECURSIVE: process.env.KMS_RECURSIVE,
    KMS_INCLUDE_IMPORTS: process.env.KMS_INCLUDE_IMPORTS,
    KMS_EXPAND_SECRET_REFERENCES: process.env.KMS_EXPAND_SECRET_REFERENCES,
    KMS_BOOT_TIMEOUT: process.env.KMS_BOOT_TIMEOUT,
  };
}

/** No filesystem: options and variables only (read by name), the JWT as a value, the global `fetch`. */
const neutralPlatform: SessionPlatform = {
  resolveConfig: (options) => resolveCheckedOptions({ ...options, env: options.env ?? kmsVariables() }),
  auth: (config) => clientAuthOf(config),
};

/**
 * A {@link SecretsSession} without a filesystem: configuration from `options`, then the `KMS_*`
 * variables of `options.env` (default {@link kmsVariables}). Throws a `config` `KmsBootError` at once
 * for bad options or configuration.
 */
export function createSecretsSession<S extends StandardSchemaV1 | undefined = undefined>(
  options: SecretsSessionOptions<S> = {},
): SecretsSession<S> {
  return new SecretsSession(options, neutralPlatform);
}
