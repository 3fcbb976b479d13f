/**
 * Building blocks shared by the resource parameter schemas: project selection, paths and URL-encoded
 * path segments.
 *
 * @module
 */
import * as z from 'zod/mini';
import { KmsValidationError } from '../errors.js';
import { nonEmptyString } from '../input-validation.js';

/** Project selector fields: one of `projectId` or `projectSlug` is required. */
export const projectSelectorShape = () => ({
  projectId: z.optional(nonEmptyString()),
  projectSlug: z.optional(nonEmptyString()),
});

/** Selects a project by id or by slug. */
export interface ProjectSelector {
  /** Project (workspace) id. Wins over `projectSlug` when both are given. */
  projectId?: string;
  /** Project slug, resolved by the server within the identity's organisation. */
  projectSlug?: string;
}

/** Secret path schema: must start with `/`; normalised without a trailing slash. */
export const secretPathSchema = () =>
  z.pipe(
    z.string().check(z.trim(), z.startsWith('/')),
    z.transform((p: string) => (p.length > 1 ? p.replace(/\/+$/, '') || '/' : p)),
  );

/** Throws unless a project id or slug was given; returns the cache-scope project key. */
export function requireProject(params: ProjectSelector): string {
  if (params.projectId) return `id:${params.projectId}`;
  if (params.projectSlug) return `slug:${params.projectSlug}`;
  throw new KmsValidationError('projectId', 'pass projectId or projectSlug');
}

/** Percent-encodes one URL path segment; rejects empty, `.` and `..`. */
export function pathSegment(field: string, value: string): string {
  if (value === '' || value === '.' || value === '..') {
    throw new KmsValidationError(field, 'must be a non-empty name other than "." or ".."');
  }
  return encodeURIComponent(value);
}

/** `"true"`/`"false"` for v3 boolean query flags, `undefined` passes through. */
export function flag(value: boolean | undefined): 'true' | 'false' | undefined {
  return value === undefined ? undefined : value ? 'true' : 'false';
}

/** The verb of a call's operation name (`secrets.create`, `kms.keys.get`…) from its HTTP method. */
export const VERBS = { GET: 'get', POST: 'create', PATCH: 'update', DELETE: 'delete' } as const;
