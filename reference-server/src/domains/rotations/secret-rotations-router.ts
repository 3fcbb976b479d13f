/**
 * Secret rotation routes (`/api/v2/secret-rotations`): parse, call rotation-service.ts, shape the
 * answer; never touches the store. Generated credentials are returned only by their own route, to
 * callers with the right.
 */
import { type Request, Router } from 'express';
import { z } from 'zod';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { type RouteDoc, routeDocs } from '../../openapi/route-doc.js';
import { callerFor, callerForProjectId } from '../secrets/caller.js';
import { slugSchema, uuidSchema } from '../../shared/schemas.js';
import { postgresCredentialsProvider } from './postgres-credentials-provider.js';
import type { RotationProvider } from './rotation-provider.js';
import {
  createRotation,
  deleteRotation,
  generatedCredentials,
  getRotation,
  getRotationByName,
  listRotations,
  projectOfRotation,
  rotateNow,
  updateRotation,
} from './rotation-service.js';

/** Where secret rotations live (upstream's v2 paths). */
export const SECRET_ROTATIONS_PATH = '/api/v2/secret-rotations';

const rotateAtUtc = z.strictObject({
  hours: z.number().int().min(0).max(23),
  minutes: z.number().int().min(0).max(59),
});
const description = z.string().trim().max(256, 'Description cannot exceed 256 characters').nullish();
const secretPath = z
  .string()
  .trim()
  .min(1, 'Secret path required')
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p));
const environment = slugSchema(1, 64);
const rotationInterval = z.coerce.number().int().min(1).max(365_000);
const projectQuery = z.object({ projectId: z.string().trim().min(1, 'Project ID required') });
const idParams = z.object({ rotationId: uuidSchema });
const nameParams = z.object({ rotationName: slugSchema(1, 64) });
const byNameQuery = projectQuery.extend({ environment, secretPath });
const booleanQuery = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');
const deleteQuery = z.object({ deleteSecrets: booleanQuery, revokeGeneratedCredentials: booleanQuery });

function bodySchemas(provider: RotationProvider) {
  return {
    create: z.object({
      name: slugSchema(1, 64),
      projectId: z.string().trim().min(1, 'Project ID required'),
      description,
      connectionId: uuidSchema,
      environment,
      secretPath,
      isAutoRotationEnabled: z.boolean().default(true),
      rotationInterval,
      rotateAtUtc: rotateAtUtc.default({ hours: 0, minutes: 0 }),
      parameters: provider.parametersSchema,
      secretsMapping: provider.secretsMappingSchema,
    }),
    update: z.object({
      name: slugSchema(1, 64).optional(),
      description,
      isAutoRotationEnabled: z.boolean().optional(),
      rotationInterval: rotationInterval.optional(),
      rotateAtUtc: rotateAtUtc.optional(),
    }),
  };
}

/** The caller of a route naming a rotation by id: its project is the rotation's (404 when none). */
async function callerForRotation(ctx: ServerContext, req: Request) {
  const { rotationId } = parseParams(req, idParams);
  return { rotationId, caller: await callerForProjectId(ctx, req, await projectOfRotation(ctx, rotationId)) };
}

/** `/api/v2/secret-rotations/…` (docs/reference/api.md#secret-rotations). */
export function secretRotationsRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);

  router.get(SECRET_ROTATIONS_PATH, auth, async (req, res) => {
    const { projectId } = parseQuery(req, projectQuery);
    res.json(await listRotations(ctx, await callerFor(ctx, req, { projectId })));
  });

  for (const provider of [postgresCredentialsProvider]) {
    const path = `${SECRET_ROTATIONS_PATH}/${provider.type}`;
    const bodies = bodySchemas(provider);

    router.get(path, auth, async (req, res) => {
      const { projectId } = parseQuery(req, projectQuery);
      res.json(await listRotations(ctx, await callerFor(ctx, req, { projectId }), provider));
    });
    router.get(`${path}/rotation-name/:rotationName`, auth, async (req, res) => {
      const { rotationName } = parseParams(req, nameParams);
      const q = parseQuery(req, byNameQuery);
      const caller = await callerFor(ctx, req, { projectId: q.projectId });
      res.json(await getRotationByName(ctx, caller, provider, { rotationName, ...q }));
    });
    router.get(`${path}/:rotationId`, auth, async (req, res) => {
      const { rotationId, caller } = await callerForRotation(ctx, req);
      res.json(await getRotation(ctx, caller, provider, rotationId));
    });
    router.get(`${path}/:rotationId/generated-credentials`, auth, async (req, res) => {
      const { rotationId, caller } = await callerForRotation(ctx, req);
      res.json(await generatedCredentials(ctx, caller, provider, rotationId));
    });
    router.post(path, auth, async (req, res) => {
      const { projectId, ...body } = parseBody(req, bodies.create);
      const caller = await callerFor(ctx, req, { projectId });
      res.json(await createRotation(ctx, caller, provider, body));
    });
    router.patch(`${path}/:rotationId`, auth, async (req, res) => {
      const body = parseBody(req, bodies.update);
      const { rotationId, caller } = await callerForRotation(ctx, req);
      res.json(await updateRotation(ctx, caller, provider, { rotationId, ...body }));
    });
    router.delete(`${path}/:rotationId`, auth, async (req, res) => {
      const q = parseQuery(req, deleteQuery);
      const { rotationId, caller } = await callerForRotation(ctx, req);
      res.json(await deleteRotation(ctx, caller, provider, { rotationId, ...q }));
    });
    router.post(`${path}/:rotationId/rotate-secrets`, auth, async (req, res) => {
      const { rotationId, caller } = await callerForRotation(ctx, req);
      res.json(await rotateNow(ctx, caller, provider, rotationId));
    });
  }
  return router;
}

function providerRouteDocs(provider: RotationProvider): RouteDoc[] {
  const path = `${SECRET_ROTATIONS_PATH}/${provider.type}`;
  const bodies = bodySchemas(provider);
  return routeDocs('Secret Rotations', [
    { method: 'get', path, summary: `List the ${provider.type} rotations of a project`, query: projectQuery },
    {
      method: 'get',
      path: `${path}/rotation-name/:rotationName`,
      summary: 'Read a rotation by name, environment and path',
      params: nameParams,
      query: byNameQuery,
    },
    {
      method: 'get',
      path: `${path}/:rotationId`,
      summary: 'Read a rotation and its status',
      params: idParams,
    },
    {
      method: 'get',
      path: `${path}/:rotationId/generated-credentials`,
      summary: 'Read the active and inactive generated credentials (needs the right to read values)',
      params: idParams,
    },
    { method: 'post', path, summary: 'Create a rotation and rotate once', body: bodies.create },
    {
      method: 'patch',
      path: `${path}/:rotationId`,
      summary: 'Update a rotation',
      params: idParams,
      body: bodies.update,
    },
    {
      method: 'delete',
      path: `${path}/:rotationId`,
      summary: 'Delete a rotation (optionally its secrets and generated users)',
      params: idParams,
      query: deleteQuery,
    },
    { method: 'post', path: `${path}/:rotationId/rotate-secrets`, summary: 'Rotate now', params: idParams },
  ]);
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const secretRotationsRouteDocs: RouteDoc[] = [
  ...routeDocs('Secret Rotations', [
    {
      method: 'get',
      path: SECRET_ROTATIONS_PATH,
      summary: 'List every rotation of a project',
      query: projectQuery,
    },
  ]),
  ...providerRouteDocs(postgresCredentialsProvider),
];
