/**
 * The client a session (or a `kms secrets` command) talks through, and the deadline every load runs
 * under. Runtime-neutral: the caller passes the login (`auth`) and the transport (`fetch`), so the edge
 * build uses the same code with the global `fetch` and no credential files.
 *
 * @module
 */
import { type FetchLike, KmsAbortError, type KmsAuthOptions, KmsClient } from '@hanzo/kms';
import { type BootTarget, KmsBootError, toBootError } from './boot-error.js';
import type { ResolvedKmsConfig } from './env.js';
import { projectLabel } from './location.js';

/** How a runtime logs in and talks HTTP: Node reads credential files and uses `node:http`, the edge neither. */
export interface ClientPlatform {
  /** The `auth` option of the client for a resolved config. */
  auth(config: ResolvedKmsConfig): KmsAuthOptions;
  /** The transport. @default the global `fetch` */
  fetch?: FetchLike;
}

/**
 * A {@link KmsClient} for a resolved config: every call (its login, attempts and retry waits) bounded by
 * the boot timeout, retry waits capped so that a `Retry-After` storm fails within it. With `revalidate`,
 * every list asks the server with the last ETag (`If-None-Match`): an unchanged folder is a 304.
 */
export function createClient(
  config: ResolvedKmsConfig,
  platform: ClientPlatform,
  options: { revalidate?: boolean } = {},
): KmsClient {
  return new KmsClient({
    siteUrl: config.siteUrl,
    auth: platform.auth(config),
    ...(platform.fetch ? { fetch: platform.fetch } : {}),
    timeout: config.bootTimeout,
    deadline: config.bootTimeout,
    retry: {
      maxRetries: 2,
      initialDelay: 250,
      maxDelay: Math.max(1, Math.min(2000, Math.floor(config.bootTimeout / 4))),
    },
    ...(options.revalidate ? { cache: { revalidate: true, max: 4 } } : {}),
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
 * Lists the configured folder (with `recursive`, `includeImports`, `expandSecretReferences`) in one
 * request and returns the values by key. SDK errors are thrown as they are.
 */
export async function listValues(
  client: KmsClient,
  config: ResolvedKmsConfig,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
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
  return values;
}

/**
 * Runs `work` with a deadline of `config.bootTimeout` covering everything it does (login and list);
 * any failure becomes a {@link KmsBootError} with a one-line message, starting with `source` if given.
 */
export async function withBootDeadline<T>(
  config: ResolvedKmsConfig,
  work: (signal: AbortSignal) => Promise<T>,
  source?: string,
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
    throw toBootError(cause, bootTarget(config), source);
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
      (timer as { unref?: () => void }).unref?.();
    }),
  ]);
  clearTimeout(timer);
}
