/**
 * Secret import routes (v1 and v2 trees): parse, call import-service.ts, shape the answer.
 */
import { Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { callerFor, callerForProjectId } from './caller.js';
import {
  createImport,
  deleteImport,
  getImport,
  listImportedSecrets,
  listImports,
  updateImport,
} from './import-service.js';
import { type ImportProjectKey, importIdParams, importSchemas } from './schemas.js';
import { routeDocs } from '../../openapi/route-doc.js';

/** Mounts one secret-imports tree: v1 names the project `workspaceId`, v2 `projectId` (docs/reference/api.md#secret-imports). */
function importRoutes(
  router: Router,
  ctx: ServerContext,
  base: string,
  projectKey: ImportProjectKey,
  importedSecretsPath: string,
) {
  const auth = requireAuth(ctx);
  const schemas = importSchemas(projectKey);

  // Registered before `/:secretImportId`, which would otherwise take `secrets` for an id.
  router.get(importedSecretsPath, auth, async (req, res) => {
    const q = parseQuery(req, schemas.list);
    const caller = await callerFor(ctx, req, { projectId: q[projectKey] });
    res.json(await listImportedSecrets(ctx, caller, q));
  });

  router.post(base, auth, async (req, res) => {
    const body = parseBody(req, schemas.create);
    const caller = await callerFor(ctx, req, { projectId: body[projectKey] });
    res.json(await createImport(ctx, caller, body));
  });

  router.get(base, auth, async (req, res) => {
    const q = parseQuery(req, schemas.list);
    const caller = await callerFor(ctx, req, { projectId: q[projectKey] });
    res.json(await listImports(ctx, caller, q));
  });

  router.get(`${base}/:secretImportId`, auth, async (req, res) => {
    const { secretImportId } = parseParams(req, importIdParams);
    res.json(await getImport(ctx, secretImportId, (projectId) => callerForProjectId(ctx, req, projectId)));
  });

  router.patch(`${base}/:secretImportId`, auth, async (req, res) => {
    const { secretImportId } = parseParams(req, importIdParams);
    const body = parseBody(req, schemas.update);
    const caller = await callerFor(ctx, req, { projectId: body[projectKey] });
    res.json(await updateImport(ctx, caller, secretImportId, body));
  });

  router.delete(`${base}/:secretImportId`, auth, async (req, res) => {
    const { secretImportId } = parseParams(req, importIdParams);
    const body = parseBody(req, schemas.delete);
    const caller = await callerFor(ctx, req, { projectId: body[projectKey] });
    res.json(await deleteImport(ctx, caller, secretImportId, body));
  });
}

/** Secret imports: `/api/v1/secret-imports` and `/api/v2/secret-imports`. */
export function importsRouter(ctx: ServerContext): Router {
  const router = Router();
  importRoutes(router, ctx, '/api/v1/secret-imports', 'workspaceId', '/api/v1/secret-imports/secrets/raw');
  importRoutes(router, ctx, '/api/v2/secret-imports', 'projectId', '/api/v2/secret-imports/secrets');
  return router;
}

/** One imports tree as the OpenAPI document describes it. */
function importRouteDocs(
  base: string,
  projectKey: ImportProjectKey,
  importedSecretsPath: string,
  deprecated: boolean,
) {
  const schemas = importSchemas(projectKey);
  const item = `${base}/:secretImportId`;
  return routeDocs('Secret Imports', [
    {
      method: 'get',
      path: importedSecretsPath,
      summary: 'List the secrets a folder imports, per import',
      query: schemas.list,
      deprecated,
    },
    {
      method: 'post',
      path: base,
      summary: 'Import another folder into a folder',
      body: schemas.create,
      deviation: 'D22 (a cycle of any length, or a folder imported into itself, is refused).',
      deprecated,
    },
    { method: 'get', path: base, summary: 'List the imports of a folder', query: schemas.list, deprecated },
    { method: 'get', path: item, summary: 'Read one import', params: importIdParams, deprecated },
    {
      method: 'patch',
      path: item,
      summary: 'Change the source or the position of an import',
      params: importIdParams,
      body: schemas.update,
      deviation: 'D22 (a cycle of any length, or a folder imported into itself, is refused).',
      deprecated,
    },
    {
      method: 'delete',
      path: item,
      summary: 'Remove an import',
      params: importIdParams,
      body: schemas.delete,
      deprecated,
    },
  ]);
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const importsRouteDocs = [
  ...importRouteDocs('/api/v1/secret-imports', 'workspaceId', '/api/v1/secret-imports/secrets/raw', true),
  ...importRouteDocs('/api/v2/secret-imports', 'projectId', '/api/v2/secret-imports/secrets', false),
];
