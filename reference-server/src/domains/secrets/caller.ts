/**
 * Builds the secrets domain's Caller from a request: the project resolved by id or slug, the
 * caller's access, and its audit sink. No rule and no store call of its own.
 */
import type { Request } from 'express';
import { audit, authOf, type ServerContext } from '../../context.js';
import { accessFromView, type ProjectAccess, projectAccess, resolveProject } from '../../auth/permissions.js';
import { acceptPendingAuth, acceptPendingAuthAlone } from '../../auth/require-auth.js';
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
 * environment and secret key the request names are read with its access, in one statement. On a
 * route whose token is read with its project (requireAuth's `readTokenWithProject`), the token row
 * is in that statement too, and its checks run first.
 */
export async function callerFor(
  ctx: ServerContext,
  req: Request,
  ref: { projectId?: string | undefined; projectSlug?: string | undefined } & ProjectViewRequest,
): Promise<Caller> {
  const pending = req.pendingAuth;
  const project = ref.projectId
    ? { id: ref.projectId }
    : ref.projectSlug
      ? { slug: ref.projectSlug }
      : undefined;
  if (!pending || !project) {
    // No project to read the token with (resolveProject answers 400): the token is read alone.
    await acceptPendingAuthAlone(ctx, req);
    return callerOf(ctx, req, await resolveProject(ctx, authOf(req), ref));
  }
  const read = await ctx.store.projects.getProjectViewForToken(pending.tokenId, project, {
    environment: ref.environment,
    secretKey: ref.secretKey,
  });
  const auth = await acceptPendingAuth(ctx, req, read?.token);
  return callerOf(ctx, req, await accessFromView(ctx, auth, ref, read?.view));
}

/** The caller of a request against a project known by id (entities looked up by their own id). */
export async function callerForProjectId(
  ctx: ServerContext,
  req: Request,
  projectId: string,
): Promise<Caller> {
  return callerOf(ctx, req, await projectAccess(ctx, authOf(req), projectId));
}
