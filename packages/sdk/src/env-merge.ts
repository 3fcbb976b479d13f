/**
 * Writing secrets into an environment object (`process.env` or any record): the one merge of the
 * family. `secrets.list({ attachToProcessEnv })`, `@hanzo/kms-node` (boot, `kms run`, watch) and the
 * framework adapters all call {@link mergeIntoEnv}. The decision is made in full before anything is
 * written, so a refused merge writes nothing.
 *
 * An empty variable (`FOO=`) counts as unset everywhere, as compose placeholders and kms-go's
 * `AttachToProcessEnv` treat it: a secret fills it under every policy.
 *
 * @module
 */
import { KmsEnvConflictError } from './errors.js';

/**
 * What to do with a variable that already holds another (non-empty) value: `preserve` keeps it,
 * `override` replaces it, `error` refuses the whole merge with a {@link KmsEnvConflictError}.
 */
export type EnvMergePolicy = 'preserve' | 'override' | 'error';

/** What a merge did, by key name only (never values). Every list is sorted. */
export interface EnvMergeReport {
  /** Keys whose variable now holds the KMS value (new, replaced or already equal). */
  loaded: string[];
  /** Keys left alone because the variable already had another value (`preserve`). */
  skipped: string[];
  /** Keys whose variable already had a different, non-empty value, whatever the policy did about it. */
  conflicts: string[];
}

/**
 * Merges `secrets` into `target` under `policy`. A variable that is unset or empty, or already equal to
 * the secret, is not a conflict. With `error`, a conflict throws {@link KmsEnvConflictError} naming the
 * keys and nothing is written.
 *
 * ```ts
 * const { skipped } = mergeIntoEnv(process.env, { DATABASE_URL: 'postgres://…' }, 'preserve');
 * ```
 */
export function mergeIntoEnv(
  target: Record<string, string | undefined>,
  secrets: Readonly<Record<string, string>>,
  policy: EnvMergePolicy,
): EnvMergeReport {
  const loaded: string[] = [];
  const skipped: string[] = [];
  const conflicts: string[] = [];
  const writes: string[] = [];
  for (const key of Object.keys(secrets).sort()) {
    const existing = target[key];
    if (existing === undefined || existing === '' || existing === secrets[key]) {
      loaded.push(key);
      if (existing !== secrets[key]) writes.push(key);
      continue;
    }
    conflicts.push(key);
    if (policy === 'override') {
      loaded.push(key);
      writes.push(key);
    } else skipped.push(key);
  }
  if (policy === 'error' && conflicts.length > 0) throw new KmsEnvConflictError(conflicts);
  for (const key of writes) target[key] = secrets[key];
  return { loaded, skipped, conflicts };
}
