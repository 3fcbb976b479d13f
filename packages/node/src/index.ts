/**
 * `@hanzo/kms-node`: Hanzo KMS secrets in Node. Importing this entry does nothing by itself; the boot's
 * side effect lives in `@hanzo/kms-node/register`.
 *
 * - {@link createSecretsSession}: a loaded set of secrets that stays fresh (the adapters are built on it);
 * - {@link loadSecrets} / {@link fetchSecrets}: one bounded read, into `process.env` or returned;
 * - {@link watchSecrets}: live refresh with change events; {@link defineSecrets}: a typed, validated config;
 * - {@link resolveConfig}: what the `KMS_*` variables and credential files say, checked.
 *
 * @packageDocumentation
 */
// Everything runtime-neutral (the session, configuration, errors); the Node additions below, where
// `createSecretsSession` (credential files, node:http) takes the place of the runtime-neutral one.
export * from './env-entry.js';
export { type EnvMergeReport, KmsEnvConflictError, mergeIntoEnv } from '@hanzo/kms';
export { type BootFailureReason, type BootTarget, exitCodes } from './boot-error.js';
export { type BootOptions, type BootOutcome, type BootSkipReason, bootFromEnvironment } from './boot.js';
export { applyToEnv, diffSecrets, type SecretValues } from './changes.js';
export { clientAuth, resolveConfig } from './config.js';
export { type DefineSecretsOptions, defineSecrets, loadConfig } from './define-secrets.js';
export {
  createSecretsSession,
  fetchSecrets,
  type LoadSecretsOptions,
  type LoadSecretsReport,
  loadSecrets,
} from './load-secrets.js';
export { nodeHttpFetch } from './node-http-fetch.js';
export { redactedRecord, sealedRecord } from './redacted-record.js';
export { validateSecrets } from './validate-secrets.js';
export { type StopWatching, type WatchSecretsOptions, watchSecrets } from './watch.js';
