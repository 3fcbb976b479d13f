/**
 * Validation of loaded secrets with a Standard Schema, reporting keys and never values.
 *
 * @module
 */
import { KmsBootError, type StandardSchemaV1 } from '@hanzo/kms-node';

function keyOf(issue: StandardSchemaV1.Issue): string {
  const first = issue.path?.[0];
  if (first === undefined) return '(root)';
  return String(typeof first === 'object' && first !== null && 'key' in first ? first.key : first);
}

/**
 * Validates `values` with `schema` (sync or async). Throws a {@link KmsBootError} (`invalid-secrets`)
 * listing each bad key with the schema's message, with any quoted value replaced by `[REDACTED]`.
 */
export async function validateSecrets(
  schema: StandardSchemaV1 | undefined,
  values: Readonly<Record<string, string>>,
  where: string,
): Promise<Record<string, unknown>> {
  if (!schema) return { ...values };
  const result = await schema['~standard'].validate({ ...values });
  if (!result.issues) return result.value as Record<string, unknown>;
  const byKey = new Map<string, string>();
  for (const issue of result.issues) {
    const key = keyOf(issue);
    if (byKey.has(key)) continue;
    const value = values[key];
    let message = issue.message;
    // A custom message may quote the value: never let it through.
    if (value && value.length >= 4 && message.includes(value))
      message = message.split(value).join('[REDACTED]');
    byKey.set(key, value === undefined ? 'missing' : message);
  }
  const keys = [...byKey.keys()].sort();
  const detail = keys.map((k) => `${k} (${byKey.get(k)})`).join(', ');
  return Promise.reject(
    new KmsBootError('invalid-secrets', `invalid secrets in ${where}: ${detail}`, { keys }),
  );
}
