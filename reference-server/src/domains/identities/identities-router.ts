import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { audit, authOf } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import type { IdentityRecord } from '../../store/records.js';
import { uuidSchema } from '../../shared/schemas.js';
import {
  assertMayModifyIdentity,
  assertOrgPermission,
  assertOrgRoleGrantable,
  identityInOrg,
  ORG_ROLES,
} from './identity-access.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { authMethodStates } from './auth-method-states.js';

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

/** The identity row as upstream's `IdentitiesSchema` shows it. */
export function identityView(i: IdentityRecord) {
  return {
    id: i.id,
    name: i.name,
    authMethod: null,
    orgId: i.orgId,
    hasDeleteProtection: i.hasDeleteProtection,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

/** Machine identities of an organization (docs/reference/api.md#identities). */
export function identitiesRouter(ctx: ServerContext): Router {
  const router = Router();
  router.use('/api/v1/identities', requireAuth(ctx));
  const { access } = ctx.store;

  const authMethodsOf = async (identityId: string) =>
    (await access.listAuthMethods(identityId)).map((m) => m.method);

  /** The org-membership record wrapping an identity (GET and list shapes). */
  async function membershipView(i: IdentityRecord) {
    return {
      id: i.id,
      role: i.orgRole,
      roleId: null,
      orgId: i.orgId,
      identityId: i.id,
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
      metadata: i.metadata,
      lastLoginAuthMethod: i.lastLoginAuthMethod,
      lastLoginTime: i.lastLoginTime,
      identity: {
        id: i.id,
        name: i.name,
        orgId: i.orgId,
        hasDeleteProtection: i.hasDeleteProtection,
        ...(await authMethodStates(ctx, i.id)),
      },
    };
  }

  router.post('/api/v1/identities', async (req, res) => {
    const body = parseBody(req, createBody);
    const auth = authOf(req);
    assertOrgPermission(auth, 'manage');
    if (body.organizationId !== auth.orgId)
      throw notFound(`Organization with ID ${body.organizationId} not found`);
    assertOrgRoleGrantable(auth, body.role);
    const iso = new Date(ctx.now()).toISOString();
    const identity: IdentityRecord = {
      id: randomUUID(),
      name: body.name,
      orgId: auth.orgId,
      orgRole: body.role,
      hasDeleteProtection: body.hasDeleteProtection,
      metadata: (body.metadata ?? []).map((m) => ({ id: randomUUID(), ...m })),
      lastLoginAuthMethod: null,
      lastLoginTime: null,
      createdAt: iso,
      updatedAt: iso,
    };
    await access.insertIdentity(identity);
    await audit(ctx, req, {
      type: 'create-identity',
      metadata: { identityId: identity.id, name: identity.name },
    });
    res.json({ identity: { ...identityView(identity), authMethods: [], metadata: identity.metadata } });
  });

  router.get('/api/v1/identities', async (req, res) => {
    const { orgId } = parseQuery(req, listQuery);
    const auth = authOf(req);
    assertOrgPermission(auth, 'read');
    if (orgId !== auth.orgId) throw notFound(`Organization with ID ${orgId} not found`);
    const identities = await access.listIdentities(orgId);
    res.json({
      identities: await Promise.all(identities.map(membershipView)),
      totalCount: identities.length,
    });
  });

  router.get('/api/v1/identities/details', async (req, res) => {
    const org = await access.getOrganization(authOf(req).orgId);
    if (!org) throw notFound('Organization not found');
    res.json({ identityDetails: { organization: { id: org.id, name: org.name, slug: org.slug } } });
  });

  router.get('/api/v1/identities/:identityId', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const auth = authOf(req);
    assertOrgPermission(auth, 'read');
    res.json({ identity: await membershipView(await identityInOrg(ctx, auth, identityId)) });
  });

  router.get('/api/v1/identities/:identityId/identity-memberships', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const auth = authOf(req);
    assertOrgPermission(auth, 'read');
    const identity = await identityInOrg(ctx, auth, identityId);
    const memberships = await ctx.store.projects.listMembershipsOfIdentity(identity.id);
    const authMethods = await authMethodsOf(identity.id);
    const views = [];
    for (const m of memberships) {
      const project = await ctx.store.projects.getProject(m.projectId);
      views.push({
        id: m.id,
        identityId: m.identityId,
        createdAt: m.createdAt,
        updatedAt: m.updatedAt,
        roles: m.roles,
        identity: { id: identity.id, name: identity.name, authMethods },
        project: { id: m.projectId, name: project?.name ?? '', type: project?.type ?? 'secret-manager' },
      });
    }
    res.json({ identityMemberships: views });
  });

  router.patch('/api/v1/identities/:identityId', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const body = parseBody(req, updateBody);
    const auth = authOf(req);
    assertOrgPermission(auth, 'manage');
    const identity = await identityInOrg(ctx, auth, identityId);
    await assertMayModifyIdentity(ctx, auth, identityId);
    if (body.role) assertOrgRoleGrantable(auth, body.role, identityId);
    const updated: IdentityRecord = {
      ...identity,
      name: body.name ?? identity.name,
      orgRole: body.role ?? identity.orgRole,
      hasDeleteProtection: body.hasDeleteProtection ?? identity.hasDeleteProtection,
      metadata: body.metadata ? body.metadata.map((m) => ({ id: randomUUID(), ...m })) : identity.metadata,
      updatedAt: new Date(ctx.now()).toISOString(),
    };
    await access.updateIdentity(updated);
    await audit(ctx, req, { type: 'update-identity', metadata: { identityId, name: updated.name } });
    res.json({ identity: { ...identityView(updated), metadata: updated.metadata } });
  });

  router.delete('/api/v1/identities/:identityId', async (req, res) => {
    const { identityId } = parseParams(req, identityParams);
    const auth = authOf(req);
    assertOrgPermission(auth, 'manage');
    const identity = await identityInOrg(ctx, auth, identityId);
    await assertMayModifyIdentity(ctx, auth, identityId);
    if (identity.hasDeleteProtection) throw badRequest('Identity has delete protection');
    if (identity.id === auth.identity.id)
      throw badRequest('You cannot delete the identity you are authenticated as');
    await access.deleteIdentity(identity.id);
    await audit(ctx, req, { type: 'delete-identity', metadata: { identityId } });
    res.json({ identity: identityView(identity) });
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
