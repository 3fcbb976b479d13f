/**
 * Organization-level identity rules shared by domains/identities and the auth-method services: org
 * roles, the privilege boundary, and which identities a caller may manage. Decides; never answers HTTP.
 */
import type { AuthContext, ServerContext } from '../context.js';
import { forbidden, notFound } from '../http/errors.js';
import type { IdentityRecord } from '../store/records.js';

/** Built-in organization roles. */
export const ORG_ROLES = ['admin', 'member', 'no-access'] as const;

type OrgAction = 'read' | 'manage';

const ORG_ROLE_RANK: Record<string, number> = { admin: 2, member: 1, 'no-access': 0 };

/**
 * The privilege boundary for organization roles: nobody grants a role above their own,
 * and nobody changes their own role.
 */
export function assertOrgRoleGrantable(auth: AuthContext, role: string, targetIdentityId?: string): void {
  if (targetIdentityId === auth.identity.id && role !== auth.identity.orgRole)
    throw forbidden("You can't change your own organization role");
  if ((ORG_ROLE_RANK[role] ?? 0) > (ORG_ROLE_RANK[auth.identity.orgRole] ?? 0)) {
    throw forbidden('Failed to assign the organization role: it would grant more privileges than you hold', {
      name: 'PermissionBoundaryError',
    });
  }
}

/** Org admins manage identities; members may read them; no-access may do neither. */
export function assertOrgPermission(auth: AuthContext, action: OrgAction): void {
  const role = auth.identity.orgRole;
  const allowed = role === 'admin' || (action === 'read' && role === 'member');
  if (!allowed) {
    throw forbidden(`You are not allowed to ${action === 'read' ? 'read' : 'edit'} on identity`, {
      name: 'PermissionDenied',
    });
  }
}

/** An identity of the caller's organization, or the contract's 404. */
export async function identityInOrg(
  ctx: ServerContext,
  auth: AuthContext,
  identityId: string,
): Promise<IdentityRecord> {
  const identity = await ctx.store.access.getIdentity(identityId);
  if (!identity || identity.orgId !== auth.orgId)
    throw notFound(`Failed to find identity with ID ${identityId}`);
  return identity;
}

/** Only an instance admin may change an instance-admin identity (docs/reference/authorization.md). */
export async function assertMayModifyIdentity(
  ctx: ServerContext,
  auth: AuthContext,
  identityId: string,
): Promise<void> {
  const admins = (await ctx.store.access.getConfig())?.adminIdentityIds ?? [];
  if (admins.includes(identityId) && !admins.includes(auth.identity.id)) {
    throw forbidden(
      'You are attempting to modify an instance admin identity. This requires elevated instance admin privileges',
    );
  }
}

/** Identity for a management call: in the caller's org, caller allowed, admin identities protected. */
export async function identityToManage(ctx: ServerContext, auth: AuthContext, identityId: string) {
  assertOrgPermission(auth, 'manage');
  const identity = await identityInOrg(ctx, auth, identityId);
  await assertMayModifyIdentity(ctx, auth, identityId);
  return identity;
}
