/**
 * The `ConfigurableModuleBuilder` definition behind {@link KmsModule}: `forRoot` / `forRootAsync`, the
 * options token and the `isGlobal` extra.
 *
 * @module
 */
import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { KmsModuleOptions } from './options.js';

/** Extras of `forRoot` / `forRootAsync` that configure the module itself, not the client. */
export interface KmsModuleExtras {
  /** Register the module globally, so `KmsService` and `KmsClient` are injectable everywhere. @default true */
  isGlobal?: boolean;
}

/** Injection token of the (validated, print-safe) {@link KmsModuleOptions}. */
export const KMS_MODULE_OPTIONS = Symbol.for('@hanzo/kms-nestjs:options');

export const {
  ConfigurableModuleClass: KmsConfigurableModule,
  OPTIONS_TYPE: KMS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: KMS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<KmsModuleOptions>({
  moduleName: 'Kms',
  optionsInjectionToken: KMS_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createKmsOptions')
  .setExtras<KmsModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal !== false,
  }))
  .build();
