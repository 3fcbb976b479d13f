/**
 * Identity membership services: add, read, list, change and remove an identity's membership in the
 * caller's project, within the caller's own privileges. No HTTP here.
 */
import { randomUUID } from 'node:crypto';
import { assertWithinBoundary } from '../../auth/permissions.js';
import type { ServerContext } from '../../context.js';
import { badRequest, forbidden, notFound } from '../../http/errors.js';
import type { ProjectCaller } from '../../shared/callers.js';
import type { IdentityRecord, MembershipRecord } from '../../store/records.js';
import { authMethodStates } from '../identities/auth-method-states.js';
import { type RoleInput, toRoleRecords } from './membership-roles.js';
import { membershipDetail } from './project-views.js';

/** A membership as GET and list show it. */
export type MembershipDetail = ReturnType<typeof membershipDetail>;

/** What the roles of a new membership are: `roles`, or else the single `role`. */
export interface CreateMembershipInput {
  identityId: string;
  role: string;
  roles?: RoleInput[] | undefined;
}

/** The roles that replace a membership's roles. */
export interface UpdateMembershipInput {
  identityId: string;
  roles: RoleInput[];
}

/** The full view of a membership, with the identity's auth methods and the project. */
export async function membershipDetailOf(ctx: ServerContext, m: MembershipRecord): Promise<MembershipDetail> {
  const identity = await ctx.store.access.getIdentity(m.identityId);
  const project = await ctx.store.projects.getProject(m.projectId);
  if (!identity || !project) throw notFound('Identity membership not found');
  return membershipDetail(m, identity, await authMethodStates(ctx, identity.id), project);
}

// Upstream's words, its unclosed quote included (identity-project-service.ts,
// getProjectIdentityByIdentityId).
const membershipNotFound = (projectId: string, identityId: string) =>
  notFound(
    `Project membership for identity with ID '${identityId} in project with ID '${projectId}' not found`,
  );

/** The identity a membership call is about and its membership in the caller's project, rights checked. */
async function target(
  ctx: ServerContext,
  caller: ProjectCaller,
  identityId: string,
  action: 'read' | 'create' | 'edit' | 'delete',
): Promise<{ identity: IdentityRecord; membership: MembershipRecord | undefined }> {
  const { access, auth } = caller;
  const projectId = access.project.id;
  access.assert(action, 'identity');
  const identity = await ctx.store.access.getIdentity(identityId);
  if (!identity || identity.orgId !== auth.orgId) {
    if (action === 'read') throw membershipNotFound(projectId, identityId);
    throw badRequest(`Identity ${identityId} is missing organization membership`);
  }
  const membership = await ctx.store.projects.getMembership(projectId, identityId);
  if (action !== 'read') {
    // Nobody changes their own standing; a change to someone else stays within the caller's own
    // privileges, both for the roles taken away and (checked by the caller) the roles given.
    if (identity.id === auth.identity.id && action !== 'delete')
      throw forbidden("You can't change your own membership");
    if (membership)
      assertWithinBoundary(
        access,
        membership.roles.map((r) => r.role),
        `${action} identity project membership`,
      );
  }
  return { identity, membership };
}

/** Adds an identity of the caller's organization to the caller's project. */
export async function createMembership(
  ctx: ServerContext,
  caller: ProjectCaller,
  input: CreateMembershipInput,
): Promise<MembershipRecord> {
  const { access } = caller;
  const { identity, membership } = await target(ctx, caller, input.identityId, 'create');
  if (membership) throw badRequest('Identity is already a member');
  const iso = new Date(ctx.now()).toISOString();
  const roles: RoleInput[] = input.roles ?? [{ role: input.role, isTemporary: false }];
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
  await ctx.store.projects.insertMembership(record);
  await caller.audit({
    type: 'create-identity-project-membership',
    metadata: { identityId: identity.id, roles: record.roles.map((r) => r.role) },
    projectId: access.project.id,
    projectName: access.project.name,
  });
  return record;
}

/** Replaces the roles of a membership (within the caller's own privileges). */
export async function updateMembership(
  ctx: ServerContext,
  caller: ProjectCaller,
  input: UpdateMembershipInput,
): Promise<MembershipRecord> {
  const { access } = caller;
  const { identity, membership } = await target(ctx, caller, input.identityId, 'edit');
  if (!membership) throw badRequest("Identity doesn't have membership");
  assertWithinBoundary(
    access,
    input.roles.map((r) => r.role),
    'update identity project membership',
  );
  const iso = new Date(ctx.now()).toISOString();
  const roles = toRoleRecords(input.roles, iso);
  await ctx.store.projects.replaceMembershipRoles(membership.id, roles, iso);
  await caller.audit({
    type: 'update-identity-project-membership',
    metadata: { identityId: identity.id, roles: roles.map((r) => r.role) },
    projectId: access.project.id,
    projectName: access.project.name,
  });
  return { ...membership, roles, updatedAt: iso };
}

/** Removes an identity from the caller's project (never the caller itself). */
export async function deleteMembership(
  ctx: ServerContext,
  caller: ProjectCaller,
  identityId: string,
): Promise<MembershipRecord> {
  const { access } = caller;
  const { identity, membership } = await target(ctx, caller, identityId, 'delete');
  if (!membership) throw badRequest("Identity doesn't have membership");
  if (identity.id === caller.auth.identity.id) throw badRequest("You can't delete your own membership");
  await ctx.store.projects.deleteMembership(membership.id);
  await caller.audit({
    type: 'delete-identity-project-membership',
    metadata: { identityId: identity.id },
    projectId: access.project.id,
    projectName: access.project.name,
  });
  return membership;
}

/** One membership of the caller's project, in full. */
export async function readMembership(
  ctx: ServerContext,
  caller: ProjectCaller,
  identityId: string,
): Promise<MembershipDetail> {
  const { membership } = await target(ctx, caller, identityId, 'read');
  if (!membership) throw membershipNotFound(caller.access.project.id, identityId);
  return membershipDetailOf(ctx, membership);
}

/** A page of the memberships of the caller's project, and how many there are. */
export async function listMemberships(
  ctx: ServerContext,
  caller: ProjectCaller,
  page: { offset: number; limit: number },
): Promise<{ identityMemberships: MembershipDetail[]; totalCount: number }> {
  caller.access.assert('read', 'identity');
  const all = await ctx.store.projects.listMemberships(caller.access.project.id);
  return {
    identityMemberships: await Promise.all(
      all.slice(page.offset, page.offset + page.limit).map((m) => membershipDetailOf(ctx, m)),
    ),
    totalCount: all.length,
  };
}
