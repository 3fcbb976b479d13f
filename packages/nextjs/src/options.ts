/**
 * The adapter's options: `@hanzo/kms-node`'s own (and the same `KMS_*` variables and credential files)
 * plus three, checked by kms-node's one option check.
 *
 * @module
 */
import type { KmsNodeOptions, SecretsSessionOptions } from '@hanzo/kms-node/env';
import { findOptionProblem, sessionOptionRules } from '@hanzo/kms-node/internal';
import { KmsNextError } from './errors.js';

/** Options of {@link withKms} and {@link registerKms}. Every connection option falls back to its `KMS_*` variable. */
export interface KmsNextOptions extends KmsNodeOptions {
  /**
   * Fetch secrets during `next build` as well. Only for builds that truly need a secret (e.g. a page that
   * must be prerendered from a private API): whatever a prerendered page renders is written into the
   * build output and served as is. Prints a warning when used.
   * @default false
   */
  loadAtBuild?: boolean;
  /**
   * Also write the secrets into the server's `process.env` (merged under `envMerge`; changes found by a
   * refresh follow where KMS put the value), for code that reads `process.env.X`. `getSecret()` works
   * either way. Ignored on the edge runtime.
   * @default true
   */
  writeEnv?: boolean;
  /**
   * Re-read the secrets every `refreshInterval` milliseconds in the background (the current values are
   * served meanwhile), as in every package of the family. `0` never re-reads.
   * @default 0
   */
  refreshInterval?: number;
}

const adapterRules = {
  loadAtBuild: 'boolean',
  writeEnv: 'boolean',
  refreshInterval: sessionOptionRules.refreshInterval!,
} as const;

/**
 * @internal Checks options where they are written (next.config, instrumentation.ts), so a typo fails the
 * build or the start with the option's name. Never echoes a value.
 */
export function checkOptions(caller: string, options: unknown): KmsNextOptions {
  if (options === undefined) return {};
  const problem = findOptionProblem(options, '@hanzo/kms-nextjs', adapterRules);
  if (problem) {
    const what = problem.field === 'options' ? 'options' : `option ${problem.field}`;
    throw new KmsNextError(`${caller}: ${what} ${problem.problem}`, { configKey: problem.field });
  }
  return options as KmsNextOptions;
}

/**
 * @internal The session's options: the connection options, `refreshInterval`, and `process.env` written
 * on Node unless `writeEnv: false` (never on the edge). A failed background refresh keeps the values
 * loaded before, and one value-free line says so.
 */
export function sessionOptions(options: KmsNextOptions, onNode: boolean): SecretsSessionOptions {
  const { loadAtBuild: _build, writeEnv = true, ...rest } = options;
  return {
    ...rest,
    writeEnv: onNode && writeEnv,
    onRefreshError: (error) =>
      console.warn(`[@hanzo/kms-nextjs] refresh failed, serving the values loaded before: ${error.message}`),
  };
}
