/**
 * The merge of fetched secrets into an environment object, decided in full before anything is written
 * so that a refused merge writes nothing.
 *
 * @module
 */
import { KmsBootError } from './boot-error.js';
import type { EnvMergePolicy } from './config.js';

/** What a merge did, by key name only (never values). */
export interface EnvMergeReport {
  /** Keys whose variable now holds the KMS value (new, overridden or already equal). Sorted. */
  loaded: string[];
  /** Keys left alone because the variable already had another value (`preserve`). Sorted. */
  skipped: string[];
  /** Keys whose variable already had a different value, whatever the policy did about it. Sorted. */
  conflicts: string[];
}

/**
 * Merges `secrets` into `target` under `policy`: `preserve` keeps existing variables (a variable set to
 * `""` counts as existing), `override` replaces them, `error` throws a {@link KmsBootError}
 * (`env-conflict`) naming the conflicting keys and writes nothing. A variable already equal to the
 * secret is not a conflict.
 */
export function mergeIntoEnv(
  target: Record<string, string | undefined>,
  secrets: Readonly<Record<string, string>>,
  policy: EnvMergePolicy,
): EnvMergeReport {
  const loaded: string[] = [];
  const skipped: string[] = [];
  const conflicts: string[] = [];
  const writes: [string, string][] = [];
  for (const key of Object.keys(secrets).sort()) {
    const value = secrets[key]!;
    const existing = target[key];
    if (existing === undefined || existing === value) {
      loaded.push(key);
      if (existing === undefined) writes.push([key, value]);
      continue;
    }
    conflicts.push(key);
    if (policy === 'override') {
      loaded.push(key);
      writes.push([key, value]);
    } else {
      skipped.push(key);
    }
  }
  if (policy === 'error' && conflicts.length > 0) {
    throw new KmsBootError(
      'env-conflict',
      `refusing to load: ${conflicts.length === 1 ? 'variable' : 'variables'} ${conflicts.join(', ')} already set to a different value (KMS_ENV_MERGE=error)`,
      { keys: conflicts },
    );
  }
  for (const [key, value] of writes) target[key] = value;
  return { loaded, skipped, conflicts };
}
