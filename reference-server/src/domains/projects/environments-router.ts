/**
 * Environment routes under both project trees: parse, call environment-service.ts, shape the answer.
 * Never touches the store.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { projectCallerFor } from '../../shared/callers.js';
import { environmentSlugSchema } from '../../shared/schemas.js';
import {
  createEnvironment,
  deleteEnvironment,
  listEnvironments,
  readEnvironment,
  updateEnvironment,
} from './environment-service.js';
import { environmentView } from './project-views.js';

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
  const bases = ['/api/v1/workspace/:projectId/environments', '/api/v1/projects/:projectId/environments'];
  const items = bases.map((b) => `${b}/:envId`);

  router.post(bases, async (req, res) => {
    const { projectId } = parseParams(req, projectParams);
    const body = parseBody(req, createBody);
    const env = await createEnvironment(ctx, await projectCallerFor(ctx, req, projectId), body);
    res.json({
      message: 'Successfully created new environment',
      workspace: projectId,
      environment: environmentView(env),
    });
  });

  router.get(bases, async (req, res) => {
    const { projectId } = parseParams(req, projectParams);
    const envs = await listEnvironments(ctx, await projectCallerFor(ctx, req, projectId));
    res.json({ environments: envs.map(environmentView) });
  });

  router.get(items, async (req, res) => {
    const { projectId, envId } = parseParams(req, envParams);
    const env = await readEnvironment(ctx, await projectCallerFor(ctx, req, projectId), envId);
    res.json({ environment: environmentView(env) });
  });

  router.patch(items, async (req, res) => {
    const body = parseBody(req, updateBody);
    const { projectId, envId } = parseParams(req, envParams);
    const env = await updateEnvironment(ctx, await projectCallerFor(ctx, req, projectId), { ...body, envId });
    res.json({
      message: 'Successfully updated environment',
      workspace: env.projectId,
      environment: environmentView(env),
    });
  });

  router.delete(items, async (req, res) => {
    const { projectId, envId } = parseParams(req, envParams);
    const env = await deleteEnvironment(ctx, await projectCallerFor(ctx, req, projectId), envId);
    res.json({
      message: 'Successfully deleted environment',
      workspace: env.projectId,
      environment: environmentView(env),
    });
  });

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
