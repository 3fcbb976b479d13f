/**
 * Mounts the secrets domain's routers (secrets, versions, snapshots, folders, imports, tags).
 * Wiring only.
 */
import { Router } from 'express';
import type { ServerContext } from '../../context.js';
import { foldersRouter } from './folders-router.js';
import { importsRouter } from './imports-router.js';
import { secretsRouter } from './secrets-router.js';
import { secretSnapshotsRouter } from './secret-snapshots-router.js';
import { secretVersionsRouter } from './secret-versions-router.js';
import { tagsRouter } from './tags-router.js';

/** Secrets, their versions and folder snapshots, folders, secret imports and tags. */
export function secretsDomainRouter(ctx: ServerContext): Router {
  const router = Router();
  router.use(secretsRouter(ctx));
  router.use(secretVersionsRouter(ctx));
  router.use(secretSnapshotsRouter(ctx));
  router.use(foldersRouter(ctx));
  router.use(importsRouter(ctx));
  router.use(tagsRouter(ctx));
  return router;
}
