/**
 * The client: options, transport, token manager, cache and the resources `auth`, `secrets`, `folders`.
 *
 * @module
 */
import { universalAuthStrategy } from './auth/login-strategy.js';
import { TokenManager, type TokenLease } from './auth/token-manager.js';
import { type KmsClientOptions, resolveClientOptions, type ResolvedClientOptions } from './client-options.js';
import * as errors from './errors.js';
import { KmsEventEmitter, type KmsClientEvents, type KmsClientListener } from './events.js';
import { printAs, REDACTED } from './redaction.js';
import { type CacheScope, ResponseCache } from './response-cache.js';
import { Auth } from './resources/auth.js';
import { Folders } from './resources/folders.js';
import type { ResourceContext } from './resources/resource.js';
import { Secrets } from './resources/secrets.js';
import { type ApiRequest, type ApiResponse, HttpTransport } from './transport.js';

function isTokenRejection(error: unknown): error is errors.KmsApiError {
  return (
    error instanceof errors.KmsApiError &&
    (error.status === 401 || (error.status === 403 && error.error === 'TokenError'))
  );
}

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

  readonly #options: ResolvedClientOptions;
  readonly #transport: HttpTransport;
  readonly #tokens: TokenManager;
  readonly #events = new KmsEventEmitter();
  readonly #cache: ResponseCache | undefined;

  /** Every error class, reachable without an extra import (`KmsClient.KmsNotFoundError`). */
  /** Alias of {@link KmsError}. */
  static readonly KmsError = errors.KmsError;
  /** Alias of {@link KmsApiError}. */
  static readonly KmsApiError = errors.KmsApiError;
  /** Alias of {@link KmsBadRequestError}. */
  static readonly KmsBadRequestError = errors.KmsBadRequestError;
  /** Alias of {@link KmsAuthenticationError}. */
  static readonly KmsAuthenticationError = errors.KmsAuthenticationError;
  /** Alias of {@link KmsPermissionDeniedError}. */
  static readonly KmsPermissionDeniedError = errors.KmsPermissionDeniedError;
  /** Alias of {@link KmsNotFoundError}. */
  static readonly KmsNotFoundError = errors.KmsNotFoundError;
  /** Alias of {@link KmsConflictError}. */
  static readonly KmsConflictError = errors.KmsConflictError;
  /** Alias of {@link KmsUnprocessableEntityError}. */
  static readonly KmsUnprocessableEntityError = errors.KmsUnprocessableEntityError;
  /** Alias of {@link KmsRateLimitError}. */
  static readonly KmsRateLimitError = errors.KmsRateLimitError;
  /** Alias of {@link KmsInternalServerError}. */
  static readonly KmsInternalServerError = errors.KmsInternalServerError;
  /** Alias of {@link KmsResponseParseError}. */
  static readonly KmsResponseParseError = errors.KmsResponseParseError;
  /** Alias of {@link KmsConnectionError}. */
  static readonly KmsConnectionError = errors.KmsConnectionError;
  /** Alias of {@link KmsTimeoutError}. */
  static readonly KmsTimeoutError = errors.KmsTimeoutError;
  /** Alias of {@link KmsAbortError}. */
  static readonly KmsAbortError = errors.KmsAbortError;
  /** Alias of {@link KmsValidationError}. */
  static readonly KmsValidationError = errors.KmsValidationError;
  /** Alias of {@link KmsConfigError}. */
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
      retry: this.#options.retry,
      headers: this.#options.headers,
      fetch: this.#options.fetch,
    });
    this.#tokens = new TokenManager(this.#transport, this.#events);
    this.#cache = this.#options.cache ? new ResponseCache(this.#options.cache) : undefined;
    const auth = this.#options.auth;
    if (auth && 'universalAuth' in auth) this.#tokens.setStrategy(universalAuthStrategy(auth.universalAuth));
    else if (auth && 'strategy' in auth) this.#tokens.setStrategy(auth.strategy);
    else if (auth && 'accessToken' in auth) this.#tokens.setAccessToken(auth.accessToken);

    const context: ResourceContext = {
      request: (request) => this.#request(request),
      cachedGet: (request, scope) => this.#cachedGet(request, scope),
      invalidate: (scope) => this.#cache?.invalidate(scope),
    };
    this.auth = new Auth(this.#tokens, () => this.#cache?.clear());
    this.secrets = new Secrets(context);
    this.folders = new Folders(context);
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

  async #request<T>(request: ApiRequest): Promise<ApiResponse<T>> {
    let lease: TokenLease = await this.#tokens.acquire(request.requestOptions);
    for (let retried = false; ; retried = true) {
      try {
        return await this.#transport.send<T>({
          ...request,
          headers: { ...request.headers, authorization: `Bearer ${lease.token}` },
          sensitive: [...(request.sensitive ?? []), lease.token],
        });
      } catch (error) {
        // The server refused the token before doing anything, so even a write is safe to repeat once.
        if (!retried && isTokenRejection(error)) {
          if (await this.#tokens.rejected(lease, error.status, request.requestOptions)) {
            lease = await this.#tokens.acquire(request.requestOptions);
            continue;
          }
        }
        throw error;
      }
    }
  }

  async #cachedGet<T>(request: ApiRequest, scope: CacheScope): Promise<{ data: T; stale: boolean }> {
    const cache = this.#cache;
    if (!cache) return { data: (await this.#request<T>(request)).data as T, stale: false };
    const key = ResponseCache.key(request.path, request.query ?? {});
    const entry = cache.get(key);
    if (entry && cache.isFresh(entry)) return { data: entry.data as T, stale: false };
    try {
      const response = await this.#request<T>(
        entry?.etag ? { ...request, headers: { ...request.headers, 'if-none-match': entry.etag } } : request,
      );
      if (response.status === 304 && entry) {
        cache.touch(key, entry);
        return { data: entry.data as T, stale: false };
      }
      cache.set(key, response.data, response.headers.get('etag') ?? undefined, scope);
      return { data: response.data as T, stale: false };
    } catch (error) {
      if (entry && cache.staleIfError && isUnreachable(error)) return { data: entry.data as T, stale: true };
      throw error;
    }
  }
}

printAs(KmsClient, 'KmsClient', (c) => ({
  baseUrl: c.baseUrl,
  accessToken: c.auth.tokenInfo ? REDACTED : undefined,
  ...c.auth.tokenInfo,
}));
