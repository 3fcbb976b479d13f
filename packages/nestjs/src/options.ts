/**
 * Options of `KmsModule.forRoot()`: the `@hanzo/kms-node` options (server, credentials, project,
 * environment, path, boot deadline) plus what the module adds (schema, refresh, `process.env` writing).
 *
 * @module
 */
import { KmsConfigError } from '@hanzo/kms';
import { findOptionProblem, type KmsNodeOptions, type StandardSchemaV1 } from '@hanzo/kms-node';

/**
 * Options of {@link KmsModule}. Every `@hanzo/kms-node` option is accepted and falls back the same way:
 * explicit option, then `KMS_*` environment variables, then the credential files of `credentialsDir`.
 */
export interface KmsModuleOptions extends KmsNodeOptions {
  /**
   * A Standard Schema (zod 4, valibot, arktype…) the loaded secrets must satisfy, at boot and on every
   * refresh. A failure names the keys, never the values. `KmsService.get()` then returns parsed values.
   * @default undefined (values are strings, unchecked)
   */
  schema?: StandardSchemaV1;
  /**
   * Poll the folder every `refreshInterval` milliseconds after the application has bootstrapped, and
   * emit the changes on `KmsService.changes$`. The timer is unref'd and stopped on shutdown.
   * @default 0 (no polling; call `KmsService.refresh()` yourself)
   */
  refreshInterval?: number;
  /**
   * Also merge the secrets into `process.env` at boot, under `envMerge` (`preserve` by default: a
   * variable that already exists is kept and its key is reported in a warning; `error` refuses to boot).
   * @default false
   */
  populateEnv?: boolean;
}

/** Options whose values are credentials: never enumerable, never printed. */
const SECRET_OPTIONS = ['clientSecret', 'jwt'] as const;

/** The extra keys of {@link KmsModuleOptions} that `@hanzo/kms-node` does not know. */
export const moduleOnlyKeys = ['schema', 'refreshInterval', 'populateEnv'] as const;

/** Splits module options into what `@hanzo/kms-node` resolves and what the module handles itself. */
export function splitOptions(options: KmsModuleOptions): {
  node: KmsNodeOptions;
  schema: StandardSchemaV1 | undefined;
  refreshInterval: number;
  populateEnv: boolean;
} {
  const { schema, refreshInterval = 0, populateEnv = false, ...node } = options;
  // protectOptions() makes credentials non-enumerable, which the rest spread above skips.
  for (const key of SECRET_OPTIONS) if (options[key] !== undefined) node[key] = options[key];
  return { node, schema, refreshInterval, populateEnv };
}

function fail(field: string, problem: string): never {
  const error = new KmsConfigError(field, problem);
  error.message = `KmsModule option ${field} ${problem}`;
  throw error;
}

/**
 * Checks the shape of module options without reading the environment or the network: unknown keys,
 * wrong types and malformed values fail with a {@link KmsConfigError} whose message names the option.
 * Values never appear in the message.
 */
export function checkModuleOptions(options: unknown): KmsModuleOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail('options', 'must be an object');
  }
  const { schema, refreshInterval, populateEnv, ...node } = options as Record<string, unknown>;
  if (
    schema !== undefined &&
    (typeof schema !== 'object' ||
      schema === null ||
      typeof (schema as Partial<StandardSchemaV1>)['~standard']?.validate !== 'function')
  ) {
    fail('schema', 'must be a Standard Schema (e.g. a zod 4 object schema)');
  }
  if (
    refreshInterval !== undefined &&
    (typeof refreshInterval !== 'number' || !Number.isInteger(refreshInterval) || refreshInterval < 0)
  ) {
    fail('refreshInterval', 'must be a whole number of milliseconds (0 turns polling off)');
  }
  if (populateEnv !== undefined && typeof populateEnv !== 'boolean') fail('populateEnv', 'must be a boolean');

  const problem = findOptionProblem(node, 'KmsModule');
  if (problem) fail(problem.field, problem.problem);
  return options as KmsModuleOptions;
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** A printable copy of options: credentials and the environment object are replaced by markers. */
export function describeOptions(options: KmsModuleOptions): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if ((SECRET_OPTIONS as readonly string[]).includes(key)) shown[key] = '[REDACTED]';
    else if (key === 'env') shown[key] = '[environment]';
    else if (key === 'schema') shown[key] = '[schema]';
    else shown[key] = value;
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
  Object.defineProperty(copy, 'toJSON', {
    enumerable: false,
    value: () => describeOptions(options),
  });
  Object.defineProperty(copy, inspectSymbol, {
    enumerable: false,
    value: () => describeOptions(options),
  });
  return copy;
}
