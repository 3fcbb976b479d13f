/**
 * Identity membership routes (v2 and v1 trees): parse, call membership-service.ts, shape the answer.
 * Never touches the store.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { projectCallerFor } from '../../shared/callers.js';
import { MAX_MEMBERSHIP_ROLES, roleInputSchema } from './membership-roles.js';
import {
  createMembership,
  deleteMembership,
  listMemberships,
  membershipDetailOf,
  readMembership,
  updateMembership,
} from './membership-service.js';
import { membershipSummary } from './project-views.js';

const V2 = '/api/v2/workspace/:projectId/identity-memberships';
const V1 = '/api/v1/projects/:projectId/memberships/identities';

const createBody = z.object({
  role: z.string().trim().min(1).default('no-access'),
  roles: z.array(roleInputSchema).min(1).max(MAX_MEMBERSHIP_ROLES).optional(),
});
const updateBody = z.object({ roles: z.array(roleInputSchema).min(1).max(MAX_MEMBERSHIP_ROLES) });
const memberParams = z.object({ projectId: z.string().trim().min(1), identityId: z.string().trim().min(1) });
const projectParams = z.object({ projectId: z.string().trim().min(1) });
const listQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(20000).default(100),
});

/** Identity memberships of a project, in the v2 and v1 route trees (docs/reference/api.md#memberships-and-roles). */
export function membershipsRouter(ctx: ServerContext): Router {
  const router = Router();
  const items = [V2, V1].map((p) => `${p}/:identityId`);

  router.post(items, async (req, res) => {
    const body = parseBody(req, createBody);
    const { projectId, identityId } = parseParams(req, memberParams);
    const caller = await projectCallerFor(ctx, req, projectId);
    const record = await createMembership(ctx, caller, { ...body, identityId });
    res.json({ identityMembership: membershipSummary(record) });
  });

  router.patch(items, async (req, res) => {
    const body = parseBody(req, updateBody);
    const { projectId, identityId } = parseParams(req, memberParams);
    const caller = await projectCallerFor(ctx, req, projectId);
    const updated = await updateMembership(ctx, caller, { ...body, identityId });
    if (req.path.startsWith('/api/v2/'))
      res.json({
        roles: (await membershipDetailOf(ctx, updated)).roles.map((r) => ({
          ...r,
          projectMembershipId: updated.id,
        })),
      });
    else res.json({ identityMembership: membershipSummary(updated) });
  });

  router.delete(items, async (req, res) => {
    const { projectId, identityId } = parseParams(req, memberParams);
    const caller = await projectCallerFor(ctx, req, projectId);
    res.json({ identityMembership: membershipSummary(await deleteMembership(ctx, caller, identityId)) });
  });

  router.get(items, async (req, res) => {
    const { projectId, identityId } = parseParams(req, memberParams);
    const caller = await projectCallerFor(ctx, req, projectId);
    res.json({ identityMembership: await readMembership(ctx, caller, identityId) });
  });

  router.get([V2, V1], async (req, res) => {
    const { projectId } = parseParams(req, projectParams);
    const page = parseQuery(req, listQuery);
    res.json(await listMemberships(ctx, await projectCallerFor(ctx, req, projectId), page));
  });

  return router;
}

const memberPaths = [V2, V1].map((p) => `${p}/:identityId`);

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const membershipsRouteDocs = routeDocs('Memberships', [
  {
    method: 'post',
    path: memberPaths,
    summary: 'Add an identity to a project with `role` or `roles`',
    params: memberParams,
    body: createBody,
  },
  {
    method: 'patch',
    path: memberPaths,
    summary: 'Replace the roles of a membership',
    params: memberParams,
    body: updateBody,
  },
  {
    method: 'delete',
    path: memberPaths,
    summary: 'Remove an identity from a project',
    params: memberParams,
    deviation: 'only admins remove memberships (docs/reference/authorization.md).',
  },
  { method: 'get', path: memberPaths, summary: 'Read one membership', params: memberParams },
  {
    method: 'get',
    path: [V2, V1],
    summary: 'List the identity memberships of a project',
    params: projectParams,
    query: listQuery,
  },
]);
