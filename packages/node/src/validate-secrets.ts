/**
 * Validation of secrets against a Standard Schema, with a failure that names keys, never values. Used
 * by the session (`session.ts`) at every load and refresh and by `defineSecrets` (`define-secrets.ts`).
 * Runtime-neutral: no `node:` import.
 *
 * @module
 */
import { KmsBootError } from './boot-error.js';
import type { StandardSchemaV1 } from './standard-schema.js';

function keyOf(issue: StandardSchemaV1.Issue): string {
  const first = issue.path?.[0];
  if (first === undefined) return '(root)';
  const key = typeof first === 'object' && first !== null && 'key' in first ? first.key : first;
  return String(key);
}

/** @internal The `invalid-secrets` error for schema issues: keys and messages, any quoted value redacted. */
export function invalidSecretsError(
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
  if (result.issues) throw invalidSecretsError(result.issues, values, where);
  return result.value;
}
