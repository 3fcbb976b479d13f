/**
 * Identity services: create, read, list, update and delete machine identities of the caller's
 * organization, with the org-role rules of shared/identity-access.ts. No HTTP here.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import type { OrgCaller } from '../../shared/callers.js';
import {
  assertMayModifyIdentity,
  assertOrgPermission,
  assertOrgRoleGrantable,
  identityInOrg,
} from '../../shared/identity-access.js';
import type { IdentityRecord } from '../../store/records.js';
import { authMethodStates } from './auth-method-states.js';
import { identityMembershipView } from './identity-views.js';

/** One metadata pair of an identity, as a body names it. */
export interface MetadataInput {
  key: string;
  value: string;
}

/** A new machine identity (the create body, validated). */
export interface CreateIdentityInput {
  name: string;
  organizationId: string;
  role: string;
  hasDeleteProtection: boolean;
  metadata?: MetadataInput[] | undefined;
}

/** The fields an identity update may change; an absent field keeps its value. */
export interface UpdateIdentityInput {
  identityId: string;
  name?: string | undefined;
  role?: string | undefined;
  hasDeleteProtection?: boolean | undefined;
  metadata?: MetadataInput[] | undefined;
}

/** Creates a machine identity in the caller's organization (org admins; role within the caller's own). */
export async function createIdentity(
  ctx: ServerContext,
  caller: OrgCaller,
  input: CreateIdentityInput,
): Promise<IdentityRecord> {
  const { auth } = caller;
  assertOrgPermission(auth, 'manage');
  if (input.organizationId !== auth.orgId)
    throw notFound(`Organization with ID ${input.organizationId} not found`);
  assertOrgRoleGrantable(auth, input.role);
  const iso = new Date(ctx.now()).toISOString();
  const identity: IdentityRecord = {
    id: randomUUID(),
    name: input.name,
    orgId: auth.orgId,
    orgRole: input.role,
    hasDeleteProtection: input.hasDeleteProtection,
    metadata: (input.metadata ?? []).map((m) => ({ id: randomUUID(), ...m })),
    lastLoginAuthMethod: null,
    lastLoginTime: null,
    createdAt: iso,
    updatedAt: iso,
  };
  await ctx.store.access.insertIdentity(identity);
  await caller.audit({ type: 'create-identity', metadata: { identityId: identity.id, name: identity.name } });
  return identity;
}

/** The identities of the caller's organization, as org memberships. */
export async function listIdentities(ctx: ServerContext, caller: OrgCaller, orgId: string) {
  assertOrgPermission(caller.auth, 'read');
  if (orgId !== caller.auth.orgId) throw notFound(`Organization with ID ${orgId} not found`);
  const identities = await ctx.store.access.listIdentities(orgId);
  return {
    identities: await Promise.all(
      identities.map(async (i) => identityMembershipView(i, await authMethodStates(ctx, i.id))),
    ),
    totalCount: identities.length,
  };
}

/** The caller's organization. */
export async function callerOrganization(ctx: ServerContext, caller: OrgCaller) {
  const org = await ctx.store.access.getOrganization(caller.auth.orgId);
  if (!org) throw notFound('Organization not found');
  return { id: org.id, name: org.name, slug: org.slug };
}

/** One identity of the caller's organization, as an org membership. */
export async function readIdentity(ctx: ServerContext, caller: OrgCaller, identityId: string) {
  assertOrgPermission(caller.auth, 'read');
  const identity = await identityInOrg(ctx, caller.auth, identityId);
  return identityMembershipView(identity, await authMethodStates(ctx, identity.id));
}

/** The project memberships of one identity of the caller's organization. */
export async function listIdentityProjectMemberships(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
) {
  const { access, projects } = ctx.store;
  assertOrgPermission(caller.auth, 'read');
  const identity = await identityInOrg(ctx, caller.auth, identityId);
  const memberships = await projects.listMembershipsOfIdentity(identity.id);
  const authMethods = (await access.listAuthMethods(identity.id)).map((m) => m.method);
  const views = [];
  for (const m of memberships) {
    const project = await projects.getProject(m.projectId);
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
  return views;
}

/** Updates an identity (org admins; instance-admin identities only by instance admins). */
export async function updateIdentity(
  ctx: ServerContext,
  caller: OrgCaller,
  input: UpdateIdentityInput,
): Promise<IdentityRecord> {
  const { auth } = caller;
  const { identityId } = input;
  assertOrgPermission(auth, 'manage');
  const identity = await identityInOrg(ctx, auth, identityId);
  await assertMayModifyIdentity(ctx, auth, identityId);
  if (input.role) assertOrgRoleGrantable(auth, input.role, identityId);
  const updated: IdentityRecord = {
    ...identity,
    name: input.name ?? identity.name,
    orgRole: input.role ?? identity.orgRole,
    hasDeleteProtection: input.hasDeleteProtection ?? identity.hasDeleteProtection,
    metadata: input.metadata ? input.metadata.map((m) => ({ id: randomUUID(), ...m })) : identity.metadata,
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  await ctx.store.access.updateIdentity(updated);
  await caller.audit({ type: 'update-identity', metadata: { identityId, name: updated.name } });
  return updated;
}

/** Deletes an identity (not one with delete protection, not the caller itself). */
export async function deleteIdentity(
  ctx: ServerContext,
  caller: OrgCaller,
  identityId: string,
): Promise<IdentityRecord> {
  const { auth } = caller;
  assertOrgPermission(auth, 'manage');
  const identity = await identityInOrg(ctx, auth, identityId);
  await assertMayModifyIdentity(ctx, auth, identityId);
  if (identity.hasDeleteProtection) throw badRequest('Identity has delete protection');
  if (identity.id === auth.identity.id)
    throw badRequest('You cannot delete the identity you are authenticated as');
  await ctx.store.access.deleteIdentity(identity.id);
  await caller.audit({ type: 'delete-identity', metadata: { identityId } });
  return identity;
}
