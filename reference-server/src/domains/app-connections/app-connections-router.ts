/**
 * PostgreSQL app connection routes: parse, call app-connection-service.ts, shape the answer.
 * Never returns a stored credential.
 */
import { type Request, Router } from 'express';
import { z } from 'zod';
import { requireAuth } from '../../auth/require-auth.js';
import { audit, authOf, type ServerContext } from '../../context.js';
import { parseBody, parseParams } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { slugSchema, uuidSchema } from '../../shared/schemas.js';
import {
  createAppConnection,
  deleteAppConnection,
  getAppConnection,
  listAppConnections,
  listAvailableAppConnections,
  type OrgCaller,
  updateAppConnection,
} from './app-connection-service.js';
import { postgresCredentialsSchema, USERNAME_AND_PASSWORD } from './postgres-connection.js';

/** Where the PostgreSQL app connections live (upstream's path). */
export const POSTGRES_CONNECTIONS_PATH = '/api/v1/app-connections/postgres';

const description = z.string().trim().max(256, 'Description cannot exceed 256 characters').nullish();
const createBody = z.object({
  name: slugSchema(1, 32),
  description,
  method: z.literal(USERNAME_AND_PASSWORD),
  credentials: postgresCredentialsSchema,
  // Upstream's gateway field: connections go direct here, so only its empty values are accepted.
  gatewayId: z.null().optional(),
  isPlatformManagedCredentials: z.literal(false).optional(),
});
const updateBody = z.object({
  name: slugSchema(1, 32).optional(),
  description,
  credentials: postgresCredentialsSchema.optional(),
  gatewayId: z.null().optional(),
  isPlatformManagedCredentials: z.literal(false).optional(),
});
const idParams = z.object({ connectionId: uuidSchema });
const nameParams = z.object({ connectionName: z.string().trim().min(1, 'Connection name required').max(64) });

function orgCaller(ctx: ServerContext, req: Request): OrgCaller {
  return { auth: authOf(req), audit: (event) => audit(ctx, req, event) };
}

/** `/api/v1/app-connections/postgres` (docs/reference/api.md#app-connections). */
export function appConnectionsRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);
  const path = POSTGRES_CONNECTIONS_PATH;

  router.get(path, auth, async (req, res) => {
    res.json(await listAppConnections(ctx, orgCaller(ctx, req)));
  });
  router.get(`${path}/available`, auth, async (req, res) => {
    res.json(await listAvailableAppConnections(ctx, orgCaller(ctx, req)));
  });
  router.get(`${path}/connection-name/:connectionName`, auth, async (req, res) => {
    const { connectionName } = parseParams(req, nameParams);
    res.json(await getAppConnection(ctx, orgCaller(ctx, req), { connectionName }));
  });
  router.get(`${path}/:connectionId`, auth, async (req, res) => {
    const { connectionId } = parseParams(req, idParams);
    res.json(await getAppConnection(ctx, orgCaller(ctx, req), { connectionId }));
  });
  router.post(path, auth, async (req, res) => {
    const body = parseBody(req, createBody);
    res.json(await createAppConnection(ctx, orgCaller(ctx, req), body));
  });
  router.patch(`${path}/:connectionId`, auth, async (req, res) => {
    const { connectionId } = parseParams(req, idParams);
    const body = parseBody(req, updateBody);
    res.json(await updateAppConnection(ctx, orgCaller(ctx, req), { connectionId, ...body }));
  });
  router.delete(`${path}/:connectionId`, auth, async (req, res) => {
    const { connectionId } = parseParams(req, idParams);
    res.json(await deleteAppConnection(ctx, orgCaller(ctx, req), connectionId));
  });
  return router;
}

const path = POSTGRES_CONNECTIONS_PATH;
/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const appConnectionsRouteDocs = routeDocs('App Connections', [
  { method: 'get', path, summary: 'List the PostgreSQL app connections of the organization' },
  {
    method: 'get',
    path: `${path}/available`,
    summary: 'List the connections the caller may use (id and name)',
  },
  {
    method: 'get',
    path: `${path}/connection-name/:connectionName`,
    summary: 'Read a connection by name (never its credentials)',
    params: nameParams,
  },
  {
    method: 'get',
    path: `${path}/:connectionId`,
    summary: 'Read a connection (never its credentials)',
    params: idParams,
  },
  {
    method: 'post',
    path,
    summary: 'Create a connection; its credentials are checked by connecting',
    body: createBody,
  },
  {
    method: 'patch',
    path: `${path}/:connectionId`,
    summary: 'Update a connection',
    params: idParams,
    body: updateBody,
  },
  { method: 'delete', path: `${path}/:connectionId`, summary: 'Delete a connection', params: idParams },
]);
