/**
 * SQL implementation of the webhook store: webhook definitions and their delivery status.
 */
import type { WebhookRecord, WebhookStatus } from '../records.js';
import type { WebhookStore } from '../contract.js';
import { bool, json, type Row } from '../rows.js';
import type { SqlDatabase } from '../sql/database.js';

const toWebhook = (r: Row): WebhookRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  envId: r.env_id as string,
  secretPath: r.secret_path as string,
  type: 'general',
  urlCiphertext: r.url_ciphertext as string,
  keyCiphertext: (r.key_ciphertext as string | null) ?? null,
  isDisabled: bool(r.is_disabled),
  filteredEvents: json<string[]>(r.filtered_events, []),
  lastStatus: (r.last_status as WebhookStatus | null) ?? null,
  lastRunErrorMessage: (r.last_run_error_message as string | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: SqlDatabase) {}

  async insertWebhook(w: WebhookRecord) {
    await this.db.run(
      `INSERT INTO webhooks (id, project_id, env_id, secret_path, type, url_ciphertext, key_ciphertext,
       is_disabled, filtered_events, last_status, last_run_error_message, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        w.id,
        w.projectId,
        w.envId,
        w.secretPath,
        w.type,
        w.urlCiphertext,
        w.keyCiphertext,
        w.isDisabled ? 1 : 0,
        JSON.stringify(w.filteredEvents),
        w.lastStatus,
        w.lastRunErrorMessage,
        w.createdAt,
        w.updatedAt,
      ],
    );
  }

  async getWebhook(id: string) {
    const r = await this.db.one('SELECT * FROM webhooks WHERE id = ?', [id]);
    return r && toWebhook(r);
  }

  async listWebhooks(projectId: string, envId?: string) {
    const rows = envId
      ? await this.db.all(
          'SELECT * FROM webhooks WHERE project_id = ? AND env_id = ? ORDER BY created_at, id',
          [projectId, envId],
        )
      : await this.db.all('SELECT * FROM webhooks WHERE project_id = ? ORDER BY created_at, id', [projectId]);
    return rows.map(toWebhook);
  }

  async updateWebhook(w: WebhookRecord) {
    await this.db.run(
      'UPDATE webhooks SET is_disabled = ?, filtered_events = ?, updated_at = ? WHERE id = ?',
      [w.isDisabled ? 1 : 0, JSON.stringify(w.filteredEvents), w.updatedAt, w.id],
    );
  }

  async deleteWebhook(id: string) {
    await this.db.run('DELETE FROM webhooks WHERE id = ?', [id]);
  }

  async recordRun(id: string, run: { status: WebhookStatus; error: string | null; at: string }) {
    await this.db.run(
      'UPDATE webhooks SET last_status = ?, last_run_error_message = ?, updated_at = ? WHERE id = ?',
      [run.status, run.error, run.at, id],
    );
  }
}
