import { Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams } from '../../http/validate.js';
import { callerFor } from './caller.js';
import { createTagBody, projectIdParams, tagIdParams, tagSlugParams, updateTagBody } from './schemas.js';
import { createTag, deleteTag, getTag, getTagBySlug, listTags, updateTag } from './tag-service.js';

/** One tags tree; the deprecated `/api/v1/workspace` tree answers with `workspaceTag(s)` keys. */
function tagRoutes(router: Router, ctx: ServerContext, base: string, keys: { one: string; many: string }) {
  const auth = requireAuth(ctx);
  const callerOf = (req: Parameters<Parameters<Router['get']>[1]>[0], projectId: string) =>
    callerFor(ctx, req, { projectId });

  router.post(`${base}/:projectId/tags`, auth, async (req, res) => {
    const { projectId } = parseParams(req, projectIdParams);
    const body = parseBody(req, createTagBody);
    res.json({ [keys.one]: await createTag(ctx, await callerOf(req, projectId), body) });
  });

  router.get(`${base}/:projectId/tags`, auth, async (req, res) => {
    const { projectId } = parseParams(req, projectIdParams);
    res.json({ [keys.many]: await listTags(ctx, await callerOf(req, projectId)) });
  });

  router.get(`${base}/:projectId/tags/slug/:tagSlug`, auth, async (req, res) => {
    const { projectId, tagSlug } = parseParams(req, tagSlugParams);
    res.json({ [keys.one]: await getTagBySlug(ctx, await callerOf(req, projectId), tagSlug) });
  });

  router.get(`${base}/:projectId/tags/:tagId`, auth, async (req, res) => {
    const { projectId, tagId } = parseParams(req, tagIdParams);
    res.json({ [keys.one]: await getTag(ctx, await callerOf(req, projectId), tagId) });
  });

  router.patch(`${base}/:projectId/tags/:tagId`, auth, async (req, res) => {
    const { projectId, tagId } = parseParams(req, tagIdParams);
    const body = parseBody(req, updateTagBody);
    res.json({ [keys.one]: await updateTag(ctx, await callerOf(req, projectId), tagId, body) });
  });

  router.delete(`${base}/:projectId/tags/:tagId`, auth, async (req, res) => {
    const { projectId, tagId } = parseParams(req, tagIdParams);
    res.json({ [keys.one]: await deleteTag(ctx, await callerOf(req, projectId), tagId) });
  });
}

/** Project tags: `/api/v1/projects/:projectId/tags` and the deprecated `/api/v1/workspace/:projectId/tags`. */
export function tagsRouter(ctx: ServerContext): Router {
  const router = Router();
  tagRoutes(router, ctx, '/api/v1/projects', { one: 'tag', many: 'tags' });
  tagRoutes(router, ctx, '/api/v1/workspace', { one: 'workspaceTag', many: 'workspaceTags' });
  return router;
}
