/**
 * `watchSecrets`: in-process live refresh, a {@link SecretsSession} that polls and reports changed keys.
 *
 * @module
 */
import { KmsBootError } from './boot-error.js';
import type { SecretsChange } from './changes.js';
import type { KmsNodeOptions } from './config.js';
import { bootBaseline, createSecretsSession } from './load-secrets.js';

/** Options of {@link watchSecrets}. */
export interface WatchSecretsOptions extends KmsNodeOptions {
  /** Poll interval in milliseconds, as `refreshInterval` everywhere in the family. @default 30000 */
  refreshInterval?: number;
  /** @deprecated The first name of {@link WatchSecretsOptions.refreshInterval}; still accepted. */
  interval?: number;
  /** Called after each poll that found a difference. A thrown or rejected callback is reported to `onError`. */
  onChange: (change: SecretsChange) => void | Promise<void>;
  /**
   * Called when a poll fails (the watch goes on), once per kind of failure in a row.
   * @default a one-line warning on stderr
   */
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

/**
 * Polls the configured folder every `refreshInterval` ms (an unchanged folder is a 304) and calls
 * `onChange` with the added, changed and removed key names (and the new values, for the callback
 * only), so an app can rotate a database pool without a restart. Polls never overlap; timers are
 * unref'd, so a watch never keeps the process alive. Configuration is resolved like `loadSecrets`
 * (throws a `config` {@link KmsBootError} at once).
 *
 * ```ts
 * const stop = watchSecrets({ refreshInterval: 15_000, onChange: ({ changed, values }) => {
 *   if (changed.includes('DATABASE_URL')) pool.reconnect(values.DATABASE_URL);
 * } });
 * ```
 */
export function watchSecrets(options: WatchSecretsOptions): StopWatching {
  const { interval, refreshInterval = interval ?? 30_000, onError, initial, ...rest } = options;
  if (!Number.isInteger(refreshInterval) || refreshInterval < 1) {
    throw new KmsBootError(
      'config',
      `option refreshInterval must be a positive number of milliseconds, got ${refreshInterval}`,
    );
  }
  const report = onError ?? ((error: KmsBootError) => process.stderr.write(`kms: watch: ${error.message}\n`));
  const session = createSecretsSession({ ...rest, refreshInterval, onRefreshError: report });
  const baseline = initial ?? bootBaseline(session.config);
  // The first poll runs at once: with a baseline it catches a change made since boot.
  const started = (baseline ? session.adopt(baseline) : Promise.resolve()).then(
    () => session.start(0),
    (error: unknown) => report(error as KmsBootError),
  );
  return async () => {
    await started;
    await session.close(2000);
  };
}
