/**
 * Options of {@link KmsClient}, validated with zod at construction: unknown keys are rejected and a
 * {@link KmsConfigError} names the offending option.
 *
 * @module
 */
import * as z from 'zod/mini';
import {
  type JwtLoginCredentials,
  jwtLoginSchema,
  type LoginStrategy,
  type UniversalAuthCredentials,
  universalAuthSchema,
} from './auth/login-strategy.js';
import { KmsConfigError } from './errors.js';
import {
  isCleanString,
  isOptionalBoolean,
  isPlainWithKeys,
  isWholeNumber,
  lazySchemas,
  nonEmptyString,
  parseInput,
} from './input-validation.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry-policy.js';
import type { KmsLogger } from './telemetry.js';
import type { FetchLike } from './fetch-like.js';

/** How the client authenticates. With this option the client logs in lazily, on its first request. */
export type KmsAuthOptions =
  | {
      /** Universal Auth machine identity credentials (full token lifecycle). */
      universalAuth: UniversalAuthCredentials;
    }
  | {
      /** OIDC Auth (e.g. a SPIFFE JWT-SVID): `jwt` may be a function, called at every login (full token lifecycle). */
      oidc: JwtLoginCredentials;
    }
  | {
      /** JWT Auth: `jwt` may be a function, called at every login (full token lifecycle). */
      jwt: JwtLoginCredentials;
    }
  | {
      /** A ready access token, used as is (no renewal, no re-login). */
      accessToken: string;
    }
  | {
      /** Any {@link LoginStrategy} (full token lifecycle): the seam for OIDC, JWT and Kubernetes auth. */
      strategy: LoginStrategy;
    };

/** In-memory response cache settings (`cache` option). Nothing is ever written to disk. */
export interface KmsCacheOptions {
  /** How long a cached read is served without asking the server, in milliseconds. @default 60000 */
  ttl?: number;
  /** Maximum number of cached reads. @default 1000 */
  max?: number;
  /**
   * When the server cannot be reached (connection error, timeout, 5xx after retries), serve the last
   * good value and mark the result `stale: true` instead of throwing.
   * @default false
   */
  staleIfError?: boolean;
  /**
   * Ask the server on every read, sending the cached answer's ETag in `If-None-Match`: an unchanged
   * folder costs a `304` (no body, no decryption on the server) and the cached answer is reused. `ttl`
   * is then ignored. For pollers that must see every change at once (`@hanzo/kms-node`'s sessions).
   * @default false
   */
  revalidate?: boolean;
}

/** Options of `new KmsClient(options)`. */
export interface KmsClientOptions {
  /**
   * Base URL of the KMS server, e.g. `https://kms.example.com`. `/api` is appended unless the URL
   * already ends with it (as kms-go does).
   */
  siteUrl: string;
  /** Credentials; when given, the client logs in on its first request. @default undefined (call `client.auth.*`) */
  auth?: KmsAuthOptions;
  /** In-memory cache of `secrets.list` and `secrets.retrieve`; `false` or absent turns it off. @default false */
  cache?: KmsCacheOptions | false;
  /** Retry policy of idempotent requests; `false` disables retries. @default { maxRetries: 2, initialDelay: 500, maxDelay: 30000 } */
  retry?: Partial<RetryPolicy> | false;
  /** Timeout of each HTTP attempt in milliseconds. @default 30000 */
  timeout?: number;
  /**
   * Time budget of one call in milliseconds, covering login, attempts and retry waits; the per-attempt
   * `timeout` is shortened to fit it. @default 60000
   */
  deadline?: number;
  /** Extra headers sent with every request (`Authorization` is not allowed here). @default {} */
  headers?: Record<string, string>;
  /** `User-Agent` header value. @default "@hanzo/kms/<version>" */
  userAgent?: string;
  /**
   * The `fetch` implementation to use: `globalThis.fetch`, a wrapped one, or any {@link FetchLike}
   * (the SDK reads only `status`, `headers.get()` and `text()` of the response).
   * @default globalThis.fetch (resolved at call time)
   */
  fetch?: FetchLike;
  /**
   * OpenTelemetry spans (one per call, `kms.secrets.list`…) when the app registered a tracer provider
   * and `@opentelemetry/api` is installed; `false` turns them off. See docs/observability.md.
   * @default true
   */
  tracing?: boolean;
  /**
   * A logger for apps without OpenTelemetry (`console` works): one `debug` line per call, `info` for
   * logins the SDK did on its own, `warn` for retries and failed background refreshes. Lines and their
   * fields never hold a secret value, token or secret name. @default undefined (silent)
   */
  logger?: KmsLogger;
}

const positiveInt = () => z.number().check(z.int(), z.positive());
const nonNegativeInt = () => z.number().check(z.int(), z.nonnegative());

/** @internal The schema of {@link KmsClientOptions}, built on first use. */
export const optionsSchema = lazySchemas(() => {
  const authSchema = z.union([
    z.strictObject({ universalAuth: universalAuthSchema() }),
    z.strictObject({ oidc: jwtLoginSchema() }),
    z.strictObject({ jwt: jwtLoginSchema() }),
    z.strictObject({ accessToken: nonEmptyString() }),
    z.strictObject({
      strategy: z.custom<LoginStrategy>(
        (s) => typeof s === 'object' && s !== null && typeof (s as LoginStrategy).loginRequest === 'function',
      ),
    }),
  ]);

  return z.strictObject({
    siteUrl: z.url({ protocol: /^https?$/ }),
    auth: z.optional(authSchema),
    cache: z.optional(
      z.union([
        z.literal(false),
        z.strictObject({
          ttl: z.optional(positiveInt()),
          max: z.optional(positiveInt()),
          staleIfError: z.optional(z.boolean()),
          revalidate: z.optional(z.boolean()),
        }),
      ]),
    ),
    retry: z.optional(
      z.union([
        z.literal(false),
        z.strictObject({
          maxRetries: z.optional(nonNegativeInt()),
          initialDelay: z.optional(nonNegativeInt()),
          maxDelay: z.optional(nonNegativeInt()),
        }),
      ]),
    ),
    timeout: z.optional(positiveInt()),
    deadline: z.optional(positiveInt()),
    headers: z.optional(z.record(z.string(), z.string())),
    userAgent: z.optional(nonEmptyString()),
    fetch: z.optional(z.custom<FetchLike>((f) => typeof f === 'function')),
    tracing: z.optional(z.boolean()),
    logger: z.optional(
      z.custom<KmsLogger>(
        (l) =>
          typeof l === 'object' &&
          l !== null &&
          (['debug', 'info', 'warn'] as const).every(
            (m) =>
              (l as Record<string, unknown>)[m] === undefined ||
              typeof (l as Record<string, unknown>)[m] === 'function',
          ),
        'expected an object whose debug, info and warn are functions (console works)',
      ),
    ),
  });
});

/** An http(s) URL of a host (name or IPv4), an optional port and a plain path, that `URL` parses. */
const PLAIN_SITE_URL = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;

function isPlainSiteUrl(value: unknown): boolean {
  if (typeof value !== 'string' || !PLAIN_SITE_URL.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

function isCommonAuth(auth: unknown): boolean {
  if (auth === undefined) return true;
  if (!isPlainWithKeys(auth, ['universalAuth', 'oidc', 'jwt', 'accessToken'])) return false;
  const [method, ...more] = Object.keys(auth);
  if (method === undefined || more.length > 0) return false;
  const value = auth[method];
  if (method === 'accessToken') return isCleanString(value);
  if (method === 'universalAuth') {
    return (
      isPlainWithKeys(value, ['clientId', 'clientSecret']) &&
      isCleanString(value.clientId) &&
      isCleanString(value.clientSecret)
    );
  }
  return (
    isPlainWithKeys(value, ['identityId', 'jwt']) &&
    isCleanString(value.identityId) &&
    (isCleanString(value.jwt) || typeof value.jwt === 'function')
  );
}

/**
 * The shapes `@hanzo/kms-node` and most apps pass, recognised without zod (see the fast paths in
 * `input-validation.ts`): when this says yes, the schema would return `input` unchanged.
 */
export function isCommonClientOptions(input: unknown): boolean {
  const keys = ['siteUrl', 'auth', 'cache', 'retry', 'timeout', 'deadline', 'fetch', 'tracing', 'userAgent'];
  if (!isPlainWithKeys(input, keys)) return false;
  const { siteUrl, auth, cache, retry, timeout, deadline, fetch, tracing, userAgent } = input;
  const cacheOk =
    cache === undefined ||
    cache === false ||
    (isPlainWithKeys(cache, ['ttl', 'max', 'staleIfError', 'revalidate']) &&
      (cache.ttl === undefined || isWholeNumber(cache.ttl, 1)) &&
      (cache.max === undefined || isWholeNumber(cache.max, 1)) &&
      isOptionalBoolean(cache.staleIfError) &&
      isOptionalBoolean(cache.revalidate));
  const retryOk =
    retry === undefined ||
    retry === false ||
    (isPlainWithKeys(retry, ['maxRetries', 'initialDelay', 'maxDelay']) &&
      Object.values(retry).every((v) => v === undefined || isWholeNumber(v, 0)));
  return (
    isPlainSiteUrl(siteUrl) &&
    isCommonAuth(auth) &&
    cacheOk &&
    retryOk &&
    (timeout === undefined || isWholeNumber(timeout, 1)) &&
    (deadline === undefined || isWholeNumber(deadline, 1)) &&
    (fetch === undefined || typeof fetch === 'function') &&
    isOptionalBoolean(tracing) &&
    (userAgent === undefined || isCleanString(userAgent))
  );
}

/** Options after validation and defaults. */
export interface ResolvedClientOptions {
  baseUrl: string;
  auth: KmsAuthOptions | undefined;
  cache: Required<KmsCacheOptions> | undefined;
  retry: RetryPolicy;
  timeout: number;
  deadline: number;
  headers: Record<string, string>;
  fetch: FetchLike | undefined;
  tracing: boolean;
  logger: KmsLogger | undefined;
}

/** Replaced by the package.json version at build time (tsup.config.ts, vitest.config.ts). */
declare const __KMS_SDK_VERSION__: string;

/** The SDK version (the package's `version`), sent in the default `User-Agent`. */
export const SDK_VERSION: string = __KMS_SDK_VERSION__;

/** Appends `/api` to the site URL unless present, dropping trailing slashes (kms-go `AppendAPIEndpoint`). */
export function apiBaseUrl(siteUrl: string): string {
  const trimmed = siteUrl.trim().replace(/\/+$/, '');
  return trimmed.endsWith('/api') ? trimmed : `${trimmed}/api`;
}

/** Validates raw options; throws {@link KmsConfigError} naming the first bad option. */
export function resolveClientOptions(input: unknown): ResolvedClientOptions {
  if (typeof input !== 'object' || input === null) {
    throw new KmsConfigError('options', 'expected an object with at least `siteUrl`');
  }
  const options = isCommonClientOptions(input)
    ? (input as z.output<ReturnType<typeof optionsSchema>>)
    : parseInput(optionsSchema(), input, '', 'config');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (name.toLowerCase() === 'authorization') {
      throw new KmsConfigError(`headers.${name}`, 'the SDK sets Authorization itself; use `auth`');
    }
    headers[name] = value;
  }
  headers['user-agent'] = options.userAgent ?? `@hanzo/kms/${SDK_VERSION}`;
  return {
    baseUrl: apiBaseUrl(options.siteUrl),
    auth: options.auth as KmsAuthOptions | undefined,
    cache: options.cache
      ? {
          ttl: options.cache.ttl ?? 60_000,
          max: options.cache.max ?? 1000,
          staleIfError: options.cache.staleIfError ?? false,
          revalidate: options.cache.revalidate ?? false,
        }
      : undefined,
    retry:
      options.retry === false
        ? { ...defaultRetryPolicy, maxRetries: 0 }
        : { ...defaultRetryPolicy, ...stripUndefined(options.retry ?? {}) },
    timeout: options.timeout ?? 30_000,
    deadline: options.deadline ?? 60_000,
    headers,
    fetch: options.fetch,
    tracing: options.tracing ?? true,
    logger: options.logger,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
