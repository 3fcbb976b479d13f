/**
 * Options of `KmsModule.forRoot()`: the `@hanzo/kms-node` options (server, credentials, project,
 * environment, path, boot deadline) plus the session's (schema, refresh, environment writing).
 *
 * @module
 */
import {
  KmsNodeConfigError,
  type KmsNodeOptions,
  type SecretsSessionOptions,
  type StandardSchemaV1,
} from '@hanzo/kms-node';
import { findOptionProblem, sessionOptionRules } from '@hanzo/kms-node/internal';

/** The name errors and log lines carry (`source`, the Nest logger context). */
export const MODULE = 'KmsModule';

/**
 * Options of {@link KmsModule}. Every `@hanzo/kms-node` option is accepted and falls back the same way:
 * explicit option, then `KMS_*` environment variables, then the credential files of `credentialsDir`.
 */
export interface KmsModuleOptions
  extends KmsNodeOptions,
    Pick<SecretsSessionOptions<StandardSchemaV1>, 'schema' | 'refreshInterval'> {
  /**
   * Also write the secrets into `process.env`: merged at boot under `envMerge` (`preserve` by default:
   * a variable holding another value is kept and its key is reported in a warning; `error` refuses to
   * boot), and changes found by a refresh follow where KMS put the value.
   * @default false
   */
  writeEnv?: boolean;
  /** @deprecated The first name of {@link KmsModuleOptions.writeEnv}; still accepted. */
  populateEnv?: boolean;
}

/** Options whose values are credentials: never enumerable, never printed. */
const SECRET_OPTIONS = ['clientSecret', 'jwt'] as const;

const moduleOptionRules = {
  schema: sessionOptionRules.schema!,
  refreshInterval: sessionOptionRules.refreshInterval!,
  writeEnv: 'boolean',
  populateEnv: 'boolean',
} as const;

/** Module options as session options (the credentials that `protectOptions` hid included). */
export function splitOptions(options: KmsModuleOptions): SecretsSessionOptions<StandardSchemaV1 | undefined> {
  const { populateEnv, writeEnv = populateEnv ?? false, ...rest } = options;
  // protectOptions() makes credentials non-enumerable, which the rest spread above skips.
  for (const key of SECRET_OPTIONS) if (options[key] !== undefined) rest[key] = options[key];
  return { ...rest, writeEnv };
}

/**
 * Checks the shape of module options without reading the environment or the network: unknown keys,
 * wrong types and malformed values fail with a `KmsNodeConfigError` (a `KmsConfigError`) whose
 * `configKey` names the option and whose message starts with `KmsModule option <name>`. Values never
 * appear in the message.
 */
export function checkModuleOptions(options: unknown): KmsModuleOptions {
  const problem = findOptionProblem(options, MODULE, moduleOptionRules);
  if (problem) throw new KmsNodeConfigError(`option ${problem.field}`, problem.problem, MODULE);
  return options as KmsModuleOptions;
}

/** A printable copy of options: credentials and the environment object are replaced by markers. */
function describeOptions(options: KmsModuleOptions): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    shown[key] = key === 'env' ? '[environment]' : key === 'schema' ? '[schema]' : value;
  }
  for (const key of SECRET_OPTIONS) if (options[key] !== undefined) shown[key] = '[REDACTED]';
  return shown;
}

/**
 * A copy of `options` that can be printed or serialised without leaking: `clientSecret` and `jwt` are
 * not enumerable (still readable), and `util.inspect` / `JSON.stringify` show `[REDACTED]` instead.
 */
export function protectOptions<T extends KmsModuleOptions>(options: T): T {
  const copy = { ...options } as T;
  for (const key of SECRET_OPTIONS) {
    if (options[key] === undefined) continue;
    delete copy[key];
    Object.defineProperty(copy, key, { value: options[key], enumerable: false });
  }
  const describe = () => describeOptions(options);
  Object.defineProperty(copy, 'toJSON', { enumerable: false, value: describe });
  Object.defineProperty(copy, Symbol.for('nodejs.util.inspect.custom'), {
    enumerable: false,
    value: describe,
  });
  return copy;
}
