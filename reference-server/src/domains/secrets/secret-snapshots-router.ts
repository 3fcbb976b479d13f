import { Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import { authOf, type ServerContext } from '../../context.js';
import { parseParams, parseQuery } from '../../http/validate.js';
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
