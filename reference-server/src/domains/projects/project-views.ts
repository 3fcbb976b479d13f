/**
 * How projects, environments and memberships appear on the wire. Pure shaping; never includes a
 * project's wrapped data key.
 */
import type { AuthMethodStates } from '../identities/auth-method-states.js';
import type {
  EnvironmentRecord,
  IdentityRecord,
  MembershipRecord,
  ProjectRecord,
} from '../../store/records.js';

/** `SanitizedProject` (docs/reference/api.md#projects-and-environments): no key material, ever. */
export function projectView(p: ProjectRecord) {
  return {
    id: p.id,
    _id: p.id,
    name: p.name,
    description: p.description,
    type: p.type,
    defaultProduct: p.type,
    slug: p.slug,
    autoCapitalization: p.autoCapitalization,
    orgId: p.orgId,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    version: 3,
    upgradeStatus: null,
    pitVersionLimit: p.pitVersionLimit,
    kmsCertificateKeyId: null,
    auditLogsRetentionDays: null,
    hasDeleteProtection: p.hasDeleteProtection,
    secretSharing: true,
    showSnapshotsLegacy: false,
    secretDetectionIgnoreValues: [],
    enforceEncryptedSecretManagerSecretMetadata: false,
  };
}

/** Project plus its environments `[{ name, slug, id }]` in position order. */
export const projectWithEnvironments = (p: ProjectRecord, envs: EnvironmentRecord[]) => ({
  ...projectView(p),
  environments: envs.map((e) => ({ name: e.name, slug: e.slug, id: e.id })),
});

export const environmentView = (e: EnvironmentRecord) => ({
  id: e.id,
  name: e.name,
  slug: e.slug,
  position: e.position,
  projectId: e.projectId,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

/** The short membership shape POST/DELETE answer with. */
export const membershipSummary = (m: MembershipRecord) => ({
  id: m.id,
  projectId: m.projectId,
  identityId: m.identityId,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});

/** The full membership shape of GET and list. */
export function membershipDetail(
  m: MembershipRecord,
  identity: IdentityRecord,
  states: AuthMethodStates,
  project: ProjectRecord,
) {
  return {
    ...membershipSummary(m),
    lastLoginAuthMethod: identity.lastLoginAuthMethod,
    lastLoginTime: identity.lastLoginTime,
    roles: m.roles.map((r) => ({
      id: r.id,
      role: r.role,
      customRoleId: null,
      customRoleName: null,
      customRoleSlug: null,
      isTemporary: r.isTemporary,
      temporaryMode: r.temporaryMode,
      temporaryRange: r.temporaryRange,
      temporaryAccessStartTime: r.temporaryAccessStartTime,
      temporaryAccessEndTime: r.temporaryAccessEndTime,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    })),
    identity: {
      id: identity.id,
      name: identity.name,
      orgId: identity.orgId,
      hasDeleteProtection: identity.hasDeleteProtection,
      authMethods: states.authMethods,
      activeLockoutAuthMethods: states.activeLockoutAuthMethods,
      metadata: identity.metadata,
    },
    project: { id: project.id, name: project.name, slug: project.slug },
  };
}
