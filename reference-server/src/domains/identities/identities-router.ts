/**
 * Machine identity routes (`/api/v1/identities`): parse, call identity-service.ts, shape the answer.
 * Never touches the store.
 */
import { Router } from 'express';
import { z } from 'zod';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { orgCallerFor } from '../../shared/callers.js';
import { ORG_ROLES } from '../../shared/identity-access.js';
import { uuidSchema } from '../../shared/schemas.js';
import {
  callerOrganization,
  createIdentity,
  deleteIdentity,
  listIdentities,
  listIdentityProjectMemberships,
  readIdentity,
  updateIdentity,
} from './identity-service.js';
import { identityView } from './identity-views.js';

const metadataSchema = z
  .array(z.object({ key: z.string().trim().min(1).max(255), value: z.string().trim().min(1).max(1020) }))
  .max(50);
const orgRole = z
  .string()
  .trim()
  .min(1)
  .refine((r) => (ORG_ROLES as readonly string[]).includes(r), {
    message: `role must be one of ${ORG_ROLES.join(', ')}`,
  });
const createBody = z.object({
  name: z.string().trim().min(1).max(128),
  organizationId: z.string().trim().min(1),
  role: orgRole.default('no-access'),
  hasDeleteProtection: z.boolean().default(false),
  metadata: metadataSchema.optional(),
});
const updateBody = z.object({
  name: z.string().trim().min(1).max(128).optional(),
  role: orgRole.optional(),
  hasDeleteProtection: z.boolean().optional(),
  metadata: metadataSchema.optional(),
});
const identityParams = z.object({ identityId: uuidSchema });
const listQuery = z.object({ orgId: z.string().trim().min(1) });

/** Machine identities of an organization (docs/reference/api.md#identities). */
export function identitiesRouter(ctx: ServerContext): Router {
  const router = Router();
  router.use('/api/v1/identities', requireAuth(ctx));

  router.post('/api/v1/identities', async (req, res) => {
    const body = parseBody(req, createBody);
    const identity = await createIdentity(ctx, orgCallerFor(ctx, req), body);
    res.json({ identity: { ...identityView(identity), authMethods: [], metadata: identity.metadata } });
  });

  router.get('/api/v1/identities', async (req, res) => {
    const { orgId } = parseQuery(req, listQuery);
    res.json(await listIdentities(ctx, orgCallerFor(ctx, req), orgId));
  });

  router.get('/api/v1/identities/details', async (req, res) => {
    const organization = await callerOrganization(ctx, orgCallerFor(ctx, req));
    res.json({ identityDetails: { organization } });
  });

  router.get('/api/v1/identities/:identityId', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    res.json({ identity: await readIdentity(ctx, orgCallerFor(ctx, req), identityId) });
  });

  router.get('/api/v1/identities/:identityId/identity-memberships', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const views = await listIdentityProjectMemberships(ctx, orgCallerFor(ctx, req), identityId);
    res.json({ identityMemberships: views });
  });

  router.patch('/api/v1/identities/:identityId', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, updateBody);
    const updated = await updateIdentity(ctx, orgCallerFor(ctx, req), { ...body, identityId });
    res.json({ identity: { ...identityView(updated), metadata: updated.metadata } });
  });

  router.delete('/api/v1/identities/:identityId', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    res.json({ identity: identityView(await deleteIdentity(ctx, orgCallerFor(ctx, req), identityId)) });
  });

  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const identitiesRouteDocs = routeDocs('Identities', [
  { method: 'post', path: '/api/v1/identities', summary: 'Create a machine identity', body: createBody },
  {
    method: 'get',
    path: '/api/v1/identities',
    summary: 'List the identities of an organization',
    query: listQuery,
  },
  { method: 'get', path: '/api/v1/identities/details', summary: "The caller's identity and organization" },
  {
    method: 'get',
    path: '/api/v1/identities/:identityId',
    summary: 'Read an identity',
    params: identityParams,
  },
  {
    method: 'get',
    path: '/api/v1/identities/:identityId/identity-memberships',
    summary: 'List the project memberships of an identity',
    params: identityParams,
  },
  {
    method: 'patch',
    path: '/api/v1/identities/:identityId',
    summary: 'Update an identity',
    params: identityParams,
    body: updateBody,
  },
  {
    method: 'delete',
    path: '/api/v1/identities/:identityId',
    summary: 'Delete an identity',
    params: identityParams,
  },
]);
