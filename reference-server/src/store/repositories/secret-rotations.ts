/**
 * SQL implementation of the secret-rotation store: rotation definitions, their schedule and state.
 * Rows only; running a rotation is domains/rotations' job.
 */
import type { SecretRotationRecord } from '../records.js';
import { type RotationOutcome, type SecretRotationStore, StoreConflictError } from '../contract.js';
import { bool, json, type Row } from '../rows.js';
import { isConstraintViolation, type SqlDatabase } from '../sql/database.js';

const toRotation = (r: Row): SecretRotationRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  envId: r.env_id as string,
  folderId: r.folder_id as string,
  connectionId: r.connection_id as string,
  type: r.type as string,
  name: r.name as string,
  description: (r.description as string | null) ?? null,
  parameters: json(r.parameters, {}),
  secretsMapping: json(r.secrets_mapping, {}),
  generatedCredentialsCiphertext: r.generated_credentials as string,
  activeIndex: r.active_index as number,
  isAutoRotationEnabled: bool(r.is_auto_rotation_enabled),
  rotationInterval: r.rotation_interval as number,
  rotateAtUtc: json(r.rotate_at_utc, { hours: 0, minutes: 0 }),
  rotationStatus: (r.rotation_status as SecretRotationRecord['rotationStatus']) ?? null,
  lastRotationAttemptedAt: (r.last_rotation_attempted_at as string | null) ?? null,
  lastRotatedAt: (r.last_rotated_at as string | null) ?? null,
  lastRotationMessage: (r.last_rotation_message as string | null) ?? null,
  isLastRotationManual: bool(r.is_last_rotation_manual),
  nextRotationAt: (r.next_rotation_at as string | null) ?? null,
  pendingCredentialsCiphertext: (r.pending_credentials as string | null) ?? null,
  claimedBy: (r.claimed_by as string | null) ?? null,
  claimExpiresAt: (r.claim_expires_at as string | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

/** Whether a lease is free at `now` (never taken, released, or run out). */
const LEASE_FREE = '(claimed_by IS NULL OR claim_expires_at < @now)';

export class SqlSecretRotationStore implements SecretRotationStore {
  constructor(private readonly db: SqlDatabase) {}

  async insert(r: SecretRotationRecord) {
    try {
      await this.db.run(
        `INSERT INTO secret_rotations (id, project_id, env_id, folder_id, connection_id, type, name, description,
         parameters, secrets_mapping, generated_credentials, active_index, is_auto_rotation_enabled, rotation_interval,
         rotate_at_utc, rotation_status, last_rotation_attempted_at, last_rotated_at, last_rotation_message,
         is_last_rotation_manual, next_rotation_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          r.id,
          r.projectId,
          r.envId,
          r.folderId,
          r.connectionId,
          r.type,
          r.name,
          r.description,
          JSON.stringify(r.parameters),
          JSON.stringify(r.secretsMapping),
          r.generatedCredentialsCiphertext,
          r.activeIndex,
          r.isAutoRotationEnabled ? 1 : 0,
          r.rotationInterval,
          JSON.stringify(r.rotateAtUtc),
          r.rotationStatus,
          r.lastRotationAttemptedAt,
          r.lastRotatedAt,
          r.lastRotationMessage,
          r.isLastRotationManual ? 1 : 0,
          r.nextRotationAt,
          r.createdAt,
          r.updatedAt,
        ],
      );
    } catch (error) {
      throw nameTakenOr(error);
    }
  }

  async get(id: string) {
    const r = await this.db.one('SELECT * FROM secret_rotations WHERE id = ?', [id]);
    return r && toRotation(r);
  }

  async getByName(folderId: string, name: string) {
    const r = await this.db.one('SELECT * FROM secret_rotations WHERE folder_id = ? AND name = ?', [
      folderId,
      name,
    ]);
    return r && toRotation(r);
  }

  async list(projectId: string, type?: string) {
    const rows = type
      ? await this.db.all(
          'SELECT * FROM secret_rotations WHERE project_id = ? AND type = ? ORDER BY created_at, id',
          [projectId, type],
        )
      : await this.db.all('SELECT * FROM secret_rotations WHERE project_id = ? ORDER BY created_at, id', [
          projectId,
        ]);
    return rows.map(toRotation);
  }

  async listByFolder(folderId: string) {
    return (await this.db.all('SELECT * FROM secret_rotations WHERE folder_id = ?', [folderId])).map(
      toRotation,
    );
  }

  async updateSettings(r: SecretRotationRecord) {
    try {
      await this.db.run(
        `UPDATE secret_rotations SET name = ?, description = ?, is_auto_rotation_enabled = ?, rotation_interval = ?,
         rotate_at_utc = ?, next_rotation_at = ?, updated_at = ? WHERE id = ?`,
        [
          r.name,
          r.description,
          r.isAutoRotationEnabled ? 1 : 0,
          r.rotationInterval,
          JSON.stringify(r.rotateAtUtc),
          r.nextRotationAt,
          r.updatedAt,
          r.id,
        ],
      );
    } catch (error) {
      throw nameTakenOr(error);
    }
  }

  async delete(id: string) {
    await this.db.run('DELETE FROM secret_rotations WHERE id = ?', [id]);
  }

  async listDue(now: string) {
    const rows = await this.db.all<{ id: string }>(
      `SELECT id FROM secret_rotations WHERE ${LEASE_FREE} AND (pending_credentials IS NOT NULL
       OR (is_auto_rotation_enabled = 1 AND next_rotation_at IS NOT NULL AND next_rotation_at <= @now))
       ORDER BY next_rotation_at, id`,
      { now },
    );
    return rows.map((r) => r.id);
  }

  async claim(id: string, holder: string, now: string, expiresAt: string, due: boolean) {
    return this.db.transaction(async (tx) => {
      // The lock makes the read and the lease write one step on every replica (PostgreSQL
      // advisory lock; a SQLite write transaction is exclusive already).
      await tx.lock(`secret-rotation:${id}`);
      const row = await tx.one(`SELECT * FROM secret_rotations WHERE id = @id AND ${LEASE_FREE}`, {
        id,
        now,
      });
      if (!row) return undefined;
      const rotation = toRotation(row);
      const isDue =
        rotation.pendingCredentialsCiphertext !== null ||
        (rotation.isAutoRotationEnabled &&
          rotation.nextRotationAt !== null &&
          rotation.nextRotationAt <= now);
      if (due && !isDue) return undefined;
      await tx.run('UPDATE secret_rotations SET claimed_by = ?, claim_expires_at = ? WHERE id = ?', [
        holder,
        expiresAt,
        id,
      ]);
      return { ...rotation, claimedBy: holder, claimExpiresAt: expiresAt };
    });
  }

  async setPending(id: string, holder: string, ciphertext: string) {
    const changed = await this.db.run(
      'UPDATE secret_rotations SET pending_credentials = ? WHERE id = ? AND claimed_by = ?',
      [ciphertext, id, holder],
    );
    return changed === 1;
  }

  async finish(id: string, holder: string, o: RotationOutcome) {
    const sets = [
      'rotation_status = @status',
      'last_rotation_attempted_at = @attempted',
      'last_rotation_message = @message',
      'is_last_rotation_manual = @manual',
      'next_rotation_at = @next',
      'claimed_by = NULL',
      'claim_expires_at = NULL',
      'updated_at = @attempted',
    ];
    if (!o.keepPending) sets.push('pending_credentials = NULL');
    if (o.generatedCredentialsCiphertext !== undefined) sets.push('generated_credentials = @generated');
    if (o.activeIndex !== undefined) sets.push('active_index = @active');
    if (o.lastRotatedAt !== undefined) sets.push('last_rotated_at = @rotated');
    const changed = await this.db.run(
      `UPDATE secret_rotations SET ${sets.join(', ')} WHERE id = @id AND claimed_by = @holder`,
      {
        id,
        holder,
        status: o.rotationStatus,
        attempted: o.lastRotationAttemptedAt,
        message: o.lastRotationMessage,
        manual: o.isLastRotationManual ? 1 : 0,
        next: o.nextRotationAt,
        generated: o.generatedCredentialsCiphertext ?? null,
        active: o.activeIndex ?? null,
        rotated: o.lastRotatedAt ?? null,
      },
    );
    return changed === 1;
  }
}

/** A uniqueness failure of a rotation write is its name taken in the folder; anything else as it was. */
function nameTakenOr(error: unknown): unknown {
  return isConstraintViolation(error)
    ? new StoreConflictError('secret rotation name taken', 'unique')
    : error;
}
