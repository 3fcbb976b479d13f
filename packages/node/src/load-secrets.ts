/**
 * `fetchSecrets` and `loadSecrets`: one bounded login + list, then (for `loadSecrets`) the merge into
 * `process.env`.
 *
 * @module
 */
import { KmsAbortError, KmsClient } from '@hanzo/kms';
import { type BootTarget, KmsBootError, toBootError } from './boot-error.js';
import {
  clientAuth,
  configFingerprint,
  type KmsNodeOptions,
  projectLabel,
  type ResolvedKmsConfig,
  resolveConfig,
} from './config.js';
import { type EnvMergeReport, mergeIntoEnv } from './env-merge.js';
import { nodeHttpFetch } from './node-http-fetch.js';
import { redactedRecord } from './redacted-record.js';

/** Name of the variable set after a successful boot; its value is the config fingerprint. */
export const BOOT_MARKER = 'KMS_BOOT_LOADED';

/** Secret values by key. Prints as `{ KEY: '[REDACTED]' }` in `console.log` and `util.inspect`. */
export type SecretValues = Record<string, string>;

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
 * A {@link KmsClient} for a resolved config: universal auth with its credentials, every call (its
 * login, attempts and retry waits, including a login still running after its caller gave up) bounded
 * by the boot timeout, and retry waits capped so that a `Retry-After` storm fails within it.
 */
export function createClient(config: ResolvedKmsConfig, extra: { cacheTtl?: number } = {}): KmsClient {
  return new KmsClient({
    siteUrl: config.siteUrl,
    auth: clientAuth(config),
    fetch: nodeHttpFetch,
    timeout: config.bootTimeout,
    deadline: config.bootTimeout,
    retry: {
      maxRetries: 2,
      initialDelay: 250,
      maxDelay: Math.max(1, Math.min(2000, Math.floor(config.bootTimeout / 4))),
    },
    ...(extra.cacheTtl ? { cache: { ttl: extra.cacheTtl, max: 4 } } : {}),
  });
}

/** The value-free description of what a config reads, for error messages. */
export function bootTarget(config: ResolvedKmsConfig): BootTarget {
  return {
    siteUrl: config.siteUrl,
    project: projectLabel(config),
    environment: config.environment,
    secretPath: config.secretPath,
    timeoutMs: config.bootTimeout,
  };
}

/**
 * Lists the secrets a resolved config names (project, environment, path, `recursive`, `includeImports`,
 * `expandSecretReferences`) with an already configured `client`, in one request. `signal` bounds the
 * call; there is no deadline otherwise (wrap it in {@link withBootDeadline} for one). SDK errors are
 * thrown as they are. Resolves to the values by key, printing redacted.
 *
 * ```ts
 * const config = resolveConfig();
 * const client = createClient(config);
 * const values = await withBootDeadline(config, (signal) => listValues(client, config, signal));
 * ```
 */
export async function listValues(
  client: KmsClient,
  config: ResolvedKmsConfig,
  signal?: AbortSignal,
): Promise<SecretValues> {
  const { secrets } = await client.secrets.list(
    {
      ...secretLocation(config),
      recursive: config.recursive,
      includeImports: config.includeImports,
      expandSecretReferences: config.expandSecretReferences,
    },
    signal ? { signal } : undefined,
  );
  const values: Record<string, string> = {};
  for (const secret of secrets) values[secret.secretKey] = secret.secretValue;
  return redactedRecord(values);
}

/** The SDK location of the configured folder: project (id or slug), environment and path. */
export function secretLocation(
  config: Pick<ResolvedKmsConfig, 'projectId' | 'projectSlug' | 'environment' | 'secretPath'>,
) {
  return {
    ...(config.projectId ? { projectId: config.projectId } : { projectSlug: config.projectSlug! }),
    environment: config.environment,
    secretPath: config.secretPath,
  };
}

/**
 * Runs `work` with a deadline of `config.bootTimeout` covering everything it does (login and list);
 * any failure becomes a {@link KmsBootError} with a one-line message.
 */
export async function withBootDeadline<T>(
  config: ResolvedKmsConfig,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      // A hard bound even if something below does not honour the signal.
      reject(new KmsAbortError('boot deadline'));
    }, config.bootTimeout);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } catch (error) {
    const cause = timedOut && !(error instanceof KmsBootError) ? new KmsAbortError('boot deadline') : error;
    throw toBootError(cause, bootTarget(config));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes `client` (stops its renewal timers and revokes its token) but waits at most `ms` milliseconds:
 * revoking a token is good hygiene, yet it must not hold a boot or a shutdown. The timer is unref'd.
 */
export async function closeWithin(client: KmsClient, ms = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    client.close(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref?.();
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Logs in and reads the secrets a config names, within `bootTimeout` (login and list together). Writes
 * nothing. Throws a {@link KmsBootError} (`reason`, `exitCode`, a one-line message) on any failure.
 */
export async function fetchSecrets(options: KmsNodeOptions | ResolvedKmsConfig = {}): Promise<SecretValues> {
  const config = isResolved(options) ? options : resolveOrThrow(options);
  const client = createClient(config);
  try {
    return await withBootDeadline(config, (signal) => listValues(client, config, signal));
  } finally {
    // Revoking the boot token must not hold the boot: capped at 2 s.
    void closeWithin(client, 2000);
  }
}

/**
 * Logs in, lists the secrets and merges them into `process.env` (or `target`) under the merge policy:
 * `preserve` (default: existing variables win), `override`, or `error` (refuse on conflict, write
 * nothing). The whole call is bounded by `bootTimeout`; on failure nothing has been written and a
 * {@link KmsBootError} says why in one line. Resolves to a report of key names (never values).
 *
 * ```ts
 * const report = await loadSecrets({ environment: 'prod' });
 * console.log(`loaded ${report.loaded.length} secrets, kept ${report.skipped.join(', ')}`);
 * ```
 */
export async function loadSecrets(options: LoadSecretsOptions = {}): Promise<LoadSecretsReport> {
  const { target, ...rest } = options;
  const config = resolveOrThrow(rest);
  const values = await fetchSecrets(config);
  const env = target ?? process.env;
  const report = mergeIntoEnv(env, values, config.envMerge);
  env[BOOT_MARKER] = configFingerprint(config);
  rememberLoaded(config, values);
  return {
    ...report,
    project: projectLabel(config),
    environment: config.environment,
    secretPath: config.secretPath,
    envMerge: config.envMerge,
  };
}

const loadedKey = Symbol.for('@hanzo/kms-node.loaded');
type LoadedState = { fingerprint: string; values: SecretValues };

/**
 * Keeps what the last `loadSecrets` of this process fetched (in memory, like `process.env`), on a global
 * symbol because `register` and the main entry are separate bundles. `watchSecrets` starts from it, so a
 * change between boot and its first poll is not missed.
 */
function rememberLoaded(config: ResolvedKmsConfig, values: SecretValues): void {
  Object.defineProperty(globalThis, loadedKey, {
    value: { fingerprint: configFingerprint(config), values } satisfies LoadedState,
    configurable: true,
    enumerable: false,
    writable: false,
  });
}

/** The secrets the last `loadSecrets` of this process fetched for this same configuration, if any. */
export function loadedSecrets(config: ResolvedKmsConfig): SecretValues | undefined {
  const state = (globalThis as Record<symbol, LoadedState | undefined>)[loadedKey];
  return state && state.fingerprint === configFingerprint(config) ? state.values : undefined;
}

/** {@link resolveConfig}, with its config error wrapped as a `config` {@link KmsBootError}. */
export function resolveOrThrow(options: KmsNodeOptions): ResolvedKmsConfig {
  try {
    return resolveConfig(options);
  } catch (error) {
    throw new KmsBootError('config', error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

function isResolved(options: KmsNodeOptions | ResolvedKmsConfig): options is ResolvedKmsConfig {
  return 'sources' in options && typeof (options as ResolvedKmsConfig).sources === 'object';
}
