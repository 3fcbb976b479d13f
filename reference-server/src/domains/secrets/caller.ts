/**
 * Builds the secrets domain's Caller from a request: the project resolved by id or slug, the
 * caller's access, and its audit sink. No rule and no store call of its own.
 */
import type { Request } from 'express';
import { audit, authOf, type ServerContext } from '../../context.js';
import { type ProjectAccess, projectAccess, resolveProject } from '../../auth/permissions.js';
import type { ProjectViewRequest } from '../../store/contract.js';
import type { Caller } from './project-scope.js';

function callerOf(ctx: ServerContext, req: Request, access: ProjectAccess): Caller {
  const { project } = access;
  return {
    auth: authOf(req),
    access,
    audit: (event) => audit(ctx, req, { ...event, projectId: project.id, projectName: project.name }),
  };
}

/**
 * The caller of a request against a project named by id or slug (403/404 per the contract); the
 * environment and secret key the request names are read with its access, in one statement.
 */
export async function callerFor(
  ctx: ServerContext,
  req: Request,
  ref: { projectId?: string | undefined; projectSlug?: string | undefined } & ProjectViewRequest,
): Promise<Caller> {
  return callerOf(ctx, req, await resolveProject(ctx, authOf(req), ref));
}

/** The caller of a request against a project known by id (entities looked up by their own id). */
export async function callerForProjectId(
  ctx: ServerContext,
  req: Request,
  projectId: string,
): Promise<Caller> {
  return callerOf(ctx, req, await projectAccess(ctx, authOf(req), projectId));
}
