/**
 * How identities appear on the wire (the identity row and its org-membership wrapper). Pure
 * shaping: no store, and no auth-method secret.
 */
import type { IdentityRecord } from '../../store/records.js';
import type { AuthMethodStates } from './auth-method-states.js';

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

/** The org-membership record wrapping an identity (GET and list shapes). */
export function identityMembershipView(i: IdentityRecord, states: AuthMethodStates) {
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
      ...states,
    },
  };
}
