/**
 * `kmsConfig()`: Hanzo KMS secrets as a namespaced `@nestjs/config` factory. The only file of this
 * package that imports `@nestjs/config` (an optional peer dependency).
 *
 * @packageDocumentation
 */
import {
  createSecretsSession,
  KmsBootError,
  type KmsNodeOptions,
  type StandardSchemaV1,
} from '@hanzo/kms-node';
import { type ConfigFactoryKeyHost, registerAs } from '@nestjs/config';
import { checkModuleOptions } from './options.js';

/** Options of {@link kmsConfig}: the `@hanzo/kms-node` options plus a namespace and a schema. */
export interface KmsConfigOptions<S extends StandardSchemaV1 | undefined = undefined> extends KmsNodeOptions {
  /** The `ConfigService` namespace: values are read as `config.get('<namespace>.KEY')`. @default "kms" */
  namespace?: string;
  /**
   * A Standard Schema the secrets must satisfy; the factory resolves to its output. This is the
   * validation of these values: `ConfigModule`'s `validate` / `validationSchema` never see `load` output.
   * @default undefined (a record of strings)
   */
  schema?: S;
}

/** What the factory resolves to: the schema's output, or a record of strings. */
export type KmsConfigValues<S> = S extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<S>
  : Record<string, string>;

/**
 * A namespaced `ConfigModule` factory that reads secrets from Hanzo KMS once, at boot:
 *
 * ```ts
 * ConfigModule.forRoot({ load: [kmsConfig({ namespace: 'billing', secretPath: '/billing', schema })] })
 * // config.get('billing.STRIPE_KEY'); or inject kmsConfig's result `.KEY` with @Inject(billingConfig.KEY)
 * ```
 *
 * The factory creates its own short-lived client (a `load` factory cannot inject providers), logs in,
 * lists the folder within `bootTimeout`, validates with `schema`, then revokes its token: no session
 * stays open and nothing needs closing. Bad options throw now, naming the option; a failed load
 * rejects with a one-line {@link KmsBootError}, which fails the app's bootstrap. It writes nothing to
 * `process.env`. Use `KmsModule` instead when the values must be refreshed at runtime.
 */
export function kmsConfig<S extends StandardSchemaV1 | undefined = undefined>(
  options: KmsConfigOptions<S> = {},
): (() => Promise<KmsConfigValues<S>>) & ConfigFactoryKeyHost<Promise<KmsConfigValues<S>>> {
  const { namespace = 'kms', schema, ...node } = options;
  if (typeof namespace !== 'string' || !/^[A-Za-z_$][\w$-]*$/.test(namespace)) {
    throw new KmsBootError('config', 'option namespace must be a non-empty identifier without dots', {
      source: 'kmsConfig',
    });
  }
  checkModuleOptions({ ...node, ...(schema === undefined ? {} : { schema }) });
  return registerAs(namespace, async (): Promise<KmsConfigValues<S>> => {
    const session = createSecretsSession({ ...node, schema, source: `kmsConfig(${namespace})` });
    try {
      await session.load();
      return session.values as KmsConfigValues<S>;
    } finally {
      // A load factory's session ends with the load: revoke the token, never hold the boot for it.
      void session.close(2000);
    }
  });
}
