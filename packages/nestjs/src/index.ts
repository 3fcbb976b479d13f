/**
 * `@hanzo/kms-nestjs`: Hanzo KMS for NestJS. `KmsModule.forRoot()` / `forRootAsync()` load secrets before
 * the app starts and provide {@link KmsService} and the logged-in `KmsClient`; `kmsConfig()` (on the
 * `@hanzo/kms-nestjs/config` subpath) feeds `@nestjs/config`. Importing this entry does nothing by itself.
 *
 * @packageDocumentation
 */
export { KmsClient, KmsConfigError, KmsError } from '@hanzo/kms';
export { KmsBootError, type SecretsChange, type StandardSchemaV1 } from '@hanzo/kms-node';
export { KmsBootLogger } from './boot-logger.js';
export { KmsHealthIndicator, type KmsHealthResult } from './health.js';
export {
  KMS_MODULE_OPTIONS,
  KmsModule,
  type KmsModuleExtras,
  type KmsModuleAsyncOptions,
  type KmsModuleRootOptions,
  type KmsOptionsFactory,
} from './kms.module.js';
export { KmsService, type KmsStatus } from './kms.service.js';
export { checkModuleOptions, type KmsModuleOptions } from './options.js';
