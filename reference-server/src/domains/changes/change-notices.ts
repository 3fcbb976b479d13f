/** Turning a committed write into change notices (one per folder it touched). */
import type { ProjectScope } from '../secrets/project-scope.js';
import type { ChangePlace } from '../../shared/change-notice.js';

/**
 * A folder whose secrets (or imports) a write changed, by id, or by path when the folder itself is
 * gone or moved (a deleted or renamed folder).
 */
export type TouchedFolder = { envId: string } & ({ folderId: string } | { secretPath: string });

/**
 * Publishes one notice per folder the write touched, after it committed. Nothing here may fail the
 * write: a folder that vanished meanwhile is skipped, and errors are logged, not thrown.
 */
export async function publishFolderChanges(scope: ProjectScope, touched: TouchedFolder[]): Promise<void> {
  const { ctx, project } = scope;
  try {
    const timestamp = ctx.now();
    const seen = new Set<string>();
    const notices: ChangePlace[] = [];
    for (const folder of touched) {
      const { envId } = folder;
      const env = await scope.envById(envId);
      if (!env) continue;
      let secretPath: string;
      if ('secretPath' in folder) secretPath = folder.secretPath;
      else {
        const tree = await scope.tree(env);
        if (!tree.get(folder.folderId)) continue;
        secretPath = tree.pathOf(folder.folderId);
      }
      const id = `${envId}:${secretPath}`;
      if (seen.has(id)) continue;
      seen.add(id);
      notices.push({
        projectId: project.id,
        projectName: project.name,
        envId,
        environment: env.slug,
        environmentName: env.name,
        secretPath,
        timestamp,
      });
    }
    for (const notice of notices) await ctx.changes.publish(notice);
  } catch (error) {
    ctx.logger.error(
      { err: { message: (error as Error).message }, projectId: project.id },
      'publishing a change notice failed',
    );
  }
}
