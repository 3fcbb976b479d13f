import { openDatabase, type SqliteDatabase } from './database.js';
import { type AccessStore, SqliteAccessStore } from './sqlite/access-store.js';
import { type AuditStore, SqliteAuditStore } from './sqlite/audit-store.js';
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
    async close() {
      if (db.open) db.close();
    },
  };
}
