/**
 * `@hanzo/kms-node`: boot-load Hanzo KMS secrets in Node. Importing this entry does nothing by itself;
 * the side effect lives in `@hanzo/kms-node/register`.
 *
 * @packageDocumentation
 */
export {
  type BootFailureReason,
  type BootTarget,
  exitCodes,
  KmsBootError,
  KmsNodeConfigError,
  toBootError,
} from './boot-error.js';
export { type BootOptions, type BootOutcome, type BootSkipReason, bootFromEnvironment } from './boot.js';
export {
  clientAuth,
  clientAuthOf,
  type ConfigSource,
  type CredentialFileReader,
  DEFAULT_BOOT_TIMEOUT,
  DEFAULT_CREDENTIALS_DIR,
  type EnvMergePolicy,
  findOptionProblem,
  type KmsAuthMethod,
  type KmsNodeOptions,
  kmsNodeOptionsSchema,
  type OptionProblem,
  parseBooleanVariable,
  parseDuration,
  projectLabel,
  type ResolvedKmsConfig,
  resolveConfig,
  resolveConfigFromEnv,
} from './config.js';
export {
  type DefineSecretsOptions,
  defineSecrets,
  loadConfig,
  type StandardSchemaV1,
  validateSecrets,
} from './define-secrets.js';
export { type EnvMergeReport, mergeIntoEnv } from './env-merge.js';
export {
  createClient,
  fetchSecrets,
  listValues,
  type LoadSecretsOptions,
  type LoadSecretsReport,
  loadSecrets,
  type SecretValues,
  withBootDeadline,
} from './load-secrets.js';
export { nodeHttpFetch } from './node-http-fetch.js';
export { redactedRecord } from './redacted-record.js';
export {
  applyToEnv,
  diffSecrets,
  type SecretsChange,
  type StopWatching,
  type WatchSecretsOptions,
  watchSecrets,
} from './watch.js';
