import { randomUUID } from 'node:crypto';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { projectAccess } from '../../auth/permissions.js';
import type { ServerContext } from '../../context.js';
import { audit, authOf } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import { parseBody, parseParams } from '../../http/validate.js';
import { environmentSlugSchema } from '../shared-schemas.js';
import { environmentView } from './project-views.js';
import { routeDocs } from '../../openapi/route-doc.js';

const envSlug = environmentSlugSchema;
const createBody = z.object({
  name: z.string().trim().min(1).max(64),
  slug: envSlug,
  position: z.number().int().min(1).optional(),
});
const updateBody = z.object({
  name: z.string().trim().min(1).max(64).optional(),
  slug: envSlug.optional(),
  position: z.number().int().min(1).optional(),
});
const projectParams = z.object({ projectId: z.string().trim().min(1) });
const envParams = z.object({ projectId: z.string().trim().min(1), envId: z.string().trim().min(1) });

/** Environments under both `/api/v1/workspace/:id` and `/api/v1/projects/:id` (docs/reference/api.md#projects-and-environments). */
export function environmentsRouter(ctx: ServerContext): Router {
  const router = Router();
  const { projects } = ctx.store;
  const bases = ['/api/v1/workspace/:projectId/environments', '/api/v1/projects/:projectId/environments'];

  async function environmentOf(req: Request, action: 'read' | 'edit' | 'delete') {
    const { projectId, envId } = parseParams(req, envParams);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert(action, 'environments');
    const env = await projects.getEnvironment(envId);
    // Upstream's words (project-env-service.ts): the read names the id, the writes the project too.
    if (!env || env.projectId !== projectId) {
      throw notFound(
        action === 'read'
          ? `Environment with ID '${envId}' not found`
          : `Environment with id '${envId}' in project with ID '${projectId}' not found`,
      );
    }
    return { access, env };
  }

  router.post(bases, async (req, res) => {
    const { projectId } = parseParams(req, projectParams);
    const body = parseBody(req, createBody);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('create', 'environments');
    const existing = await projects.listEnvironments(projectId);
    if (existing.some((e) => e.slug === body.slug)) {
      throw badRequest('Environment with slug already exist', { name: 'CreateEnvironment' });
    }
    const iso = new Date(ctx.now()).toISOString();
    // Without a position it goes last; a taken one moves the others down (the store keeps the sequence).
    const env = await projects.createEnvironment(
      {
        id: randomUUID(),
        projectId,
        name: body.name,
        slug: body.slug,
        position: body.position,
        createdAt: iso,
        updatedAt: iso,
      },
      randomUUID(),
    );
    await projects.touchContent(projectId);
    await audit(ctx, req, {
      type: 'create-environment',
      metadata: { name: env.name, slug: env.slug },
      projectId,
    });
    res.json({
      message: 'Successfully created new environment',
      workspace: projectId,
      environment: environmentView(env),
    });
  });

  router.get(bases, async (req, res) => {
    const { projectId } = parseParams(req, projectParams);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('read', 'environments');
    res.json({ environments: (await projects.listEnvironments(projectId)).map(environmentView) });
  });

  router.get(
    bases.map((b) => `${b}/:envId`),
    async (req, res) => {
      const { env } = await environmentOf(req, 'read');
      res.json({ environment: environmentView(env) });
    },
  );

  router.patch(
    bases.map((b) => `${b}/:envId`),
    async (req, res) => {
      const body = parseBody(req, updateBody);
      const { env } = await environmentOf(req, 'edit');
      if (
        body.slug &&
        body.slug !== env.slug &&
        (await projects.getEnvironmentBySlug(env.projectId, body.slug))
      ) {
        throw badRequest('Environment with slug already exist', { name: 'UpdateEnvironment' });
      }
      const updated = {
        ...env,
        ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)),
        updatedAt: new Date(ctx.now()).toISOString(),
      };
      await projects.updateEnvironment(updated);
      await projects.touchContent(env.projectId);
      await audit(ctx, req, {
        type: 'update-environment',
        metadata: { oldSlug: env.slug, newSlug: updated.slug },
        projectId: env.projectId,
      });
      res.json({
        message: 'Successfully updated environment',
        workspace: env.projectId,
        environment: environmentView(updated),
      });
    },
  );

  router.delete(
    bases.map((b) => `${b}/:envId`),
    async (req, res) => {
      const { env } = await environmentOf(req, 'delete');
      await projects.deleteEnvironment(env.id);
      await projects.touchContent(env.projectId);
      await audit(ctx, req, {
        type: 'delete-environment',
        metadata: { slug: env.slug },
        projectId: env.projectId,
      });
      res.json({
        message: 'Successfully deleted environment',
        workspace: env.projectId,
        environment: environmentView(env),
      });
    },
  );

  return router;
}

const environmentPaths = [
  '/api/v1/workspace/:projectId/environments',
  '/api/v1/projects/:projectId/environments',
];
const environmentItemPaths = environmentPaths.map((p) => `${p}/:envId`);

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const environmentsRouteDocs = routeDocs('Environments', [
  {
    method: 'post',
    path: environmentPaths,
    summary: 'Create an environment; at a taken position the others move down',
    params: projectParams,
    body: createBody,
  },
  {
    method: 'get',
    path: environmentPaths,
    summary: 'List the environments of a project by position',
    params: projectParams,
  },
  { method: 'get', path: environmentItemPaths, summary: 'Read an environment', params: envParams },
  {
    method: 'patch',
    path: environmentItemPaths,
    summary: 'Rename an environment or move it; the environments in between shift',
    params: envParams,
    body: updateBody,
  },
  {
    method: 'delete',
    path: environmentItemPaths,
    summary: 'Delete an environment with its folders and secrets',
    params: envParams,
  },
]);
