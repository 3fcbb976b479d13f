/**
 * `@hanzo/kms-server`: the Hanzo KMS API (Infisical-compatible) over Express, with
 * envelope encryption at rest, a hash-chained audit log, and an embedded SQLite store or
 * PostgreSQL shared by several replicas.
 * @packageDocumentation
 */
export { type AppDeps, createApp, createLogger, REDACTED_LOG_PATHS } from './app.js';
export {
  type AuditCheckpoint,
  type AuditVerification,
  auditChainKey,
  formatCheckpoint,
  parseCheckpoint,
  verifyAuditChain,
  verifyStoredAuditLog,
} from './audit/audit-log.js';
export type { RateLimitConfig, ServerSettings, ServerSettingsInput } from './config.js';
export {
  type KeyManager,
  LocalKeyManager,
  parseRootKey,
  RootKeyError,
  type WrappedKey,
} from './crypto/key-manager.js';
export {
  type OidcProvider,
  type OidcProviderOptions,
  type SvidOptions,
  startOidcProvider,
} from './dev/oidc-provider.js';
export { type DevInstance, provisionDemo } from './dev/provision-demo.js';
export {
  type ApiAnswer,
  ApiCallError,
  ApiClient,
  type ApiExchange,
  type ApiRequestOptions,
} from './provisioning/api-client.js';
export { type RunningServer, type StartServerOptions, startServer } from './server.js';
export { AuditChainError } from './store/audit-chain.js';
export { StoreConflictError, StoreInputError, StoreUnavailableError } from './store/contract.js';
export type { AuditChainKey, AuditHead } from './store/records.js';
export type { PostgresOptions } from './store/sql/postgres-driver.js';
export {
  createPostgresStore,
  createSqliteStore,
  type OpenedStore,
  openStore,
  type Store,
  type StoreLocation,
} from './store/store.js';
