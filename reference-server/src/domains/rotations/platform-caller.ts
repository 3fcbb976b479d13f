/**
 * The caller a scheduled rotation acts as: the server itself (upstream's `platform` actor), with
 * every right in the one project the rotation belongs to, audited as `platform`.
 */
import type { ProjectAccess } from '../../auth/permissions.js';
import type { ServerContext } from '../../context.js';
import type { DataKey } from '../../crypto/value-cipher.js';
import type { IdentityRecord, ProjectRecord } from '../../store/records.js';
import type { Caller } from '../secrets/project-scope.js';

/** How secret versions written by a scheduled rotation name their author. */
export const PLATFORM_AUTHOR = { actorId: 'platform', actorType: 'platform', name: 'Secret Rotation' };

/** A caller for `project` that is no identity, with the project's data key (ServerContext.loadDataKey). */
export function platformCaller(ctx: ServerContext, project: ProjectRecord, dataKey: DataKey): Caller {
  const identity: IdentityRecord = {
    id: PLATFORM_AUTHOR.actorId,
    name: PLATFORM_AUTHOR.name,
    orgId: project.orgId,
    orgRole: 'no-access',
    hasDeleteProtection: true,
    metadata: [],
    lastLoginAuthMethod: null,
    lastLoginTime: null,
    createdAt: project.createdAt,
    updatedAt: project.createdAt,
  };
  const access: ProjectAccess = { project, roles: [], dataKey, can: () => true, assert: () => {} };
  return {
    auth: { identity, orgId: project.orgId },
    access,
    author: PLATFORM_AUTHOR,
    audit: (event) =>
      ctx.audit.record(
        { ...event, orgId: project.orgId, projectId: project.id, projectName: project.name },
        { type: 'platform', metadata: {} },
        { ipAddress: null, userAgent: null },
      ),
  };
}
