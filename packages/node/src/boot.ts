/**
 * What `--import @hanzo/kms-node/register` does, as a function: guards (worker threads, opt-out,
 * inherited secrets), a bounded `loadSecrets`, and on failure one line on stderr and a non-zero exit.
 *
 * @module
 */
import { KmsBootError } from './boot-error.js';
import { configFingerprint, type ResolvedKmsConfig } from './config.js';
import { BOOT_MARKER, bootResolution, type LoadSecretsReport, loadResolved } from './load-secrets.js';

/** Why {@link bootFromEnvironment} did not load anything. */
export type BootSkipReason = 'worker-thread' | 'disabled' | 'inherited';

/** Outcome of {@link bootFromEnvironment}. */
export type BootOutcome =
  | { loaded: true; report: LoadSecretsReport }
  | { loaded: false; skipped: BootSkipReason };

/** Options of {@link bootFromEnvironment}. */
export interface BootOptions {
  /** The environment to read and fill. @default process.env */
  env?: Record<string, string | undefined>;
  /** Where the one-line messages go. @default process.stderr */
  stderr?: { write(text: string): unknown };
  /** Called with the exit code on failure. @default process.exit */
  exit?: (code: number) => void;
}

/**
 * Whether this runs in a worker thread. Node replaces `process.chdir` in workers with a function named
 * `unavailableInWorker` (Node 20 to 24), which tells without loading `node:worker_threads` (~2 MB of
 * RSS on every boot). Should a later Node rename it, a worker is still skipped: it inherits
 * `KMS_BOOT_LOADED` with the environment (the `inherited` check below).
 */
function inWorkerThread(): boolean {
  return process.chdir?.name === 'unavailableInWorker';
}

/** Whether `value` of `KMS_DISABLE` turns boot-loading off. */
function isDisabled(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/**
 * Boot-loads secrets into `process.env` from `KMS_*` configuration. Skips (returns `loaded: false`) in
 * worker threads, when `KMS_DISABLE=1`, and when the environment was already filled by a parent process
 * with the same configuration (the `KMS_BOOT_LOADED` marker). On failure writes one line
 * `kms: cannot load secrets: <cause>` to stderr and exits with the reason's code ({@link exitCodes}).
 */
export async function bootFromEnvironment(options: BootOptions = {}): Promise<BootOutcome> {
  const env = options.env ?? process.env;
  const stderr = options.stderr ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if (inWorkerThread()) return { loaded: false, skipped: 'worker-thread' };
  if (isDisabled(env.KMS_DISABLE)) return { loaded: false, skipped: 'disabled' };
  try {
    // The configuration is resolved once. With a marker, in two steps: what it reads, whose
    // fingerprint tells whether a parent loaded these secrets already (a child that inherited them but
    // not the credentials, dropped on purpose, is still recognised), then how it logs in.
    const options = { env };
    const marker = env[BOOT_MARKER];
    let config: ResolvedKmsConfig;
    if (marker) {
      const located = bootResolution.locate(options);
      if (marker === configFingerprint(located)) return { loaded: false, skipped: 'inherited' };
      config = bootResolution.login(located, options);
    } else config = bootResolution.whole(options);
    const report = await loadResolved(config, env);
    if (report.skipped.length > 0) {
      stderr.write(
        `kms: kept existing ${report.skipped.length === 1 ? 'variable' : 'variables'} ${report.skipped.join(', ')} (KMS_ENV_MERGE=preserve)\n`,
      );
    }
    return { loaded: true, report };
  } catch (error) {
    const bootError = error instanceof KmsBootError ? error : new KmsBootError('unreachable', 'boot failed');
    stderr.write(`kms: cannot load secrets: ${bootError.message}\n`);
    exit(bootError.exitCode);
    throw bootError;
  }
}
