/**
 * What every resource class (secrets, folders, auth) receives from its client: authenticated requests,
 * cached reads and cache invalidation. Internal; resources are reached as `client.secrets` etc.
 *
 * @module
 */
import type { CacheScope } from '../response-cache.js';
import type { ApiRequest, ApiResponse } from '../transport.js';

/** The client's services a resource may use. @internal */
export interface ResourceContext {
  /** Sends an authenticated request (token acquired, one transparent re-login on 401/403 TokenError). */
  request<T>(request: ApiRequest): Promise<ApiResponse<T>>;
  /** An authenticated GET served from the cache when configured; `stale` marks a stale-if-error answer. */
  cachedGet<T>(request: ApiRequest, scope: CacheScope): Promise<{ data: T; stale: boolean }>;
  /** Drops cached reads a write to `scope` could affect. */
  invalidate(scope: CacheScope): void;
}

/** Base of the resource classes: holds the client's {@link ResourceContext}. */
export abstract class APIResource {
  /** @internal */
  protected readonly context: ResourceContext;
  /** @internal */
  constructor(context: ResourceContext) {
    this.context = context;
  }
}
