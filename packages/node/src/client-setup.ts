/**
 * The client a session (or a `kms secrets` command) talks through, and the boot timeout every load
 * runs under: the SDK's call deadline, so no timer is kept here. Runtime-neutral: the caller passes the login (`auth`) and the transport (`fetch`), so the edge
 * build uses the same code with the global `fetch` and no credential files.
 *
 * @module
 */
import { type FetchLike, type KmsAuthOptions, KmsClient, type RequestOptions } from '@hanzo/kms';
import { type BootTarget, type KmsBootError, toBootError } from './boot-error.js';
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
 * the boot timeout (the SDK's `deadline`), retry waits capped so that a `Retry-After` storm fails within it. With `revalidate`,
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
  requestOptions?: RequestOptions,
): Promise<Record<string, string>> {
  const { secrets } = await client.secrets.list(
    {
      ...secretLocation(config),
      recursive: config.recursive,
      includeImports: config.includeImports,
      expandSecretReferences: config.expandSecretReferences,
    },
    requestOptions,
  );
  const values: Record<string, string> = {};
  for (const secret of secrets) values[secret.secretKey] = secret.secretValue;
  return values;
}

/**
 * Runs `work`, one or more calls of a {@link createClient} client, within `config.bootTimeout` as a
 * whole: each call passes `remaining()` as its request options, so its SDK deadline is what is left of
 * the boot timeout and the SDK ends the step on time. Any failure becomes a {@link KmsBootError} with a
 * one-line message, starting with `source` if given.
 */
export async function withinBootTimeout<T>(
  config: ResolvedKmsConfig,
  work: (remaining: () => RequestOptions) => Promise<T>,
  source?: string,
): Promise<T> {
  const endsAt = Date.now() + config.bootTimeout;
  try {
    return await work(() => ({ deadline: Math.max(1, endsAt - Date.now()) }));
  } catch (error) {
    throw toBootError(error, bootTarget(config), source);
  }
}

/**
 * Closes `client` (stops its renewal timers and revokes its token) but waits at most `ms` milliseconds:
 * revoking a token is good hygiene, yet it must not hold a boot or a shutdown. The wait never keeps the process alive.
 */
export async function closeWithin(client: KmsClient, ms = 2000): Promise<void> {
  // AbortSignal.timeout's timer never keeps the process alive.
  const limit = AbortSignal.timeout(ms);
  await new Promise<void>((resolve) => {
    limit.addEventListener('abort', () => resolve(), { once: true });
    client.close().then(resolve, resolve);
  });
}
