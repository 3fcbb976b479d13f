import type { SqliteDatabase } from '../database.js';
import { bool, isUniqueViolation, type Row } from './rows.js';
import { StoreConflictError } from './secret-store.js';

/** What a KMS key is for, and with which algorithm. */
export type KmsKeyUsage = 'encrypt-decrypt' | 'sign-verify';
export type KmsKeyAlgorithm = 'aes-256-gcm' | 'aes-128-gcm' | 'RSA_4096' | 'ECC_NIST_P256';

/** A project's KMS key (its material lives in {@link KmsKeyVersionRecord}s). */
export interface KmsKeyRecord {
  id: string;
  projectId: string;
  orgId: string;
  name: string;
  description: string;
  isDisabled: boolean;
  keyUsage: KmsKeyUsage;
  encryptionAlgorithm: KmsKeyAlgorithm;
  /** The version new ciphertexts and signatures use. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** One version of a key's material, sealed under the project's data key. */
export interface KmsKeyVersionRecord {
  keyId: string;
  version: number;
  /** AES-GCM under the project data key, bound to the key id and version (see domains/kms/key-material.ts). */
  sealedMaterial: string;
  /** SPKI DER, base64, for signing keys (public by nature, stored in the clear). */
  publicKey: string | null;
  createdAt: string;
}

/** Filters and paging of the key list. */
export interface KmsKeyListQuery {
  projectId: string;
  offset: number;
  limit: number;
  orderDirection: 'asc' | 'desc';
  search?: string | undefined;
}

/** Project KMS keys. */
export interface KmsKeyStore {
  /** Inserts the key and its first version together; a taken name is a {@link StoreConflictError}. */
  insertKey(key: KmsKeyRecord, first: KmsKeyVersionRecord): Promise<void>;
  getKey(id: string): Promise<KmsKeyRecord | undefined>;
  getKeyByName(projectId: string, name: string): Promise<KmsKeyRecord | undefined>;
  listKeys(q: KmsKeyListQuery): Promise<{ keys: KmsKeyRecord[]; totalCount: number }>;
  /** Updates name, description and the disabled flag; a taken name is a {@link StoreConflictError}. */
  updateKey(key: KmsKeyRecord): Promise<void>;
  deleteKey(id: string): Promise<void>;
  getVersion(keyId: string, version: number): Promise<KmsKeyVersionRecord | undefined>;
}

const toKey = (r: Row): KmsKeyRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  description: r.description as string,
  isDisabled: bool(r.is_disabled),
  keyUsage: r.key_usage as KmsKeyUsage,
  encryptionAlgorithm: r.encryption_algorithm as KmsKeyAlgorithm,
  version: r.version as number,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

export class SqliteKmsKeyStore implements KmsKeyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async insertKey(key: KmsKeyRecord, first: KmsKeyVersionRecord) {
    try {
      this.db
        .transaction(() => {
          this.db
            .prepare(
              `INSERT INTO kms_keys (id, project_id, org_id, name, description, is_disabled, key_usage,
               encryption_algorithm, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              key.id,
              key.projectId,
              key.orgId,
              key.name,
              key.description,
              key.isDisabled ? 1 : 0,
              key.keyUsage,
              key.encryptionAlgorithm,
              key.version,
              key.createdAt,
              key.updatedAt,
            );
          this.db
            .prepare(
              `INSERT INTO kms_key_versions (key_id, version, sealed_material, public_key, created_at)
               VALUES (?, ?, ?, ?, ?)`,
            )
            .run(first.keyId, first.version, first.sealedMaterial, first.publicKey, first.createdAt);
        })
        .immediate();
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('KMS key name taken', 'unique');
      throw error;
    }
  }

  async getKey(id: string) {
    const r = this.db.prepare('SELECT * FROM kms_keys WHERE id = ?').get(id) as Row | undefined;
    return r && toKey(r);
  }

  async getKeyByName(projectId: string, name: string) {
    const r = this.db
      .prepare('SELECT * FROM kms_keys WHERE project_id = ? AND name = ?')
      .get(projectId, name) as Row | undefined;
    return r && toKey(r);
  }

  async listKeys(q: KmsKeyListQuery) {
    const where = q.search ? "project_id = ? AND name LIKE ? ESCAPE '\\'" : 'project_id = ?';
    const params: unknown[] = q.search
      ? [q.projectId, `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]
      : [q.projectId];
    const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM kms_keys WHERE ${where}`).get(...params) as {
      n: number;
    };
    const direction = q.orderDirection === 'desc' ? 'DESC' : 'ASC';
    const rows = this.db
      .prepare(`SELECT * FROM kms_keys WHERE ${where} ORDER BY name ${direction}, id LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset) as Row[];
    return { keys: rows.map(toKey), totalCount: n };
  }

  async updateKey(key: KmsKeyRecord) {
    try {
      this.db
        .prepare(
          'UPDATE kms_keys SET name = ?, description = ?, is_disabled = ?, updated_at = ? WHERE id = ?',
        )
        .run(key.name, key.description, key.isDisabled ? 1 : 0, key.updatedAt, key.id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError('KMS key name taken', 'unique');
      throw error;
    }
  }

  async deleteKey(id: string) {
    this.db.prepare('DELETE FROM kms_keys WHERE id = ?').run(id);
  }

  async getVersion(keyId: string, version: number) {
    const r = this.db
      .prepare('SELECT * FROM kms_key_versions WHERE key_id = ? AND version = ?')
      .get(keyId, version) as Row | undefined;
    if (!r) return undefined;
    return {
      keyId: r.key_id as string,
      version: r.version as number,
      sealedMaterial: r.sealed_material as string,
      publicKey: (r.public_key as string | null) ?? null,
      createdAt: r.created_at as string,
    };
  }
}
