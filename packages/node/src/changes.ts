/**
 * What changed between two reads of a folder, and how a change is applied to an environment without
 * touching what someone else set. The session reports changes with these; `kms run --watch`, the
 * NestJS `changes$` and `watchSecrets` hand them to the app.
 *
 * @module
 */
import { redactedRecord } from './redacted-record.js';

/** Secret values by key. Prints as `{ KEY: '[REDACTED]' }` in `console.log` and `util.inspect`. */
export type SecretValues = Record<string, string>;

/** What changed between two polls. Key lists are sorted; `values` holds the new values of added and changed keys. */
export interface SecretsChange {
  /** Keys that are new. */
  added: string[];
  /** Keys whose value changed. */
  changed: string[];
  /** Keys that are gone. */
  removed: string[];
  /** Every key in `added`, `changed` or `removed`. */
  keys: string[];
  /** New values of added and changed keys. Prints redacted. */
  values: SecretValues;
  /** The complete new set of secrets. Prints redacted. */
  secrets: SecretValues;
}

/** The difference between two sets of secrets, or `undefined` when they are equal. */
export function diffSecrets(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): SecretsChange | undefined {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before)) added.push(key);
    else if (before[key] !== value) changed.push(key);
    else continue;
    values[key] = value;
  }
  for (const key of Object.keys(before)) if (!(key in after)) removed.push(key);
  if (added.length + changed.length + removed.length === 0) return undefined;
  added.sort();
  changed.sort();
  removed.sort();
  return {
    added,
    changed,
    removed,
    keys: [...added, ...changed, ...removed].sort(),
    values: redactedRecord(values),
    secrets: redactedRecord({ ...after }),
  };
}

/**
 * Applies a {@link SecretsChange} to an environment object (`process.env` or any record) without
 * touching what someone else set: an added key is written only if the variable is unset, a changed or
 * removed key is updated or deleted only while the variable still holds `before`'s value (the one KMS
 * gave it). `watchSecrets({ writeEnv })` uses it after each poll.
 *
 * ```ts
 * const change = diffSecrets(previous, next);
 * if (change) applyToEnv(process.env, previous, change);
 * ```
 */
export function applyToEnv(
  env: Record<string, string | undefined>,
  before: Readonly<Record<string, string>>,
  change: SecretsChange,
): void {
  for (const key of change.added) if (env[key] === undefined) env[key] = change.values[key]!;
  for (const key of change.changed) if (env[key] === before[key]) env[key] = change.values[key]!;
  for (const key of change.removed) if (env[key] === before[key]) delete env[key];
}
