/**
 * Folder routes (`/api/v1/folders`): parse, call folder-service.ts, shape the answer.
 */
import { Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { callerFor, callerForProjectId } from './caller.js';
import { createFolder, deleteFolder, getFolderById, listFolders, updateFolder } from './folder-service.js';
import {
  createFolderBody,
  deleteFolderBody,
  folderIdOrNameParams,
  folderIdParams,
  listFoldersQuery,
  updateFolderBody,
} from './schemas.js';
import { routeDocs } from '../../openapi/route-doc.js';

/** `path`, or the legacy `directory`, default `/`. */
const pathOf = (input: { path?: string | undefined; directory?: string | undefined }) =>
  input.path ?? input.directory ?? '/';

/** Folders `/api/v1/folders` (docs/reference/api.md#folders). */
export function foldersRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);

  router.get('/api/v1/folders', auth, async (req, res) => {
    const q = parseQuery(req, listFoldersQuery);
    const caller = await callerFor(ctx, req, { projectId: q.workspaceId });
    res.json(
      await listFolders(ctx, caller, { environment: q.environment, path: pathOf(q), recursive: q.recursive }),
    );
  });

  router.get('/api/v1/folders/:folderId', auth, async (req, res) => {
    const { folderId } = parseParams(req, folderIdParams);
    res.json(await getFolderById(ctx, folderId, (projectId) => callerForProjectId(ctx, req, projectId)));
  });

  router.post('/api/v1/folders', auth, async (req, res) => {
    const body = parseBody(req, createFolderBody);
    const caller = await callerFor(ctx, req, { projectId: body.workspaceId });
    res.json(
      await createFolder(ctx, caller, {
        environment: body.environment,
        path: pathOf(body),
        name: body.name,
        description: body.description,
      }),
    );
  });

  router.patch('/api/v1/folders/:folderId', auth, async (req, res) => {
    const { folderId } = parseParams(req, folderIdParams);
    const body = parseBody(req, updateFolderBody);
    const caller = await callerFor(ctx, req, { projectId: body.workspaceId });
    res.json(
      await updateFolder(ctx, caller, folderId, {
        environment: body.environment,
        path: pathOf(body),
        name: body.name,
        description: body.description,
      }),
    );
  });

  router.delete('/api/v1/folders/:folderIdOrName', auth, async (req, res) => {
    const { folderIdOrName } = parseParams(req, folderIdOrNameParams);
    const body = parseBody(req, deleteFolderBody);
    const caller = await callerFor(ctx, req, { projectId: body.workspaceId });
    res.json(
      await deleteFolder(ctx, caller, folderIdOrName, { environment: body.environment, path: pathOf(body) }),
    );
  });

  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const foldersRouteDocs = routeDocs('Folders', [
  {
    method: 'get',
    path: '/api/v1/folders',
    summary: 'List the folders under a path (an unknown path lists none)',
    deviation: 'D19 (needs the read right on folders; upstream lets any project member list them).',
    query: listFoldersQuery,
  },
  { method: 'get', path: '/api/v1/folders/:folderId', summary: 'Read one folder', params: folderIdParams },
  { method: 'post', path: '/api/v1/folders', summary: 'Create a folder', body: createFolderBody },
  {
    method: 'patch',
    path: '/api/v1/folders/:folderId',
    summary: 'Rename a folder',
    params: folderIdParams,
    body: updateFolderBody,
  },
  {
    method: 'delete',
    path: '/api/v1/folders/:folderIdOrName',
    summary: 'Delete a folder by id or name',
    params: folderIdOrNameParams,
    body: deleteFolderBody,
  },
]);
