/**
 * `defineSecrets(schema)`: validates the environment against a schema and returns the typed result.
 * Accepts any Standard Schema (zod 3.24+ and 4, valibot, arktype), so this package imposes no zod
 * version on the app.
 *
 * @module
 */
import { KmsBootError } from './boot-error.js';
import { type LoadSecretsOptions, loadSecrets } from './load-secrets.js';

/** The Standard Schema v1 interface (https://standardschema.dev), as its authors ask to copy it. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** Types of the Standard Schema v1 interface. */
export declare namespace StandardSchemaV1 {
  /** The `~standard` property. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  /** A validation result. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** Success. */
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  /** Failure. */
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One issue. */
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path segment object. */
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  /** Input and output types. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The output type of a schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['output'];
}

/** Options of {@link defineSecrets}. */
export interface DefineSecretsOptions {
  /** Where to read the values. @default process.env */
  env?: Record<string, string | undefined>;
}

function keyOf(issue: StandardSchemaV1.Issue): string {
  const first = issue.path?.[0];
  if (first === undefined) return '(root)';
  const key = typeof first === 'object' && first !== null && 'key' in first ? first.key : first;
  return String(key);
}

function fail(
  issues: ReadonlyArray<StandardSchemaV1.Issue>,
  values: Readonly<Record<string, string | undefined>>,
  where?: string,
): KmsBootError {
  const byKey = new Map<string, string>();
  for (const issue of issues) {
    const key = keyOf(issue);
    if (byKey.has(key)) continue;
    const value = values[key];
    // A custom message could quote the value: never let it through.
    let message = issue.message;
    if (value && value.length >= 4 && message.includes(value))
      message = message.split(value).join('[REDACTED]');
    byKey.set(key, value === undefined ? 'missing' : message);
  }
  const keys = [...byKey.keys()].sort();
  const detail = keys.map((k) => `${k} (${byKey.get(k)})`).join(', ');
  return new KmsBootError('invalid-secrets', `invalid secrets${where ? ` in ${where}` : ''}: ${detail}`, {
    keys,
  });
}

/**
 * Validates `values` with `schema` (synchronous or asynchronous) and resolves to the schema's output.
 * Rejects with a {@link KmsBootError} (`invalid-secrets`, exit code 65) listing every missing or invalid
 * key with the schema's message, any quoted value replaced by `[REDACTED]`; `where` (e.g. `project api,
 * environment prod, path /`) is named in it. Without a schema, resolves to a plain copy of `values`.
 * The adapters validate loaded and refreshed secrets with it.
 *
 * ```ts
 * const parsed = await validateSecrets(schema, values, 'project api, environment prod, path /');
 * ```
 */
export function validateSecrets<S extends StandardSchemaV1>(
  schema: S,
  values: Readonly<Record<string, string | undefined>>,
  where?: string,
): Promise<StandardSchemaV1.InferOutput<S>>;
export function validateSecrets(
  schema: StandardSchemaV1 | undefined,
  values: Readonly<Record<string, string | undefined>>,
  where?: string,
): Promise<Record<string, unknown>>;
export async function validateSecrets(
  schema: StandardSchemaV1 | undefined,
  values: Readonly<Record<string, string | undefined>>,
  where?: string,
): Promise<unknown> {
  if (!schema) return { ...values };
  const result = await schema['~standard'].validate({ ...values });
  if (result.issues) throw fail(result.issues, values, where);
  return result.value;
}

/**
 * Validates the environment (default `process.env`, after `--import @hanzo/kms-node/register` filled it)
 * with `schema` and returns the typed, parsed object. Throws a {@link KmsBootError} (`invalid-secrets`,
 * exit code 65) that lists every missing or invalid key by name, never by value.
 *
 * ```ts
 * import { z } from 'zod';
 * export const config = defineSecrets(z.object({ DATABASE_URL: z.url(), PORT: z.coerce.number().default(3000) }));
 * ```
 *
 * The schema must validate synchronously; for async schemas use {@link loadConfig}.
 */
export function defineSecrets<S extends StandardSchemaV1>(
  schema: S,
  options: DefineSecretsOptions = {},
): StandardSchemaV1.InferOutput<S> {
  const env = options.env ?? process.env;
  const result = schema['~standard'].validate({ ...env });
  if (result instanceof Promise) {
    throw new KmsBootError(
      'invalid-secrets',
      'defineSecrets needs a synchronous schema; use loadConfig for async ones',
    );
  }
  if (result.issues) throw fail(result.issues, env);
  return result.value as StandardSchemaV1.InferOutput<S>;
}

/**
 * `loadSecrets(options)` then validation with `schema`: the one call for a CommonJS app (or any app
 * not started with `--import`) that wants a typed config. Resolves to the parsed object.
 */
export async function loadConfig<S extends StandardSchemaV1>(
  schema: S,
  options: LoadSecretsOptions = {},
): Promise<StandardSchemaV1.InferOutput<S>> {
  await loadSecrets(options);
  return validateSecrets(schema, options.target ?? process.env);
}
