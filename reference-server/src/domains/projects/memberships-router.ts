import { randomUUID } from 'node:crypto';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { assertWithinBoundary, projectAccess } from '../../auth/permissions.js';
import type { ServerContext } from '../../context.js';
import { audit, authOf } from '../../context.js';
import { badRequest, forbidden, notFound } from '../../http/errors.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import type { MembershipRecord } from '../../store/records.js';
import { MAX_MEMBERSHIP_ROLES, type RoleInput, roleInputSchema, toRoleRecords } from './membership-roles.js';
import { membershipDetail, membershipSummary } from './project-views.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { authMethodStates } from '../identities/auth-method-states.js';

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
  const { projects, access: accessStore } = ctx.store;

  async function detail(m: MembershipRecord) {
    const identity = await accessStore.getIdentity(m.identityId);
    const project = await projects.getProject(m.projectId);
    if (!identity || !project) throw notFound('Identity membership not found');
    return membershipDetail(m, identity, await authMethodStates(ctx, identity.id), project);
  }

  // Upstream's words, its unclosed quote included (identity-project-service.ts,
  // getProjectIdentityByIdentityId).
  const membershipNotFound = (projectId: string, identityId: string) =>
    notFound(
      `Project membership for identity with ID '${identityId} in project with ID '${projectId}' not found`,
    );

  async function target(req: Request, action: 'read' | 'create' | 'edit' | 'delete') {
    const { projectId, identityId } = parseParams(req, memberParams);
    const caller = authOf(req);
    const access = await projectAccess(ctx, caller, projectId);
    access.assert(action, 'identity');
    const identity = await accessStore.getIdentity(identityId);
    if (!identity || identity.orgId !== caller.orgId) {
      if (action === 'read') throw membershipNotFound(projectId, identityId);
      throw badRequest(`Identity ${identityId} is missing organization membership`);
    }
    const membership = await projects.getMembership(projectId, identityId);
    if (action !== 'read') {
      // Nobody changes their own standing; a change to someone else stays within the caller's own
      // privileges, both for the roles taken away and (checked by the caller) the roles given.
      if (identity.id === caller.identity.id && action !== 'delete')
        throw forbidden("You can't change your own membership");
      if (membership)
        assertWithinBoundary(
          access,
          membership.roles.map((r) => r.role),
          `${action} identity project membership`,
        );
    }
    return { access, identity, membership };
  }

  router.post(
    [V2, V1].map((p) => `${p}/:identityId`),
    async (req, res) => {
      const body = parseBody(req, createBody);
      const { access, identity, membership } = await target(req, 'create');
      if (membership) throw badRequest('Identity is already a member');
      const iso = new Date(ctx.now()).toISOString();
      const roles: RoleInput[] = body.roles ?? [{ role: body.role, isTemporary: false }];
      assertWithinBoundary(
        access,
        roles.map((r) => r.role),
        'create identity project membership',
      );
      const record: MembershipRecord = {
        id: randomUUID(),
        projectId: access.project.id,
        identityId: identity.id,
        roles: toRoleRecords(roles, iso),
        createdAt: iso,
        updatedAt: iso,
      };
      await projects.insertMembership(record);
      await audit(ctx, req, {
        type: 'create-identity-project-membership',
        metadata: { identityId: identity.id, roles: record.roles.map((r) => r.role) },
        projectId: access.project.id,
        projectName: access.project.name,
      });
      res.json({ identityMembership: membershipSummary(record) });
    },
  );

  router.patch(
    [V2, V1].map((p) => `${p}/:identityId`),
    async (req, res) => {
      const body = parseBody(req, updateBody);
      const { access, identity, membership } = await target(req, 'edit');
      if (!membership) throw badRequest("Identity doesn't have membership");
      assertWithinBoundary(
        access,
        body.roles.map((r) => r.role),
        'update identity project membership',
      );
      const iso = new Date(ctx.now()).toISOString();
      const roles = toRoleRecords(body.roles, iso);
      await projects.replaceMembershipRoles(membership.id, roles, iso);
      await audit(ctx, req, {
        type: 'update-identity-project-membership',
        metadata: { identityId: identity.id, roles: roles.map((r) => r.role) },
        projectId: access.project.id,
        projectName: access.project.name,
      });
      const updated = { ...membership, roles, updatedAt: iso };
      if (req.path.startsWith('/api/v2/'))
        res.json({
          roles: (await detail(updated)).roles.map((r) => ({ ...r, projectMembershipId: membership.id })),
        });
      else res.json({ identityMembership: membershipSummary(updated) });
    },
  );

  router.delete(
    [V2, V1].map((p) => `${p}/:identityId`),
    async (req, res) => {
      const { access, identity, membership } = await target(req, 'delete');
      if (!membership) throw badRequest("Identity doesn't have membership");
      if (identity.id === authOf(req).identity.id) throw badRequest("You can't delete your own membership");
      await projects.deleteMembership(membership.id);
      await audit(ctx, req, {
        type: 'delete-identity-project-membership',
        metadata: { identityId: identity.id },
        projectId: access.project.id,
        projectName: access.project.name,
      });
      res.json({ identityMembership: membershipSummary(membership) });
    },
  );

  router.get(
    [V2, V1].map((p) => `${p}/:identityId`),
    async (req, res) => {
      const { membership } = await target(req, 'read');
      if (!membership) {
        const { projectId, identityId } = parseParams(req, memberParams);
        throw membershipNotFound(projectId, identityId);
      }
      res.json({ identityMembership: await detail(membership) });
    },
  );

  router.get([V2, V1], async (req, res) => {
    const { projectId } = parseParams(req, projectParams);
    const { offset, limit } = parseQuery(req, listQuery);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('read', 'identity');
    const all = await projects.listMemberships(projectId);
    res.json({
      identityMemberships: await Promise.all(all.slice(offset, offset + limit).map(detail)),
      totalCount: all.length,
    });
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
