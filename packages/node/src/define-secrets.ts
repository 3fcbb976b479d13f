/**
 * `defineSecrets(schema)`: validates the environment against a schema and returns the typed result.
 * Accepts any Standard Schema (zod 3.24+ and 4, valibot, arktype), so this package imposes no zod
 * version on the app. Imports the Node loader (`loadConfig`), so the runtime-neutral session uses
 * `validate-secrets.ts` instead.
 *
 * @module
 */
import { KmsBootError } from './boot-error.js';
import { type LoadSecretsOptions, loadSecrets } from './load-secrets.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { invalidSecretsError, validateSecrets } from './validate-secrets.js';

/** Options of {@link defineSecrets}. */
export interface DefineSecretsOptions {
  /** Where to read the values. @default process.env */
  env?: Record<string, string | undefined>;
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
  if (result.issues) throw invalidSecretsError(result.issues, env);
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
