/**
 * Project routes in the v1, v2 and deprecated workspace trees: parse, call project-service.ts,
 * shape the answer. Never touches the store.
 */
import { type Request, Router } from 'express';
import { z } from 'zod';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { orgCallerFor, projectCallerFor, projectCallerForSlug } from '../../shared/callers.js';
import { slugSchema } from '../../shared/schemas.js';
import { environmentsRouter } from './environments-router.js';
import { membershipsRouter } from './memberships-router.js';
import { createProject, deleteProject, listProjects, readProject, updateProject } from './project-service.js';

const PROJECT_TYPES = [
  'secret-manager',
  'cert-manager',
  'kms',
  'ssh',
  'secret-scanning',
  'pam',
  'ai',
] as const;
const createBody = z.object({
  projectName: z.string().trim().min(1).max(64),
  projectDescription: z.string().trim().max(256).optional(),
  slug: slugSchema(3, 36).optional(),
  kmsKeyId: z.string().optional(),
  template: z.string().trim().max(64).default('default'),
  type: z.enum(PROJECT_TYPES).default('secret-manager'),
  shouldCreateDefaultEnvs: z.boolean().default(true),
  hasDeleteProtection: z.boolean().default(false),
});
const updateBody = z.object({
  name: z.string().trim().min(1).max(64).optional(),
  description: z.string().trim().max(256).optional(),
  autoCapitalization: z.boolean().optional(),
  hasDeleteProtection: z.boolean().optional(),
  slug: slugSchema(5, 64).optional(),
  // Upstream accepts it on /api/v1/projects only; here every update route takes it.
  pitVersionLimit: z.number().int().min(1).max(100).optional(),
});
const idParams = z.object({ projectId: z.string().trim().min(1) });
const slugParams = z.object({ slug: z.string().trim().min(1) });

/** Projects in both route trees (docs/reference/api.md#projects-and-environments, decision M2). */
export function projectsRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);
  router.use(['/api/v1/workspace', '/api/v2/workspace', '/api/v1/projects'], auth);

  const create = (req: Request) => createProject(ctx, orgCallerFor(ctx, req), parseBody(req, createBody));
  const byId = (req: Request) => projectCallerFor(ctx, req, parseParams(req, idParams).projectId);
  const bySlug = (req: Request) => projectCallerForSlug(ctx, req, parseParams(req, slugParams).slug);

  // v2 tree: create, and slug-addressed bare objects.
  router.post('/api/v2/workspace', async (req, res) => {
    res.json({ project: await create(req) });
  });
  router.get('/api/v2/workspace/:slug', async (req, res) => {
    res.json(await readProject(ctx, await bySlug(req)));
  });
  router.patch('/api/v2/workspace/:slug', async (req, res) => {
    const body = parseBody(req, updateBody);
    res.json(await updateProject(ctx, await bySlug(req), body));
  });
  router.delete('/api/v2/workspace/:slug', async (req, res) => {
    res.json(await deleteProject(ctx, await bySlug(req)));
  });

  // v1 deprecated tree: `workspace` keys.
  router.get('/api/v1/workspace', async (req, res) => {
    res.json({ workspaces: await listProjects(ctx, orgCallerFor(ctx, req)) });
  });
  router.get('/api/v1/workspace/:projectId', async (req, res) => {
    res.json({ workspace: await readProject(ctx, await byId(req)) });
  });
  router.patch('/api/v1/workspace/:projectId', async (req, res) => {
    const body = parseBody(req, updateBody);
    res.json({ workspace: await updateProject(ctx, await byId(req), body) });
  });
  router.delete('/api/v1/workspace/:projectId', async (req, res) => {
    res.json({ workspace: await deleteProject(ctx, await byId(req)) });
  });

  // v1 current tree: `project` keys.
  router.post('/api/v1/projects', async (req, res) => {
    res.json({ project: await create(req) });
  });
  router.get('/api/v1/projects', async (req, res) => {
    res.json({ projects: await listProjects(ctx, orgCallerFor(ctx, req)) });
  });
  router.get('/api/v1/projects/slug/:slug', async (req, res) => {
    res.json(await readProject(ctx, await bySlug(req)));
  });
  router.get('/api/v1/projects/:projectId', async (req, res) => {
    res.json({ project: await readProject(ctx, await byId(req)) });
  });
  router.patch('/api/v1/projects/:projectId', async (req, res) => {
    const body = parseBody(req, updateBody);
    res.json({ project: await updateProject(ctx, await byId(req), body) });
  });
  router.delete('/api/v1/projects/:projectId', async (req, res) => {
    res.json({ project: await deleteProject(ctx, await byId(req)) });
  });

  router.use(environmentsRouter(ctx));
  router.use(membershipsRouter(ctx));
  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const projectsRouteDocs = routeDocs('Projects', [
  {
    method: 'post',
    path: ['/api/v2/workspace', '/api/v1/projects'],
    summary: 'Create a project (with dev, staging and prod) and make the caller its admin',
    body: createBody,
  },
  {
    method: 'get',
    path: '/api/v2/workspace/:slug',
    summary: 'Read a project by slug (the bare object)',
    params: slugParams,
  },
  {
    method: 'patch',
    path: '/api/v2/workspace/:slug',
    summary: 'Update a project by slug',
    params: slugParams,
    body: updateBody,
  },
  {
    method: 'delete',
    path: '/api/v2/workspace/:slug',
    summary: 'Delete a project by slug',
    params: slugParams,
  },
  {
    method: 'get',
    path: '/api/v1/workspace',
    summary: 'List the projects the caller is a member of (`workspaces`)',
    deprecated: true,
  },
  {
    method: 'get',
    path: '/api/v1/workspace/:projectId',
    summary: 'Read a project (`workspace`)',
    params: idParams,
    deprecated: true,
  },
  {
    method: 'patch',
    path: '/api/v1/workspace/:projectId',
    summary: 'Update a project (`workspace`)',
    params: idParams,
    body: updateBody,
    deprecated: true,
  },
  {
    method: 'delete',
    path: '/api/v1/workspace/:projectId',
    summary: 'Delete a project (`workspace`)',
    params: idParams,
    deprecated: true,
  },
  { method: 'get', path: '/api/v1/projects', summary: 'List the projects the caller is a member of' },
  {
    method: 'get',
    path: '/api/v1/projects/slug/:slug',
    summary: 'Read a project by slug (the bare object)',
    params: slugParams,
  },
  { method: 'get', path: '/api/v1/projects/:projectId', summary: 'Read a project', params: idParams },
  {
    method: 'patch',
    path: '/api/v1/projects/:projectId',
    summary: 'Update a project',
    params: idParams,
    body: updateBody,
  },
  { method: 'delete', path: '/api/v1/projects/:projectId', summary: 'Delete a project', params: idParams },
]);
