import type { WrappedKey } from '../crypto/key-manager.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import {
  hasLegacySecretRows,
  type LegacySecretRow,
  type ResealedFields,
  resealLegacySecretRows,
} from './migrations.js';
import { type AccessStore, SqliteAccessStore } from './sqlite/access-store.js';
import { type AuditStore, SqliteAuditStore } from './sqlite/audit-store.js';
import { type KmsKeyStore, SqliteKmsKeyStore } from './sqlite/kms-key-store.js';
import { type ProjectStore, SqliteProjectStore } from './sqlite/project-store.js';
import { type SecretStore, SqliteSecretStore } from './sqlite/secret-store.js';

/**
 * The one storage interface services depend on. Every method is async and every
 * method that writes several rows is atomic on its own, so another backend
 * (PostgreSQL for replicas sharing state) can implement it without touching services.
 */
export interface Store {
  readonly access: AccessStore;
  readonly projects: ProjectStore;
  readonly secrets: SecretStore;
  readonly audit: AuditStore;
  readonly kmsKeys: KmsKeyStore;
  /**
   * Root-key rotation: re-wraps every wrapped key (project data keys and the token signing key)
   * and stores them in one transaction. `rewrap` returns undefined for a key that needs nothing
   * (already under the target key). Secret ciphertexts are untouched. Returns how many changed.
   */
  rewrapKeys(rewrap: (key: WrappedKey) => Promise<WrappedKey | undefined>): Promise<number>;
  /**
   * Migration 3: converts secret rows still holding three ciphertexts to the one sealed
   * ciphertext (`sealedPrefix`), in one transaction. Returns how many rows were converted.
   */
  resealLegacySecrets(
    sealedPrefix: string,
    reseal: (row: LegacySecretRow) => ResealedFields | undefined,
  ): Promise<number>;
  /** Whether {@link Store.resealLegacySecrets} has anything to do. */
  hasLegacySecrets(sealedPrefix: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The embedded default: SQLite through better-sqlite3 (`:memory:` for tests). */
export function createSqliteStore(path: string): Store & { db: SqliteDatabase } {
  const db = openDatabase(path);
  return {
    db,
    access: new SqliteAccessStore(db),
    projects: new SqliteProjectStore(db),
    secrets: new SqliteSecretStore(db),
    audit: new SqliteAuditStore(db),
    kmsKeys: new SqliteKmsKeyStore(db),
    async rewrapKeys(rewrap) {
      // Re-wrapping may call a remote backend, so it happens before the one transaction that stores
      // every new wrapped key; a key changed meanwhile fails the whole rotation (nothing is written).
      const projects = db.prepare('SELECT id, data_key_wrapped, data_key_id FROM projects').all() as {
        id: string;
        data_key_wrapped: string;
        data_key_id: string;
      }[];
      const config = db
        .prepare('SELECT jwt_secret_wrapped, jwt_secret_key_id FROM server_config WHERE id = 1')
        .get() as { jwt_secret_wrapped: string; jwt_secret_key_id: string } | undefined;
      const projectKeys: { id: string; old: string; next: WrappedKey | undefined }[] = [];
      for (const p of projects) {
        const next = await rewrap({ wrapped: p.data_key_wrapped, keyId: p.data_key_id });
        projectKeys.push({ id: p.id, old: p.data_key_wrapped, next });
      }
      const configKey = config
        ? {
            old: config.jwt_secret_wrapped,
            next: await rewrap({ wrapped: config.jwt_secret_wrapped, keyId: config.jwt_secret_key_id }),
          }
        : undefined;
      return db
        .transaction(() => {
          let count = 0;
          const updateProject = db.prepare(
            'UPDATE projects SET data_key_wrapped = ?, data_key_id = ? WHERE id = ? AND data_key_wrapped = ?',
          );
          for (const p of projectKeys) {
            if (!p.next) continue;
            if (updateProject.run(p.next.wrapped, p.next.keyId, p.id, p.old).changes !== 1)
              throw new Error(`the data key of project ${p.id} changed during the rotation`);
            count++;
          }
          if (configKey?.next) {
            db.prepare(
              'UPDATE server_config SET jwt_secret_wrapped = ?, jwt_secret_key_id = ? WHERE id = 1 AND jwt_secret_wrapped = ?',
            ).run(configKey.next.wrapped, configKey.next.keyId, configKey.old);
            count++;
          }
          return count;
        })
        .immediate();
    },
    async resealLegacySecrets(sealedPrefix, reseal) {
      return resealLegacySecretRows(db, sealedPrefix, reseal);
    },
    async hasLegacySecrets(sealedPrefix) {
      return hasLegacySecretRows(db, sealedPrefix);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
