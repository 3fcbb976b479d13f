/**
 * Mount paths for routers whose routes carry their full paths (`/api/v1/identities/:identityId`).
 *
 * @module
 */

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The mount path of a router serving the routes under `prefixes`: Express enters the router only for
 * a request whose path is one of them or lies below one, so a request walks only the routers that can
 * answer it instead of every route of every earlier router. The match is a zero-width lookahead, so
 * Express strips nothing and the router sees the full path (its routes, `req.baseUrl` and the access
 * log's route pattern stay as they were); it is case-insensitive like Express's routing, and a prefix
 * must end at a `/` or at the end of the path. A prefix holds no route parameters.
 */
export function under(...prefixes: readonly string[]): RegExp {
  return new RegExp(`^(?=(?:${prefixes.map(escapeRegExp).join('|')})(?:/|$))`, 'i');
}
