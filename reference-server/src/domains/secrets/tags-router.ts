/**
 * Tag routes (current and deprecated workspace trees): parse, call tag-service.ts, shape the answer.
 */
import { Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams } from '../../http/validate.js';
import { callerFor } from './caller.js';
import { createTagBody, projectIdParams, tagIdParams, tagSlugParams, updateTagBody } from './schemas.js';
import { createTag, deleteTag, getTag, getTagBySlug, listTags, updateTag } from './tag-service.js';
import { routeDocs } from '../../openapi/route-doc.js';

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

/** One tags tree as the OpenAPI document describes it. */
function tagRouteDocs(base: string, deprecated: boolean) {
  const tags = `${base}/:projectId/tags`;
  const ownProject = 'D23 (a tag is found only under its own project).';
  return routeDocs('Tags', [
    {
      method: 'post',
      path: tags,
      summary: 'Create a tag',
      params: projectIdParams,
      body: createTagBody,
      deprecated,
      deviation: 'D23 (`color` must not be empty).',
    },
    { method: 'get', path: tags, summary: 'List the tags of a project', params: projectIdParams, deprecated },
    {
      method: 'get',
      path: `${tags}/slug/:tagSlug`,
      summary: 'Read a tag by slug',
      params: tagSlugParams,
      deprecated,
    },
    {
      method: 'get',
      path: `${tags}/:tagId`,
      summary: 'Read a tag',
      params: tagIdParams,
      deprecated,
      deviation: ownProject,
    },
    {
      method: 'patch',
      path: `${tags}/:tagId`,
      summary: 'Update a tag',
      params: tagIdParams,
      body: updateTagBody,
      deprecated,
      deviation: ownProject,
    },
    {
      method: 'delete',
      path: `${tags}/:tagId`,
      summary: 'Delete a tag',
      params: tagIdParams,
      deprecated,
      deviation: ownProject,
    },
  ]);
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const tagsRouteDocs = [
  ...tagRouteDocs('/api/v1/projects', false),
  ...tagRouteDocs('/api/v1/workspace', true),
];
