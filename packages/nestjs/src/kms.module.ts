/**
 * `KmsModule`: Hanzo KMS in a Nest application.
 *
 * @module
 */
import { KmsClient } from '@hanzo/kms';
import { ConfigurableModuleBuilder, type DynamicModule, Module, type Provider } from '@nestjs/common';
import { KmsService } from './kms.service.js';
import { checkModuleOptions, type KmsModuleOptions, protectOptions } from './options.js';

/** Extras of `forRoot` / `forRootAsync` that configure the module itself, not the client. */
export interface KmsModuleExtras {
  /** Register the module globally, so `KmsService` and `KmsClient` are injectable everywhere. @default true */
  isGlobal?: boolean;
}

/** Injection token of the (validated, print-safe) {@link KmsModuleOptions}. */
export const KMS_MODULE_OPTIONS = Symbol.for('@hanzo/kms-nestjs:options');

const {
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

/** Shape of the `forRoot()` argument: {@link KmsModuleOptions} plus `isGlobal`. */
export type KmsModuleRootOptions = typeof KMS_OPTIONS_TYPE;
/** Shape of the `forRootAsync()` argument: `imports`, `inject`, `useFactory` | `useClass` | `useExisting`, `isGlobal`. */
export type KmsModuleAsyncOptions = typeof KMS_ASYNC_OPTIONS_TYPE;

/** What a `useClass` / `useExisting` options provider implements. */
export interface KmsOptionsFactory {
  /** Returns the module options (may be async). */
  createKmsOptions(): KmsModuleOptions | Promise<KmsModuleOptions>;
}

// The options provider is always a factory that validates and protects what it is given, so that
// forRoot, useFactory, useClass and useExisting all fail with the same clear message.
function guardOptionsProvider(provider: Provider): Provider {
  if (typeof provider !== 'object' || provider === null || provider.provide !== KMS_MODULE_OPTIONS)
    return provider;
  if ('useValue' in provider) {
    return { provide: KMS_MODULE_OPTIONS, useValue: protectOptions(checkModuleOptions(provider.useValue)) };
  }
  if ('useFactory' in provider) {
    const factory = provider.useFactory;
    return {
      ...provider,
      useFactory: async (...args: unknown[]) => protectOptions(checkModuleOptions(await factory(...args))),
    };
  }
  return provider;
}

function guard(definition: DynamicModule): DynamicModule {
  return { ...definition, providers: (definition.providers ?? []).map(guardOptionsProvider) };
}

/**
 * Hanzo KMS for Nest. `forRoot(options)` or `forRootAsync({ imports, inject, useFactory | useClass |
 * useExisting })` provides {@link KmsService} and the logged-in {@link KmsClient}; the secrets are
 * loaded by an async provider, so `await NestFactory.create()` (or `Test.createTestingModule().compile()`)
 * fails fast with a one-line error on bad options, bad credentials or an unreachable server.
 * Global by default (`isGlobal: false` to import it per module). Imports no other module: in
 * particular never a `ConfigModule`.
 *
 * ```ts
 * @Module({ imports: [KmsModule.forRoot({ environment: 'prod', secretPath: '/api' })] })
 * export class AppModule {}
 * ```
 *
 * The session ends (timers stopped, token revoked) on `app.close()`; `enableShutdownHooks()` is only
 * needed to turn SIGTERM into `app.close()`.
 */
@Module({
  providers: [
    {
      provide: KmsService,
      inject: [KMS_MODULE_OPTIONS],
      useFactory: (options: KmsModuleOptions) => KmsService.create(options),
    },
    { provide: KmsClient, inject: [KmsService], useFactory: (service: KmsService) => service.client },
  ],
  exports: [KmsService, KmsClient, KMS_MODULE_OPTIONS],
})
export class KmsModule extends KmsConfigurableModule {
  /**
   * Configures the module with static options (validated now: a malformed option throws a
   * `KmsConfigError` naming it). Credentials and project may also come from `KMS_*` variables and
   * credential files, resolved when the app boots.
   */
  static override forRoot(options: KmsModuleRootOptions = {}): DynamicModule {
    const { isGlobal: _isGlobal, ...rest } = options;
    checkModuleOptions(rest);
    return guard(super.forRoot(options));
  }

  /**
   * Configures the module from other providers, e.g. `ConfigService`:
   *
   * ```ts
   * KmsModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ environment: config.getOrThrow('APP_ENV') }),
   * })
   * ```
   *
   * The options are validated when the factory resolves.
   */
  static override forRootAsync(options: KmsModuleAsyncOptions): DynamicModule {
    return guard(super.forRootAsync(options));
  }
}
