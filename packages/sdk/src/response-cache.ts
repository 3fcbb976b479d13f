/**
 * In-memory cache of secret reads (kms-go style `cache: { ttl, max }`), kept in process memory only.
 * Entries are keyed by the request; a write invalidates every entry that could see it; an expired entry
 * with an ETag is revalidated with `If-None-Match`.
 *
 * @module
 */
import type { KmsCacheOptions } from './client-options.js';

/** Where a read or a write lands, for invalidation. */
export interface CacheScope {
  /** `id:<uuid>` or `slug:<slug>`. */
  project: string;
  environment: string;
  secretPath: string;
  /** The read covers sub-folders. */
  recursive?: boolean;
  /** The read can see other paths or environments (imports, expanded references). */
  crossPath?: boolean;
}

/** One cached response body. */
export interface CacheEntry {
  data: unknown;
  etag: string | undefined;
  storedAt: number;
  scope: CacheScope;
}

function isSameOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

function sameProject(a: string, b: string): boolean {
  // An id and a slug may name the same project: assume they do.
  return a === b || a.slice(0, a.indexOf(':')) !== b.slice(0, b.indexOf(':'));
}

/**
 * At most `max` entries, the least recently used dropped first. A `Map` keeps insertion order, so a read
 * moves its entry to the end and the first key is always the least recently used one.
 */
class LruMap<V> {
  readonly #map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  entries(): [string, V][] {
    return [...this.#map];
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}

/** The cache of one client. */
export class ResponseCache {
  private readonly entries: LruMap<CacheEntry>;

  constructor(
    private readonly settings: Required<KmsCacheOptions>,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LruMap<CacheEntry>(settings.max);
  }

  /** Whether stale entries may be served when the server cannot be reached. */
  get staleIfError(): boolean {
    return this.settings.staleIfError;
  }

  /** A stable key for a GET request. */
  static key(path: string, query: Record<string, string | undefined>): string {
    const parts = Object.keys(query)
      .filter((k) => query[k] !== undefined)
      .sort()
      .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k]!)}`);
    return `${path}?${parts.join('&')}`;
  }

  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  isFresh(entry: CacheEntry): boolean {
    return !this.settings.revalidate && this.now() - entry.storedAt < this.settings.ttl;
  }

  set(key: string, data: unknown, etag: string | undefined, scope: CacheScope): void {
    this.entries.set(key, { data, etag, storedAt: this.now(), scope });
  }

  /** Marks a revalidated (304) entry fresh again. */
  touch(key: string, entry: CacheEntry): void {
    this.entries.set(key, { ...entry, storedAt: this.now() });
  }

  /** Drops every entry that a write to `write` could make wrong. */
  invalidate(write: CacheScope): void {
    for (const [key, entry] of this.entries.entries()) {
      const read = entry.scope;
      if (!sameProject(read.project, write.project)) continue;
      const hit =
        read.crossPath ||
        (read.environment === write.environment &&
          (read.secretPath === write.secretPath ||
            (read.recursive === true && isSameOrBelow(write.secretPath, read.secretPath)) ||
            isSameOrBelow(read.secretPath, write.secretPath)));
      if (hit) this.entries.delete(key);
    }
  }

  /** Empties the cache. */
  clear(): void {
    this.entries.clear();
  }
}
