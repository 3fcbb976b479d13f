/**
 * `@hanzo/kms`: the typed Hanzo KMS client.
 *
 * @packageDocumentation
 */
export type {
  JwtLoginCredentials,
  JwtSource,
  LoginRequest,
  LoginStrategy,
  UniversalAuthCredentials,
} from './auth/login-strategy.js';
export { jwtAuthStrategy, oidcAuthStrategy, universalAuthStrategy } from './auth/login-strategy.js';
export type { AccessTokenInfo } from './auth/token-manager.js';
export { KmsClient } from './client.js';
export type { KmsAuthOptions, KmsCacheOptions, KmsClientOptions } from './client-options.js';
export { SDK_VERSION } from './client-options.js';
export { type EnvMergePolicy, type EnvMergeReport, mergeIntoEnv } from './env-merge.js';
export {
  KmsAbortError,
  KmsApiError,
  type KmsApiErrorInit,
  KmsAuthenticationError,
  KmsBadRequestError,
  KmsConfigError,
  KmsConflictError,
  KmsConnectionError,
  KmsEnvConflictError,
  KmsError,
  KmsIdentityLockedError,
  KmsInternalServerError,
  KmsNotFoundError,
  KmsPermissionDeniedError,
  KmsRateLimitError,
  type KmsRequestInfo,
  KmsResponseParseError,
  KmsTimeoutError,
  KmsUnprocessableEntityError,
  KmsValidationError,
  RATE_LIMIT_ADVICE,
} from './errors.js';
export type { KmsClientEvents, KmsClientListener, ReauthenticationReason } from './events.js';
export type { RetryPolicy } from './retry-policy.js';
export type { CacheOutcome, KmsLogger } from './telemetry.js';
export { Auth, JwtLogin, UniversalAuth } from './resources/auth.js';
export type {
  CreateFolderParams,
  DeleteFolderParams,
  Folder,
  FolderLocation,
  ListFoldersParams,
  UpdateFolderParams,
} from './resources/folders.js';
export { Folders } from './resources/folders.js';
export type {
  CreateKmsKeyParams,
  KmsBytes,
  KmsDecryptParams,
  KmsEncryptionAlgorithm,
  KmsEncryptParams,
  KmsKey,
  KmsKeyPage,
  KmsKeyVersion,
  KmsKeyUsage,
  KmsPublicKey,
  KmsSignature,
  KmsSignedData,
  KmsSigningAlgorithm,
  KmsSigningKeyAlgorithm,
  KmsSignParams,
  KmsVerification,
  KmsVerifyParams,
  ListKmsKeysParams,
  UpdateKmsKeyParams,
} from './resources/kms.js';
export { Kms, KmsKeys, KmsPlaintext, MAX_KMS_DATA_BYTES } from './resources/kms.js';
export type { ProjectSelector } from './resources/request-params.js';
export type {
  BatchCreateSecretItem,
  BatchCreateSecretsParams,
  BatchDeleteSecretItem,
  BatchDeleteSecretsParams,
  BatchUpdateSecretItem,
  BatchUpdateSecretsParams,
  CreateSecretParams,
  DeleteSecretParams,
  ListSecretsParams,
  ListSecretsResult,
  RetrieveSecretParams,
  RollbackSecretParams,
  SecretLocation,
  SecretVersionsParams,
  SecretWriteFields,
  UpdateSecretParams,
} from './resources/secrets.js';
export { Secrets, SecretsBatch } from './resources/secrets.js';
export type { Secret, SecretMetadataEntry, SecretTag } from './secret.js';
export type { SecretImportBlock } from './secret-list-merge.js';
export type { FetchLike, FetchLikeResponse, HeaderReader } from './fetch-like.js';
export type { RequestOptions } from './transport.js';
export { type VerifyWebhookSignatureOptions, verifyWebhookSignature } from './webhook-signature.js';
export {
  type ChangeNotice,
  ChangeSubscription,
  type ChangeSubscriptionHandlers,
  type ChangeSubscriptionParams,
  type ChangeSubscriptionState,
  type ChangeSubscriptionTiming,
} from './change-subscription.js';
export { ChangeNotices } from './resources/changes.js';
