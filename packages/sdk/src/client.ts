/**
 * The client: options, transport, token manager, cache and the resources `auth`, `secrets`, `folders`,
 * `kms`.
 *
 * @module
 */
import { jwtAuthStrategy, oidcAuthStrategy, universalAuthStrategy } from './auth/login-strategy.js';
import { isUsesExhausted, TokenManager, type TokenLease } from './auth/token-manager.js';
import { CallScope } from './call-scope.js';
import {
  type KmsClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
  SDK_VERSION,
} from './client-options.js';
import * as errors from './errors.js';
import { KmsEventEmitter, type KmsClientEvents, type KmsClientListener } from './events.js';
import { printAs, REDACTED } from './redaction.js';
import { type CacheScope, ResponseCache } from './response-cache.js';
import { Auth } from './resources/auth.js';
import { ChangeNotices } from './resources/changes.js';
import { Folders } from './resources/folders.js';
import { Kms } from './resources/kms.js';
import type { ResourceContext } from './resources/resource.js';
import { Secrets } from './resources/secrets.js';
import { type CallObservation, type KmsLogger, Telemetry } from './telemetry.js';
import { type ApiRequest, type ApiResponse, HttpTransport } from './transport.js';

function isTokenRejection(error: unknown): error is errors.KmsApiError {
  return (
    error instanceof errors.KmsApiError &&
    (error.status === 401 || (error.status === 403 && error.error === 'TokenError'))
  );
}

/** How many times one call may replace a token whose uses ran out (see `KmsClient#request`). */
const EXHAUSTION_RETRY_BUDGET = 4;

function isUnreachable(error: unknown): boolean {
  return (
    error instanceof errors.KmsConnectionError ||
    error instanceof errors.KmsInternalServerError ||
    error instanceof errors.KmsRateLimitError
  );
}

/**
 * A Hanzo KMS client (camelCase mirror of kms-go).
 *
 * ```ts
 * const kms = new KmsClient({ siteUrl: 'https://kms.example.com', auth: { universalAuth: { clientId, clientSecret } } });
 * const { secrets } = await kms.secrets.list({ projectId, environment: 'prod' });
 * ```
 */
export class KmsClient {
  /** Session: log in, set a token, renew, revoke. */
  readonly auth: Auth;
  /** Secrets: list, retrieve, create, update, delete, batch. */
  readonly secrets: Secrets;
  /** Folders: list, create, update, delete. */
  readonly folders: Folders;
  /** Project KMS keys: encrypt, decrypt, sign, verify (`kms.kms.*`), and `kms.kms.keys` to manage them. */
  readonly kms: Kms;
  /** Change notices pushed by the server (`changes.subscribe`). */
  readonly changes: ChangeNotices;

  readonly #options: ResolvedClientOptions;
  readonly #transport: HttpTransport;
  readonly #tokens: TokenManager;
  readonly #events = new KmsEventEmitter();
  readonly #cache: ResponseCache | undefined;
  readonly #telemetry: Telemetry;

  // Every error class, reachable without an extra import (`KmsClient.KmsNotFoundError`).
  /** Alias of {@link KmsError}. @group Error class aliases */
  static readonly KmsError = errors.KmsError;
  /** Alias of {@link KmsApiError}. @group Error class aliases */
  static readonly KmsApiError = errors.KmsApiError;
  /** Alias of {@link KmsBadRequestError}. @group Error class aliases */
  static readonly KmsBadRequestError = errors.KmsBadRequestError;
  /** Alias of {@link KmsAuthenticationError}. @group Error class aliases */
  static readonly KmsAuthenticationError = errors.KmsAuthenticationError;
  /** Alias of {@link KmsIdentityLockedError}. @group Error class aliases */
  static readonly KmsIdentityLockedError = errors.KmsIdentityLockedError;
  /** Alias of {@link KmsPermissionDeniedError}. @group Error class aliases */
  static readonly KmsPermissionDeniedError = errors.KmsPermissionDeniedError;
  /** Alias of {@link KmsNotFoundError}. @group Error class aliases */
  static readonly KmsNotFoundError = errors.KmsNotFoundError;
  /** Alias of {@link KmsConflictError}. @group Error class aliases */
  static readonly KmsConflictError = errors.KmsConflictError;
  /** Alias of {@link KmsUnprocessableEntityError}. @group Error class aliases */
  static readonly KmsUnprocessableEntityError = errors.KmsUnprocessableEntityError;
  /** Alias of {@link KmsRateLimitError}. @group Error class aliases */
  static readonly KmsRateLimitError = errors.KmsRateLimitError;
  /** Alias of {@link KmsInternalServerError}. @group Error class aliases */
  static readonly KmsInternalServerError = errors.KmsInternalServerError;
  /** Alias of {@link KmsResponseParseError}. @group Error class aliases */
  static readonly KmsResponseParseError = errors.KmsResponseParseError;
  /** Alias of {@link KmsConnectionError}. @group Error class aliases */
  static readonly KmsConnectionError = errors.KmsConnectionError;
  /** Alias of {@link KmsTimeoutError}. @group Error class aliases */
  static readonly KmsTimeoutError = errors.KmsTimeoutError;
  /** Alias of {@link KmsAbortError}. @group Error class aliases */
  static readonly KmsAbortError = errors.KmsAbortError;
  /** Alias of {@link KmsValidationError}. @group Error class aliases */
  static readonly KmsValidationError = errors.KmsValidationError;
  /** Alias of {@link KmsConfigError}. @group Error class aliases */
  static readonly KmsConfigError = errors.KmsConfigError;

  /**
   * Validates `options` (unknown keys rejected; a {@link KmsConfigError} names the bad option). Does no
   * I/O: with the `auth` option the client logs in on its first request.
   */
  constructor(options: KmsClientOptions) {
    this.#options = resolveClientOptions(options);
    this.#transport = new HttpTransport({
      baseUrl: this.#options.baseUrl,
      timeout: this.#options.timeout,
      deadline: this.#options.deadline,
      retry: this.#options.retry,
      headers: this.#options.headers,
      fetch: this.#options.fetch,
    });
    this.#tokens = new TokenManager(this.#transport, this.#events);
    const site = new URL(this.#options.baseUrl);
    this.#telemetry = new Telemetry({
      tracing: this.#options.tracing,
      logger: this.#options.logger,
      server: { address: site.hostname, port: Number(site.port) || (site.protocol === 'https:' ? 443 : 80) },
      version: SDK_VERSION,
    });
    if (this.#options.logger) logLifecycle(this.#events, this.#options.logger);
    this.#cache = this.#options.cache ? new ResponseCache(this.#options.cache) : undefined;
    const auth = this.#options.auth;
    if (auth && 'universalAuth' in auth) this.#tokens.setStrategy(universalAuthStrategy(auth.universalAuth));
    else if (auth && 'oidc' in auth) this.#tokens.setStrategy(oidcAuthStrategy(auth.oidc));
    else if (auth && 'jwt' in auth) this.#tokens.setStrategy(jwtAuthStrategy(auth.jwt));
    else if (auth && 'strategy' in auth) this.#tokens.setStrategy(auth.strategy);
    else if (auth && 'accessToken' in auth) this.#tokens.setAccessToken(auth.accessToken);

    const context: ResourceContext = {
      request: (request) =>
        this.#telemetry.run(request.operation ?? request.method, request.method, async (observation) => {
          const response = await this.#request<never>({ ...request, observer: observation });
          describeResponse(observation, response, request.counted);
          return response;
        }),
      cachedGet: (request, scope) =>
        this.#telemetry.run(request.operation ?? request.method, request.method, (observation) =>
          this.#cachedGet({ ...request, observer: observation }, scope, observation),
        ),
      invalidate: (scope) => this.#cache?.invalidate(scope),
    };
    this.auth = new Auth(this.#tokens, () => this.#cache?.clear());
    this.secrets = new Secrets(context);
    this.folders = new Folders(context);
    this.kms = new Kms(context);
    this.changes = new ChangeNotices(() => ({
      baseUrl: this.#options.baseUrl,
      token: async (signal) => (await this.#tokens.acquire(new CallScope(undefined, signal))).token,
      // Looked up at subscribe time: the runtime's streaming fetch (the `fetch` option may not stream).
      fetch: typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : undefined,
      headers: this.#options.headers,
    }));
  }

  /** The API base URL in use (`siteUrl` with `/api`). */
  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  /** Subscribes to a lifecycle event; returns a function that unsubscribes. Payloads hold no secrets. */
  on<E extends keyof KmsClientEvents>(event: E, listener: KmsClientListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener added with {@link KmsClient.on}. */
  off<E extends keyof KmsClientEvents>(event: E, listener: KmsClientListener<E>): void {
    this.#events.off(event, listener);
  }

  /**
   * Stops the token timers, revokes a token obtained by login (a token set with `accessToken()` is left
   * alone) and empties the cache. Never throws; a failed revoke is reported as an `error` event.
   */
  async close(): Promise<void> {
    this.#cache?.clear();
    await this.#tokens.close();
  }

  /**
   * One authenticated call within its deadline. A token the server refused before acting (401, or
   * 403 TokenError) is replaced and the request sent again: once for most refusals (a second one means
   * the credentials no longer work), up to {@link EXHAUSTION_RETRY_BUDGET} times when the token's uses
   * ran out, because under concurrency a fresh token can be used up by sibling requests before this
   * one's retry. The token manager logs in once per token generation, so retries cause no login storm.
   */
  async #request<T>(request: ApiRequest): Promise<ApiResponse<T>> {
    const budget = request.requestOptions?.deadline ?? this.#options.deadline;
    const scope = new CallScope(budget, request.requestOptions?.signal);
    const call: ApiRequest = { ...request, scope };
    try {
      let lease: TokenLease = await this.#tokens.acquire(scope);
      let refusals = 0;
      let exhaustions = 0;
      for (;;) {
        try {
          const response = await this.#transport.send<T>({
            ...call,
            headers: { ...request.headers, authorization: `Bearer ${lease.token}` },
            sensitive: [...(request.sensitive ?? []), lease.token],
          });
          this.#tokens.succeeded(lease);
          return response;
        } catch (error) {
          const retry =
            isTokenRejection(error) &&
            (isUsesExhausted(error) ? exhaustions++ < EXHAUSTION_RETRY_BUDGET : refusals++ < 1);
          if (retry) {
            if (await this.#tokens.rejected(lease, error, scope)) {
              lease = await this.#tokens.acquire(scope);
              continue;
            }
          }
          throw error;
        }
      }
    } catch (error) {
      throw scope.explain(error, { method: request.method, path: request.path });
    }
  }

  async #cachedGet<T>(
    request: ApiRequest,
    scope: CacheScope,
    observation: CallObservation,
  ): Promise<{ data: T; stale: boolean }> {
    const cache = this.#cache;
    if (!cache) {
      const response = await this.#request<T>(request);
      describeResponse(observation, response, request.counted);
      return { data: response.data as T, stale: false };
    }
    const key = ResponseCache.key(request.path, request.query ?? {});
    const entry = cache.get(key);
    if (entry && cache.isFresh(entry)) {
      observation.set({ 'kms.cache': 'hit', ...counts(entry.data, request.counted) });
      return { data: entry.data as T, stale: false };
    }
    // With a stale answer at hand the caller gets it at once instead of waiting out an outage.
    const rideOutOutages = !(entry && cache.staleIfError);
    try {
      const response = await this.#request<T>(
        entry?.etag
          ? { ...request, rideOutOutages, headers: { ...request.headers, 'if-none-match': entry.etag } }
          : { ...request, rideOutOutages },
      );
      describeResponse(observation, response, request.counted);
      if (response.status === 304 && entry) {
        cache.touch(key, entry);
        observation.set({ 'kms.cache': 'revalidated', ...counts(entry.data, request.counted) });
        return { data: entry.data as T, stale: false };
      }
      cache.set(key, response.data, response.headers.get('etag') ?? undefined, scope);
      observation.set({ 'kms.cache': 'miss' });
      return { data: response.data as T, stale: false };
    } catch (error) {
      if (entry && cache.staleIfError && isUnreachable(error)) {
        observation.set({
          'kms.cache': 'stale',
          'error.type': (error as Error).name,
          ...counts(entry.data, request.counted),
        });
        this.#options.logger?.warn?.(
          `${observation.operation}: the server is unreachable, serving the cached answer`,
          {
            operation: observation.operation,
            'error.type': (error as Error).name,
          },
        );
        return { data: entry.data as T, stale: true };
      }
      throw error;
    }
  }
}

/** The lengths of the answer's `counted` arrays (never the names or values), as `kms.<field>.count`. */
function counts(data: unknown, counted: readonly string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field of counted ?? []) {
    const value = (data as Record<string, unknown> | undefined)?.[field];
    if (Array.isArray(value)) out[`kms.${field}.count`] = value.length;
  }
  return out;
}

/** Status, request id and counts of a successful response. */
function describeResponse(
  observation: CallObservation,
  response: ApiResponse<unknown>,
  counted: readonly string[] | undefined,
): void {
  observation.set({
    'http.response.status_code': response.status,
    'kms.request_id': response.headers.get('x-request-id') ?? undefined,
    ...counts(response.data, counted),
  });
}

/** The `logger` option's view of the token lifecycle (no token, ever). */
function logLifecycle(events: KmsEventEmitter, logger: KmsLogger): void {
  events.on('tokenRefreshed', (e) =>
    (e.kind === 'login' ? logger.info : logger.debug)?.call(logger, `kms.auth.${e.kind}`, {
      expiresIn: e.expiresIn,
      accessTokenMaxTTL: e.accessTokenMaxTTL,
    }),
  );
  events.on('reauthenticated', (e) => logger.info?.('kms.auth.reauthenticated', { reason: e.reason }));
  events.on('error', (e) =>
    logger.warn?.(`kms.${e.operation} failed: ${e.error.name}`, {
      operation: e.operation,
      'error.type': e.error.name,
    }),
  );
}

printAs(KmsClient, 'KmsClient', (c) => ({
  baseUrl: c.baseUrl,
  accessToken: c.auth.tokenInfo ? REDACTED : undefined,
  ...c.auth.tokenInfo,
}));
