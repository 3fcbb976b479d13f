/**
 * Folder snapshot routes and rollback: parse, call secret-snapshots.ts, shape the answer.
 */
import { Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import { authOf, type ServerContext } from '../../context.js';
import { parseParams, parseQuery } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { callerForProjectId } from './caller.js';
import { snapshotCountQuery, snapshotIdParams, snapshotListQuery, snapshotProjectParams } from './schemas.js';
import {
  countSnapshots,
  getSnapshot,
  listSnapshots,
  projectOfSnapshot,
  rollbackSnapshot,
} from './secret-snapshots.js';

/** Folder snapshots and their rollback (docs/reference/api.md#secret-versions-and-snapshots). */
export function secretSnapshotsRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);

  router.get('/api/v1/workspace/:workspaceId/secret-snapshots', auth, async (req, res) => {
    const { workspaceId } = parseParams(req, snapshotProjectParams);
    const query = parseQuery(req, snapshotListQuery);
    res.json(await listSnapshots(ctx, await callerForProjectId(ctx, req, workspaceId), query));
  });

  router.get('/api/v1/workspace/:workspaceId/secret-snapshots/count', auth, async (req, res) => {
    const { workspaceId } = parseParams(req, snapshotProjectParams);
    const query = parseQuery(req, snapshotCountQuery);
    res.json(await countSnapshots(ctx, await callerForProjectId(ctx, req, workspaceId), query));
  });

  const callerOf = async (req: Parameters<Parameters<Router['get']>[1]>[0], snapshotId: string) =>
    callerForProjectId(ctx, req, await projectOfSnapshot(ctx, authOf(req), snapshotId));

  router.get('/api/v1/secret-snapshot/:secretSnapshotId', auth, async (req, res) => {
    const { secretSnapshotId } = parseParams(req, snapshotIdParams);
    res.json(await getSnapshot(ctx, await callerOf(req, secretSnapshotId), secretSnapshotId));
  });

  router.post('/api/v1/secret-snapshot/:secretSnapshotId/rollback', auth, async (req, res) => {
    const { secretSnapshotId } = parseParams(req, snapshotIdParams);
    res.json(await rollbackSnapshot(ctx, await callerOf(req, secretSnapshotId), secretSnapshotId));
  });

  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const secretSnapshotsRouteDocs = routeDocs('Secrets', [
  {
    method: 'get',
    path: '/api/v1/workspace/:workspaceId/secret-snapshots',
    summary: 'List the snapshots of a folder, newest first',
    params: snapshotProjectParams,
    query: snapshotListQuery,
  },
  {
    method: 'get',
    path: '/api/v1/workspace/:workspaceId/secret-snapshots/count',
    summary: 'Count the snapshots of a folder',
    params: snapshotProjectParams,
    query: snapshotCountQuery,
  },
  {
    method: 'get',
    path: '/api/v1/secret-snapshot/:secretSnapshotId',
    summary: 'Read a snapshot: the secrets and sub-folders it recorded',
    params: snapshotIdParams,
  },
  {
    method: 'post',
    path: '/api/v1/secret-snapshot/:secretSnapshotId/rollback',
    summary: 'Put the folder (secrets and sub-folders) back as the snapshot recorded it, in one transaction',
    params: snapshotIdParams,
  },
]);
