/**
 * Hand-written parsers of the secrets routes' common queries and parameters (http/validate.ts
 * withFastPath): each returns exactly what its zod schema in schemas.ts returns, or `undefined` for
 * anything else (an unknown or repeated parameter, a value that is not a plain valid one), which zod
 * then parses and, when invalid, reports. test/query-fast-paths.test.ts compares them with the schemas.
 *
 * @module
 */
import { MAX_PATH_LENGTH, normalizeSecretPath } from './paths.js';

/** Longest secret key accepted (schemas.ts re-exports it). */
export const MAX_SECRET_KEY_LENGTH = 500;

/** A `true`/`false` flag (schemas.ts booleanFlag); null when the value is neither. */
function flag(value: unknown, fallback: boolean): boolean | null {
  if (value === undefined) return fallback;
  return value === 'true' ? true : value === 'false' ? false : null;
}

/** The string parameters of `query`, or undefined when one is not a string or not in `known`. */
function stringParams(query: unknown, known: ReadonlySet<string>): Record<string, string> | undefined {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return undefined;
  const params = query as Record<string, unknown>;
  for (const key in params) {
    if (!known.has(key) || typeof params[key] !== 'string') return undefined;
  }
  return params as Record<string, string>;
}

/** `workspaceId`/`workspaceSlug`: trimmed, and an empty one is absent (schemas.ts optionalRef). */
const ref = (value: string | undefined) => value?.trim() || undefined;

/** The project, environment and folder every secrets query names; undefined when the path is refused. */
function location(params: Record<string, string>) {
  const raw = params.secretPath;
  let secretPath = '/';
  if (raw !== undefined) {
    if (raw.length > MAX_PATH_LENGTH) return undefined;
    const normalized = normalizeSecretPath(raw);
    if (normalized === undefined) return undefined;
    secretPath = normalized;
  }
  return {
    workspaceId: ref(params.workspaceId),
    workspaceSlug: ref(params.workspaceSlug),
    environment: params.environment?.trim(),
    secretPath,
  };
}

const LIST_PARAMS: ReadonlySet<string> = new Set([
  'workspaceId',
  'workspaceSlug',
  'environment',
  'secretPath',
  'viewSecretValue',
  'expandSecretReferences',
  'recursive',
  'include_imports',
  'tagSlugs',
]);

/** `GET /api/v3/secrets/raw`'s query (schemas.ts listSecretsQuery) without a metadata filter. */
export function fastListSecretsQuery(query: unknown) {
  const params = stringParams(query, LIST_PARAMS);
  if (!params) return undefined;
  const where = location(params);
  const viewSecretValue = flag(params.viewSecretValue, true);
  const expandSecretReferences = flag(params.expandSecretReferences, false);
  const recursive = flag(params.recursive, false);
  const includeImports = flag(params.include_imports, false);
  if (
    !where ||
    viewSecretValue === null ||
    expandSecretReferences === null ||
    recursive === null ||
    includeImports === null
  )
    return undefined;
  const tagSlugs = params.tagSlugs
    ? params.tagSlugs
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  return {
    ...where,
    viewSecretValue,
    expandSecretReferences,
    recursive,
    include_imports: includeImports,
    tagSlugs,
    metadataFilter: [] as { key: string; value: string }[],
  };
}

const GET_PARAMS: ReadonlySet<string> = new Set([
  'workspaceId',
  'workspaceSlug',
  'environment',
  'secretPath',
  'type',
  'viewSecretValue',
  'expandSecretReferences',
  'include_imports',
]);

/** `GET /api/v3/secrets/raw/:secretName`'s query (schemas.ts getSecretQuery) without a version. */
export function fastGetSecretQuery(query: unknown) {
  const params = stringParams(query, GET_PARAMS);
  if (!params) return undefined;
  const where = location(params);
  const type = params.type ?? 'shared';
  const viewSecretValue = flag(params.viewSecretValue, true);
  const expandSecretReferences = flag(params.expandSecretReferences, false);
  const includeImports = flag(params.include_imports, false);
  if (
    !where ||
    (type !== 'shared' && type !== 'personal') ||
    viewSecretValue === null ||
    expandSecretReferences === null ||
    includeImports === null
  )
    return undefined;
  return {
    ...where,
    type: type as 'shared' | 'personal',
    version: undefined,
    viewSecretValue,
    expandSecretReferences,
    include_imports: includeImports,
  };
}

const SECRET_NAME_PARAMS: ReadonlySet<string> = new Set(['secretName']);

/** `/api/v3/secrets/raw/:secretName`'s parameters (schemas.ts secretNameParams). */
export function fastSecretNameParams(params: unknown) {
  const valid = stringParams(params, SECRET_NAME_PARAMS);
  const name = valid?.secretName?.trim();
  if (!name || name.length > MAX_SECRET_KEY_LENGTH || name.includes(':') || name.includes('/'))
    return undefined;
  return { secretName: name };
}
