/**
 * The callers of organization- and project-level service calls (projects, environments,
 * memberships, identities, auth-method configuration): who calls, its standing, where its audit
 * events go. Built from a request by the routers; holds no store access and makes no decision.
 */
import type { Request } from 'express';
import type { AuditEvent } from '../audit/audit-log.js';
import { type ProjectAccess, projectAccess, resolveProject } from '../auth/permissions.js';
import { type AuthContext, audit, authOf, type ServerContext } from '../context.js';

/** An authenticated caller acting in its own organization. */
export interface OrgCaller {
  auth: AuthContext;
  /** Records an audit event for this request (actor, IP, user agent and organization filled in). */
  audit(event: AuditEvent): Promise<unknown>;
}

/** An authenticated caller with its standing in one project (its membership checked). */
export interface ProjectCaller extends OrgCaller {
  access: ProjectAccess;
}

/** The organization-level caller of an authenticated request. */
export function orgCallerFor(ctx: ServerContext, req: Request): OrgCaller {
  return { auth: authOf(req), audit: (event) => audit(ctx, req, event) };
}

/** The caller of a request against a project known by id (404 outside the org, 403 for non-members). */
export async function projectCallerFor(
  ctx: ServerContext,
  req: Request,
  projectId: string,
): Promise<ProjectCaller> {
  const caller = orgCallerFor(ctx, req);
  return { ...caller, access: await projectAccess(ctx, caller.auth, projectId) };
}

/** The caller of a request against a project known by slug in the caller's organization. */
export async function projectCallerForSlug(
  ctx: ServerContext,
  req: Request,
  projectSlug: string,
): Promise<ProjectCaller> {
  const caller = orgCallerFor(ctx, req);
  return { ...caller, access: await resolveProject(ctx, caller.auth, { projectSlug }) };
}

/** Where an unauthenticated login comes from (its IP decides trusted-IP checks; both are audited). */
export interface LoginOrigin {
  ipAddress: string | undefined;
  userAgent: string | null;
}

/** The origin of a login request. */
export function loginOriginOf(req: Request): LoginOrigin {
  return { ipAddress: req.ip, userAgent: req.get('user-agent') ?? null };
}
