/**
 * `watchSecrets`: in-process live refresh. Polls the list endpoint with `If-None-Match` (through the
 * SDK's ETag revalidation, so an unchanged folder costs a 304 and no decryption) and reports changed
 * keys.
 *
 * @module
 */
import type { KmsClient } from '@hanzo/kms';
import { KmsBootError, toBootError } from './boot-error.js';
import type { KmsNodeOptions } from './config.js';
import {
  bootTarget,
  createClient,
  listValues,
  loadedSecrets,
  resolveOrThrow,
  type SecretValues,
} from './load-secrets.js';
import { redactedRecord } from './redacted-record.js';

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

/** Options of {@link watchSecrets}. */
export interface WatchSecretsOptions extends KmsNodeOptions {
  /** Poll interval in milliseconds. @default 30000 */
  interval?: number;
  /** Called after each poll that found a difference. A thrown or rejected callback is reported to `onError`. */
  onChange: (change: SecretsChange) => void | Promise<void>;
  /** Called when a poll fails (the watch goes on). @default a one-line warning on stderr per failure kind */
  onError?: (error: KmsBootError) => void;
  /**
   * Also apply changes to `process.env` (or this object): a variable is updated or deleted only while it
   * still holds the value KMS gave it, so variables set by someone else are never touched.
   * @default false
   */
  writeEnv?: boolean | Record<string, string | undefined>;
  /**
   * The secrets the app already has; the first poll (made at once) is compared against them.
   * @default what `loadSecrets` / `--import @hanzo/kms-node/register` fetched in this process for the same
   * configuration; without that, the first poll only records the baseline
   */
  initial?: Record<string, string>;
}

/** A running watch. Calling it stops the polling and ends the session; the promise settles once closed. */
export type StopWatching = () => Promise<void>;

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

/**
 * Polls the configured folder every `interval` ms and calls `onChange` with the added, changed and
 * removed key names (and the new values, for the callback only), so an app can rotate a database pool
 * without a restart. Polls never overlap; timers are unref'd, so a watch never keeps the process alive.
 * Configuration is resolved like {@link loadSecrets} (throws a `config` {@link KmsBootError} at once).
 *
 * ```ts
 * const stop = watchSecrets({ interval: 15_000, onChange: ({ changed, values }) => {
 *   if (changed.includes('DATABASE_URL')) pool.reconnect(values.DATABASE_URL);
 * } });
 * ```
 */
export function watchSecrets(options: WatchSecretsOptions): StopWatching {
  const { interval = 30_000, onChange, onError, writeEnv = false, initial, ...configOptions } = options;
  if (!Number.isInteger(interval) || interval < 1) {
    throw new KmsBootError(
      'config',
      `option interval must be a positive number of milliseconds, got ${interval}`,
    );
  }
  const config = resolveOrThrow(configOptions);
  // A 1 ms cache TTL makes every poll a conditional request: the SDK sends the last ETag in
  // If-None-Match and reuses the cached body on 304.
  const client: KmsClient = createClient(config, { cacheTtl: 1 });
  const env = writeEnv === true ? process.env : writeEnv === false ? undefined : writeEnv;
  const baseline = initial ?? loadedSecrets(config);
  let current: Record<string, string> | undefined = baseline ? { ...baseline } : undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let lastErrorReason: string | undefined;
  const report =
    onError ??
    ((error: KmsBootError) => {
      if (error.reason === lastErrorReason) return;
      lastErrorReason = error.reason;
      process.stderr.write(`kms: watch: ${error.message}\n`);
    });

  const poll = async () => {
    let next: SecretValues;
    try {
      next = await listValues(client, config, AbortSignal.timeout(config.bootTimeout));
    } catch (error) {
      report(toBootError(error, bootTarget(config)));
      return;
    }
    lastErrorReason = undefined;
    if (stopped) return;
    const before = current;
    current = { ...next };
    if (!before) return;
    const change = diffSecrets(before, next);
    if (!change) return;
    if (env) applyToEnv(env, before, change);
    try {
      await onChange(change);
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      report(new KmsBootError('invalid-secrets', `watch: onChange threw ${name}`, { cause: error }));
    }
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = poll().finally(() => {
        inFlight = undefined;
        schedule(interval);
      });
    }, delay);
    timer.unref?.();
  };
  // The first poll runs at once: with a baseline it catches a change made since boot.
  schedule(0);

  return async () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    await inFlight?.catch(() => undefined);
    await client.close();
  };
}
