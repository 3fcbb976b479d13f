/**
 * The Node side of the secrets session: the platform (credential files, `node:http`),
 * `createSecretsSession`, and the one-shot `fetchSecrets` / `loadSecrets` that the boot, `kms` and
 * `kms-next check` use.
 *
 * @module
 */
import type { EnvMergeReport } from '@hanzo/kms';
import { KmsBootError } from './boot-error.js';
import type { SecretValues } from './changes.js';
import {
  addLogin,
  clientAuth,
  configFingerprint,
  type KmsNodeOptions,
  type LocatedConfig,
  locateConfig,
  projectLabel,
  type ResolvedKmsConfig,
  resolveCheckedConfig,
  resolveConfig,
} from './config.js';
import { nodeHttpFetch } from './node-http-fetch.js';
import { redactedRecord } from './redacted-record.js';
import { SecretsSession, type SecretsSessionOptions, type SessionPlatform } from './session.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** Name of the variable set after a successful boot; its value is the config fingerprint. */
export const BOOT_MARKER = 'KMS_BOOT_LOADED';

/** Node: options, `KMS_*` variables and credential files; JWT files read at every login; `node:http`. */
export const nodePlatform: SessionPlatform = {
  resolveConfig: resolveCheckedConfig,
  auth: clientAuth,
  fetch: nodeHttpFetch,
};

/**
 * A {@link SecretsSession} on Node: configuration from `options`, then `KMS_*` variables, then the
 * credential files of `credentialsDir`. Throws a `config` {@link KmsBootError} at once for bad options
 * or configuration; nothing is fetched until `load()`, `refresh()` or `start()`.
 *
 * ```ts
 * const session = createSecretsSession({ schema, refreshInterval: 60_000 });
 * await session.load();
 * session.onChange(({ changed }) => { if (changed.includes('DATABASE_URL')) pool.reconnect(); });
 * session.start();
 * const db = connect(session.values.DATABASE_URL);
 * ```
 */
export function createSecretsSession<S extends StandardSchemaV1 | undefined = undefined>(
  options: SecretsSessionOptions<S> = {},
): SecretsSession<S> {
  return new SecretsSession(options, nodePlatform);
}

/**
 * A session over an already resolved config (the CLI and the boot resolve once), writing `writeEnv`
 * if given.
 */
function sessionOf(config: ResolvedKmsConfig, writeEnv?: Record<string, string | undefined>): SecretsSession {
  return new SecretsSession(writeEnv ? { writeEnv } : {}, { ...nodePlatform, resolveConfig: () => config });
}

/** Options of {@link loadSecrets}. */
export interface LoadSecretsOptions extends KmsNodeOptions {
  /** The object to write into. @default process.env */
  target?: Record<string, string | undefined>;
}

/** What {@link loadSecrets} did: key names only, never values. */
export interface LoadSecretsReport extends EnvMergeReport {
  /** Project slug or id that was read. */
  project: string;
  /** Environment slug. */
  environment: string;
  /** Folder path. */
  secretPath: string;
  /** The merge policy applied. */
  envMerge: ResolvedKmsConfig['envMerge'];
}

/**
 * Logs in and reads the secrets a config names, within `bootTimeout` (login and list together), then
 * revokes the token. Writes nothing. Throws a {@link KmsBootError} (`reason`, `exitCode`, a one-line
 * message) on any failure. Resolves to the values by key, printing redacted.
 */
export async function fetchSecrets(options: KmsNodeOptions | ResolvedKmsConfig = {}): Promise<SecretValues> {
  const session = isResolved(options) ? sessionOf(options) : createSecretsSession(options);
  try {
    await session.load();
    return redactedRecord({ ...session.secrets });
  } finally {
    // Revoking the boot token must not hold the boot: capped at 2 s.
    void session.close(2000);
  }
}

/**
 * Logs in, lists the secrets and merges them into `process.env` (or `target`) under the merge policy:
 * `preserve` (default: variables holding another value win; unset and empty ones are filled),
 * `override`, or `error` (refuse on conflict, write nothing). The whole call is bounded by
 * `bootTimeout`; on failure nothing has been written and a {@link KmsBootError} says why in one line.
 * Resolves to a report of key names (never values).
 *
 * ```ts
 * const report = await loadSecrets({ environment: 'prod' });
 * console.log(`loaded ${report.loaded.length} secrets, kept ${report.skipped.join(', ')}`);
 * ```
 */
export async function loadSecrets(options: LoadSecretsOptions = {}): Promise<LoadSecretsReport> {
  const { target, ...rest } = options;
  const env = target ?? process.env;
  return loadInto(createSecretsSession({ ...rest, writeEnv: env }), env);
}

/**
 * @internal {@link loadSecrets} of a config already resolved (the boot resolves it once, `boot.ts`):
 * the same load, merge, marker and report.
 */
export function loadResolved(
  config: ResolvedKmsConfig,
  env: Record<string, string | undefined>,
): Promise<LoadSecretsReport> {
  return loadInto(sessionOf(config, env), env);
}

/** Loads `session` (which writes `env`), sets the boot marker and reports; closes the session either way. */
async function loadInto(
  session: SecretsSession,
  env: Record<string, string | undefined>,
): Promise<LoadSecretsReport> {
  try {
    const { merge } = await session.load();
    const fingerprint = configFingerprint(session.config);
    env[BOOT_MARKER] = fingerprint;
    lastBoot = { fingerprint, values: { ...session.secrets } };
    return {
      ...merge!,
      project: projectLabel(session.config),
      environment: session.config.environment,
      secretPath: session.config.secretPath,
      envMerge: session.config.envMerge,
    };
  } finally {
    void session.close(2000);
  }
}

/** What the last `loadSecrets` of this process fetched (in memory, like `process.env`). */
let lastBoot: { fingerprint: string; values: Record<string, string> } | undefined;

/**
 * The secrets the last `loadSecrets` of this process (e.g. `--import @hanzo/kms-node/register`) fetched
 * for this same configuration, if any: `watchSecrets` starts from them, so a change between boot and
 * its first poll is not missed. (The ES build shares this module between `register` and the main
 * entry; a CommonJS `require` of the main entry has its own copy and starts without.)
 */
export function bootBaseline(config: ResolvedKmsConfig): Record<string, string> | undefined {
  return lastBoot && lastBoot.fingerprint === configFingerprint(config) ? lastBoot.values : undefined;
}

/** {@link resolveConfig}, with its config error wrapped as a `config` {@link KmsBootError}. */
export function resolveOrThrow(options: KmsNodeOptions): ResolvedKmsConfig {
  return asBootError(() => resolveConfig(options));
}

/**
 * @internal {@link resolveOrThrow} for the boot, for options it made itself (no check): `whole`, or in
 * two steps around the inherited-secrets check, what a config reads (`locate`), then how it logs in
 * (`login`). Either way each setting is read once.
 */
export const bootResolution = {
  whole: (options: KmsNodeOptions): ResolvedKmsConfig => asBootError(() => resolveCheckedConfig(options)),
  locate: (options: KmsNodeOptions): LocatedConfig => asBootError(() => locateConfig(options)),
  login: (located: LocatedConfig, options: KmsNodeOptions): ResolvedKmsConfig =>
    asBootError(() => addLogin(located, options)),
};

/** Runs `resolve`; a configuration error becomes a `config` {@link KmsBootError}. */
function asBootError<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    throw new KmsBootError('config', error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

function isResolved(options: KmsNodeOptions | ResolvedKmsConfig): options is ResolvedKmsConfig {
  return 'sources' in options && typeof (options as ResolvedKmsConfig).sources === 'object';
}
