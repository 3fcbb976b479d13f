/** Turning a committed write into change notices (one per folder it touched). */
import type { ProjectScope } from '../secrets/project-scope.js';
import type { ChangeNotice } from './change-feed.js';

/** A folder whose secrets a write changed. */
export interface TouchedFolder {
  envId: string;
  folderId: string;
}

/**
 * Publishes one notice per folder the write touched, after it committed. Nothing here may fail the
 * write: a folder that vanished meanwhile is skipped, and errors are logged, not thrown.
 */
export async function publishFolderChanges(scope: ProjectScope, touched: TouchedFolder[]): Promise<void> {
  const { ctx, project } = scope;
  try {
    const { identity } = scope.caller.auth;
    const timestamp = ctx.now();
    const seen = new Set<string>();
    const notices: ChangeNotice[] = [];
    for (const { envId, folderId } of touched) {
      const id = `${envId}:${folderId}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const env = await scope.envById(envId);
      if (!env) continue;
      const tree = await scope.tree(env);
      notices.push({
        projectId: project.id,
        projectName: project.name,
        envId,
        environment: env.slug,
        environmentName: env.name,
        secretPath: tree.get(folderId) ? tree.pathOf(folderId) : '/',
        timestamp,
        changedBy: { id: identity.id, name: identity.name },
      });
    }
    for (const notice of notices) ctx.changes.publish(notice);
  } catch (error) {
    ctx.logger.error(
      { err: { message: (error as Error).message }, projectId: project.id },
      'publishing a change notice failed',
    );
  }
}
