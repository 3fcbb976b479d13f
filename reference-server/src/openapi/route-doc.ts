/**
 * How a route describes itself for the OpenAPI document served at `GET /api/docs/json`.
 *
 * Adding a route is one step: beside the `router.<method>(…)` call, add an entry to the
 * `…RouteDocs` list of the same router file, naming the zod schemas the handler parses
 * (`params`, `query`, `body`). A new router file exports its own list and adds it to
 * `ROUTE_DOCS` in `src/openapi/catalogue.ts`. The drift test (`test/openapi.test.ts`) fails,
 * naming the route, when a registered route has no entry or an entry no route.
 */
import type { z } from 'zod';

/** The HTTP methods the API's routes use. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The areas of the API: one OpenAPI tag each, in the order the document lists them. */
export const API_TAGS = {
  Status: 'Liveness, readiness, instance configuration and bootstrap (decision M3).',
  'Universal Auth': 'Client-id and client-secret login and its configuration per identity.',
  'OIDC Auth': 'Login with a JWT from an OpenID Connect provider, verified through its discovery document.',
  'JWT Auth': 'Login with a JWT verified against static public keys or a JWKS URL.',
  'Token Auth': 'Access tokens issued directly to an identity.',
  'Access Tokens': 'Renewing and revoking access tokens (decision D2).',
  Identities: 'Machine identities of the organization.',
  Projects: 'Projects, under both the `/api/v2/workspace` and the `/api/v1/projects` trees (decision M2).',
  Environments: 'Environments of a project.',
  Memberships: 'Identity memberships of a project and their roles.',
  Secrets: 'Secrets of a folder: list, read, write, batch (decisions D5, D7, D9, D12).',
  Folders: 'Folders of an environment.',
  'Secret Imports': 'Imports of one folder into another (decision D5).',
  Tags: 'Tags of a project.',
  'KMS Keys': 'Project keys that encrypt, decrypt, sign and verify; key material never leaves the server.',
  'Audit Logs': 'The hash-chained audit log (decision D8).',
  'App Connections': 'Credentials of outside systems (PostgreSQL), sealed at rest and never returned.',
  'Secret Rotations': 'Dual-phase rotation of database credentials into mapped secrets (docs/rotation.md).',
  Webhooks:
    'Project webhooks: a signed `secrets.modified` POST after every change in scope (docs/webhooks.md).',
  'Change Notices':
    'A server-sent-events stream of where secrets changed, never values (docs/change-delivery.md).',
  Documentation: 'This document.',
} as const;

/** One of the API's areas. */
export type ApiTag = keyof typeof API_TAGS;

/** How one route is described; a route under several paths (aliases) shares one entry. */
export interface RouteDoc {
  method: HttpMethod;
  /** The path(s) exactly as the router registers them, in Express syntax (`/api/v1/folders/:folderId`). */
  path: string | readonly string[];
  tag: ApiTag;
  /** One line: what the route does. */
  summary: string;
  /** Where the route differs from upstream on purpose, naming the decision of docs/reference/api.md. */
  deviation?: string;
  /** Whether the route takes a bearer token. @default true */
  auth?: boolean;
  /** The schema the handler parses `req.params` with; without it each `:name` is a string. */
  params?: z.ZodType;
  /** The schema the handler parses `req.query` with. */
  query?: z.ZodType;
  /** The schema the handler parses `req.body` with. */
  body?: z.ZodType;
  /** The shape of the 200 answer, where a schema exists; otherwise any JSON object. */
  response?: z.ZodType;
  /** An older path kept for existing clients. */
  deprecated?: boolean;
}

/** Entries of one area: `routeDocs('Folders', [...])` sets the tag once. */
export function routeDocs(tag: ApiTag, docs: readonly Omit<RouteDoc, 'tag'>[]): RouteDoc[] {
  return docs.map((doc) => ({ ...doc, tag }));
}
