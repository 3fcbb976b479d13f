/**
 * Conditional GETs: whether a request's `If-None-Match` matches a response's ETag. Routers answer a
 * match with `304 Not Modified` before the service reads anything.
 *
 * @module
 */

/** Whether an `If-None-Match` header matches the ETag (weak comparison, `*` included). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}
