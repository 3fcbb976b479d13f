import { randomUUID } from 'node:crypto';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { accessFor, type ProjectAccess, projectAccess } from '../../auth/permissions.js';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { audit, authOf } from '../../context.js';
import { badRequest, forbidden, notFound } from '../../http/errors.js';
import { parseBody, parseParams } from '../../http/validate.js';
import type { EnvironmentRecord, ProjectRecord } from '../../store/records.js';
import { randomSlug, slugSchema } from '../shared-schemas.js';
import { environmentsRouter } from './environments-router.js';
import { membershipsRouter } from './memberships-router.js';
import { projectWithEnvironments } from './project-views.js';
import { routeDocs } from '../../openapi/route-doc.js';

const PROJECT_TYPES = [
  'secret-manager',
  'cert-manager',
  'kms',
  'ssh',
  'secret-scanning',
  'pam',
  'ai',
] as const;
const DEFAULT_ENVIRONMENTS = [
  { name: 'Development', slug: 'dev' },
  { name: 'Staging', slug: 'staging' },
  { name: 'Production', slug: 'prod' },
];

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
  const { projects } = ctx.store;

  const withEnvs = async (p: ProjectRecord) =>
    projectWithEnvironments(p, await projects.listEnvironments(p.id));

  async function createProject(req: Request) {
    const body = parseBody(req, createBody);
    const caller = authOf(req);
    if (caller.identity.orgRole !== 'admin' && caller.identity.orgRole !== 'member') {
      throw forbidden("You don't have permission to create a project");
    }
    if (body.template !== 'default') throw badRequest(`Project template '${body.template}' not found`);
    const slug = body.slug ?? randomSlug(body.projectName);
    if (await projects.getProjectBySlug(caller.orgId, slug)) {
      throw badRequest(
        `A project with the slug "${slug}" already exists in your organization. Please choose a different name or slug.`,
      );
    }
    const iso = new Date(ctx.now()).toISOString();
    const project: ProjectRecord = {
      id: randomUUID(),
      orgId: caller.orgId,
      name: body.projectName,
      slug,
      description: body.projectDescription ?? null,
      type: body.type,
      autoCapitalization: false,
      hasDeleteProtection: body.hasDeleteProtection,
      dataKey: (await ctx.keys.generateDataKey()).wrapped,
      contentVersion: 1,
      pitVersionLimit: 10,
      createdAt: iso,
      updatedAt: iso,
    };
    const environments: EnvironmentRecord[] = (body.shouldCreateDefaultEnvs ? DEFAULT_ENVIRONMENTS : []).map(
      (e, i) => ({
        id: randomUUID(),
        projectId: project.id,
        name: e.name,
        slug: e.slug,
        position: i + 1,
        createdAt: iso,
        updatedAt: iso,
      }),
    );
    await projects.createProject({
      project,
      environments,
      rootFolderIds: environments.map(() => randomUUID()),
      creatorMembership: {
        id: randomUUID(),
        projectId: project.id,
        identityId: caller.identity.id,
        createdAt: iso,
        updatedAt: iso,
        roles: [
          {
            id: randomUUID(),
            role: 'admin',
            isTemporary: false,
            temporaryMode: null,
            temporaryRange: null,
            temporaryAccessStartTime: null,
            temporaryAccessEndTime: null,
            createdAt: iso,
            updatedAt: iso,
          },
        ],
      },
    });
    await audit(ctx, req, {
      type: 'create-project',
      metadata: { projectId: project.id, slug: project.slug, name: project.name },
      projectId: project.id,
      projectName: project.name,
    });
    return project;
  }

  async function bySlug(req: Request) {
    const { slug } = parseParams(req, slugParams);
    const caller = authOf(req);
    const project = await projects.getProjectBySlug(caller.orgId, slug);
    if (!project) throw notFound(`Project with slug '${slug}' not found`);
    return accessFor(ctx, caller, project);
  }

  async function update(req: Request, project: ProjectRecord) {
    const body = parseBody(req, updateBody);
    if (
      body.slug &&
      body.slug !== project.slug &&
      (await projects.getProjectBySlug(project.orgId, body.slug))
    ) {
      // Upstream's words (project-service.ts, updateProject).
      throw badRequest(
        `Failed to update project. A project with the slug "${body.slug}" already exists in your organization. Please choose a different slug.`,
      );
    }
    const updated: ProjectRecord = {
      ...project,
      name: body.name ?? project.name,
      description: body.description ?? project.description,
      autoCapitalization: body.autoCapitalization ?? project.autoCapitalization,
      hasDeleteProtection: body.hasDeleteProtection ?? project.hasDeleteProtection,
      slug: body.slug ?? project.slug,
      pitVersionLimit: body.pitVersionLimit ?? project.pitVersionLimit,
      updatedAt: new Date(ctx.now()).toISOString(),
    };
    await projects.updateProject(updated);
    await audit(ctx, req, {
      type: 'update-project',
      metadata: { projectId: project.id },
      projectId: project.id,
      projectName: updated.name,
    });
    return updated;
  }

  async function remove(req: Request, project: ProjectRecord) {
    if (project.hasDeleteProtection) throw forbidden('Project delete protection is enabled');
    await projects.deleteProject(project.id);
    await audit(ctx, req, {
      type: 'delete-project',
      metadata: { projectId: project.id },
      projectId: project.id,
      projectName: project.name,
    });
    return project;
  }

  /** The project, if the caller's roles let it read the project at all (no-access does not). */
  const readable = (access: ProjectAccess) => {
    access.assert('read', 'project');
    return access.project;
  };

  /** Projects the caller is a member of with a role that may read them. */
  async function listForCaller(req: Request) {
    const caller = authOf(req);
    const visible: ProjectRecord[] = [];
    for (const project of await projects.listProjectsForIdentity(caller.identity.id)) {
      if ((await accessFor(ctx, caller, project)).can('read', 'project')) visible.push(project);
    }
    return Promise.all(visible.map(withEnvs));
  }

  // v2 tree: create, and slug-addressed bare objects.
  router.post('/api/v2/workspace', async (req, res) => {
    res.json({ project: await withEnvs(await createProject(req)) });
  });
  router.get('/api/v2/workspace/:slug', async (req, res) => {
    res.json(await withEnvs(readable(await bySlug(req))));
  });
  router.patch('/api/v2/workspace/:slug', async (req, res) => {
    const access = await bySlug(req);
    access.assert('edit', 'settings');
    res.json(await withEnvs(await update(req, access.project)));
  });
  router.delete('/api/v2/workspace/:slug', async (req, res) => {
    const access = await bySlug(req);
    access.assert('delete', 'project');
    res.json(await withEnvs(await remove(req, access.project)));
  });

  // v1 deprecated tree: `workspace` keys.
  router.get('/api/v1/workspace', async (req, res) => {
    res.json({ workspaces: await listForCaller(req) });
  });
  router.get('/api/v1/workspace/:projectId', async (req, res) => {
    const { projectId } = parseParams(req, idParams);
    res.json({ workspace: await withEnvs(readable(await projectAccess(ctx, authOf(req), projectId))) });
  });
  router.patch('/api/v1/workspace/:projectId', async (req, res) => {
    const { projectId } = parseParams(req, idParams);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('edit', 'settings');
    res.json({ workspace: await withEnvs(await update(req, access.project)) });
  });
  router.delete('/api/v1/workspace/:projectId', async (req, res) => {
    const { projectId } = parseParams(req, idParams);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('delete', 'project');
    res.json({ workspace: await withEnvs(await remove(req, access.project)) });
  });

  // v1 current tree: `project` keys.
  router.post('/api/v1/projects', async (req, res) => {
    res.json({ project: await withEnvs(await createProject(req)) });
  });
  router.get('/api/v1/projects', async (req, res) => {
    res.json({ projects: await listForCaller(req) });
  });
  router.get('/api/v1/projects/slug/:slug', async (req, res) => {
    res.json(await withEnvs(readable(await bySlug(req))));
  });
  router.get('/api/v1/projects/:projectId', async (req, res) => {
    const { projectId } = parseParams(req, idParams);
    res.json({ project: await withEnvs(readable(await projectAccess(ctx, authOf(req), projectId))) });
  });
  router.patch('/api/v1/projects/:projectId', async (req, res) => {
    const { projectId } = parseParams(req, idParams);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('edit', 'settings');
    res.json({ project: await withEnvs(await update(req, access.project)) });
  });
  router.delete('/api/v1/projects/:projectId', async (req, res) => {
    const { projectId } = parseParams(req, idParams);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('delete', 'project');
    res.json({ project: await withEnvs(await remove(req, access.project)) });
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
