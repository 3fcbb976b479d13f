/**
 * The audit-log query service: which entries the caller's roles may read (one project, the
 * projects it may audit plus its own organization-level events, or the whole organization), then
 * the store query. Reads only; it never writes an entry. No HTTP here.
 */
import { accessFor, projectAccess } from '../auth/permissions.js';
import type { AuthContext, ServerContext } from '../context.js';
import { forbidden } from '../http/errors.js';
import type { OrgCaller } from '../shared/callers.js';
import type { AuditQuery, AuditRecord } from '../store/records.js';

/** The filters of an audit-log query (validated); the organization and visibility come from the caller. */
export type AuditLogFilter = Omit<AuditQuery, 'visibleTo' | 'orgId'>;

/** Ids of the projects whose audit logs the caller's roles may read. */
async function auditableProjects(ctx: ServerContext, auth: AuthContext): Promise<string[]> {
  const ids: string[] = [];
  for (const project of await ctx.store.projects.listProjectsForIdentity(auth.identity.id)) {
    if ((await accessFor(ctx, auth, project)).can('read', 'audit-logs')) ids.push(project.id);
  }
  return ids;
}

/**
 * The entries of the caller's organization matching the filter that its roles may read: a named
 * project needs `read` on its audit logs; without one, an org member sees the projects it may
 * audit and its own organization-level events, and only org admins see the whole organization.
 */
export async function queryAuditLogs(
  ctx: ServerContext,
  caller: OrgCaller,
  filter: AuditLogFilter,
): Promise<AuditRecord[]> {
  const { auth } = caller;
  let visibleTo: AuditQuery['visibleTo'];
  if (filter.projectId) {
    (await projectAccess(ctx, auth, filter.projectId)).assert('read', 'audit-logs');
  } else if (auth.identity.orgRole === 'member') {
    visibleTo = { projectIds: await auditableProjects(ctx, auth), actorId: auth.identity.id };
  } else if (auth.identity.orgRole !== 'admin') {
    throw forbidden('You are not allowed to read on audit-logs', { name: 'PermissionDenied' });
  }
  return ctx.store.audit.query({ ...filter, visibleTo, orgId: auth.orgId });
}
