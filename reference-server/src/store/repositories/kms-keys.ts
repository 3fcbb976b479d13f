/**
 * SQL implementation of the KMS key store: keys and their versions' sealed material. Never opens
 * material (domains/kms/ does, under the project's data key).
 */
import type {
  KmsKeyAlgorithm,
  KmsKeyListQuery,
  KmsKeyRecord,
  KmsKeyUsage,
  KmsKeyVersionRecord,
} from '../records.js';
import { type KmsKeyStore, StoreConflictError } from '../contract.js';
import { bool, type Row } from '../rows.js';
import { isConstraintViolation, type SqlDatabase } from '../sql/database.js';

const toKey = (r: Row): KmsKeyRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  description: r.description as string,
  isDisabled: bool(r.is_disabled),
  keyUsage: r.key_usage as KmsKeyUsage,
  encryptionAlgorithm: r.encryption_algorithm as KmsKeyAlgorithm,
  isExportable: bool(r.is_exportable),
  version: r.version as number,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toVersion = (r: Row): KmsKeyVersionRecord => ({
  keyId: r.key_id as string,
  version: r.version as number,
  sealedMaterial: r.sealed_material as string,
  publicKey: (r.public_key as string | null) ?? null,
  createdAt: r.created_at as string,
});

export class SqlKmsKeyStore implements KmsKeyStore {
  constructor(private readonly db: SqlDatabase) {}

  async insertKey(key: KmsKeyRecord, first: KmsKeyVersionRecord) {
    await nameTaken(
      this.db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO kms_keys (id, project_id, org_id, name, description, is_disabled, key_usage,
           encryption_algorithm, is_exportable, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            key.id,
            key.projectId,
            key.orgId,
            key.name,
            key.description,
            key.isDisabled ? 1 : 0,
            key.keyUsage,
            key.encryptionAlgorithm,
            key.isExportable ? 1 : 0,
            key.version,
            key.createdAt,
            key.updatedAt,
          ],
        );
        await tx.run(
          `INSERT INTO kms_key_versions (key_id, version, sealed_material, public_key, created_at)
           VALUES (?, ?, ?, ?, ?)`,
          [first.keyId, first.version, first.sealedMaterial, first.publicKey, first.createdAt],
        );
      }),
    );
  }

  async getKey(id: string) {
    const r = await this.db.one('SELECT * FROM kms_keys WHERE id = ?', [id]);
    return r && toKey(r);
  }

  async getKeyByName(projectId: string, name: string) {
    const r = await this.db.one('SELECT * FROM kms_keys WHERE project_id = ? AND name = ?', [
      projectId,
      name,
    ]);
    return r && toKey(r);
  }

  async listKeys(q: KmsKeyListQuery) {
    // LOWER on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
    const where = q.search ? "project_id = ? AND LOWER(name) LIKE LOWER(?) ESCAPE '\\'" : 'project_id = ?';
    const params: unknown[] = q.search
      ? [q.projectId, `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]
      : [q.projectId];
    const counted = (await this.db.one<{ n: number }>(
      `SELECT COUNT(*) AS n FROM kms_keys WHERE ${where}`,
      params,
    )) as {
      n: number;
    };
    const direction = q.orderDirection === 'desc' ? 'DESC' : 'ASC';
    const rows = await this.db.all(
      `SELECT * FROM kms_keys WHERE ${where} ORDER BY name ${direction}, id LIMIT ? OFFSET ?`,
      [...params, q.limit, q.offset],
    );
    return { keys: rows.map(toKey), totalCount: counted.n };
  }

  async updateKey(key: KmsKeyRecord) {
    await nameTaken(
      this.db.run(
        'UPDATE kms_keys SET name = ?, description = ?, is_disabled = ?, updated_at = ? WHERE id = ?',
        [key.name, key.description, key.isDisabled ? 1 : 0, key.updatedAt, key.id],
      ),
    );
  }

  async deleteKey(id: string) {
    await this.db.run('DELETE FROM kms_keys WHERE id = ?', [id]);
  }

  async getVersion(keyId: string, version: number) {
    const r = await this.db.one('SELECT * FROM kms_key_versions WHERE key_id = ? AND version = ?', [
      keyId,
      version,
    ]);
    return r && toVersion(r);
  }

  async listVersions(keyId: string) {
    return (
      await this.db.all('SELECT * FROM kms_key_versions WHERE key_id = ? ORDER BY version DESC', [keyId])
    ).map(toVersion);
  }

  async rotateKey(key: KmsKeyRecord, next: KmsKeyVersionRecord) {
    await this.db.transaction(async (tx) => {
      // Compare-and-set on the version: of two rotations racing, one wins and the other is stale.
      const changed = await tx.run(
        'UPDATE kms_keys SET version = ?, updated_at = ? WHERE id = ? AND version = ?',
        [next.version, key.updatedAt, key.id, next.version - 1],
      );
      if (changed !== 1)
        throw new StoreConflictError(`KMS key ${key.id} was rotated by another request`, 'stale');
      await tx.run(
        `INSERT INTO kms_key_versions (key_id, version, sealed_material, public_key, created_at)
         VALUES (?, ?, ?, ?, ?)`,
        [next.keyId, next.version, next.sealedMaterial, next.publicKey, next.createdAt],
      );
    });
  }
}

/** A taken key name (the unique index) is a {@link StoreConflictError}. */
async function nameTaken<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isConstraintViolation(error)) throw new StoreConflictError('KMS key name taken', 'unique');
    throw error;
  }
}
