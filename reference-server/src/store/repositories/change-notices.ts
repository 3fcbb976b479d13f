/**
 * SQL implementation of the change-notice store: the committed-change notices replicas and the
 * change stream read (domains/changes/). Rows only.
 */
import type { ChangeNoticeStore } from '../contract.js';
import type { SqlDatabase } from '../sql/database.js';

export class SqlChangeNoticeStore implements ChangeNoticeStore {
  constructor(private readonly db: SqlDatabase) {}

  async append(projectId: string, envId: string, notice: string, createdAt: string) {
    const row = await this.db.one<{ id: number }>(
      'INSERT INTO change_notices (project_id, env_id, notice, created_at) VALUES (?, ?, ?, ?) RETURNING id',
      [projectId, envId, notice, createdAt],
    );
    return row!.id;
  }

  since(projectId: string, afterId: number, limit: number) {
    return this.db.all<{ id: number; notice: string }>(
      'SELECT id, notice FROM change_notices WHERE project_id = ? AND id > ? ORDER BY id LIMIT ?',
      [projectId, afterId, limit],
    );
  }

  async oldestId() {
    const row = await this.db.one<{ id: number | null }>('SELECT MIN(id) AS id FROM change_notices');
    return row?.id ?? undefined;
  }

  purge(before: string) {
    return this.db.run(
      'DELETE FROM change_notices WHERE created_at < ? AND id < (SELECT MAX(id) FROM change_notices)',
      [before],
    );
  }
}
