/**
 * What the SDK needs of `fetch`: the function's shape and the part of a response it reads. Kept apart
 * from the transport so that the errors (which read response headers) do not import it.
 *
 * @module
 */

/** Response headers, as much of `Headers` as the SDK reads. */
export interface HeaderReader {
  /** The header's value (case-insensitive name), or `null` when absent. */
  get(name: string): string | null;
}

/** The part of a fetch `Response` the SDK uses. */
export interface FetchLikeResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers. */
  headers: HeaderReader;
  /** The whole body as text. */
  text(): Promise<string>;
}

/**
 * A fetch-compatible function: called with a URL string and `{ method, headers, body, signal }`
 * (headers a plain object, body a string), it must resolve to something with `status`,
 * `headers.get()` and `text()`. `globalThis.fetch` qualifies.
 */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<FetchLikeResponse>;
