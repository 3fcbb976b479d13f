/**
 * Opens a store over SQLite or PostgreSQL: runs the migrations, reseals legacy rows and wires the
 * repositories and the group committer into one Store. Services see only the contract (contract.ts).
 */
import type Database from 'better-sqlite3';
import { SqlAccessStore } from './repositories/access.js';
import { SqlAppConnectionStore } from './repositories/app-connections.js';
import { SqlAuditStore } from './repositories/audit.js';
import { SqlChangeNoticeStore } from './repositories/change-notices.js';
import { SqlKmsKeyStore } from './repositories/kms-keys.js';
import { SqlProjectStore } from './repositories/projects.js';
import { SqlSecretRotationStore } from './repositories/secret-rotations.js';
import { SqlSecretStore } from './repositories/secrets.js';
import { SqlSnapshotStore } from './repositories/snapshots.js';
import { SqlWebhookStore } from './repositories/webhooks.js';
import type { Store } from './contract.js';
import { GroupCommitter } from './group-commit.js';
import type { SqlDatabase } from './sql/database.js';
import { hasLegacySecretRows, migrate, resealLegacySecretRows } from './sql/migrations.js';
import { openPostgres, type PostgresOptions } from './sql/postgres-driver.js';
import { openSqlite } from './sql/sqlite-driver.js';

export type { Store } from './contract.js';

/**
 * A store with its SQL database and its group committer, for operator tools, the bench and tests
 * that look at rows, counters or inject faults (not for services).
 */
export type OpenedStore = Store & { readonly sql: SqlDatabase; readonly commits: GroupCommitter };

/** The one set of repositories, over either engine. Migrations must have run. */
function storeOver(db: SqlDatabase): OpenedStore {
  // One committer per store: token uses and audit appends of concurrent requests share commits.
  const commits = new GroupCommitter(db);
  return {
    engine: db.dialect.name,
    sql: db,
    commits,
    access: new SqlAccessStore(db, commits),
    projects: new SqlProjectStore(db),
    secrets: new SqlSecretStore(db),
    audit: new SqlAuditStore(db, commits),
    kmsKeys: new SqlKmsKeyStore(db),
    appConnections: new SqlAppConnectionStore(db),
    secretRotations: new SqlSecretRotationStore(db),
    snapshots: new SqlSnapshotStore(db),
    webhooks: new SqlWebhookStore(db),
    changes: new SqlChangeNoticeStore(db),
    async rewrapKeys(rewrap) {
      // Re-wrapping may call a remote backend, so it happens before the one transaction that stores
      // every new wrapped key; a key changed meanwhile fails the whole rotation (nothing is written).
      const projects = await db.all<{ id: string; data_key_wrapped: string; data_key_id: string }>(
        'SELECT id, data_key_wrapped, data_key_id FROM projects',
      );
      const config = await db.one<{ jwt_secret_wrapped: string; jwt_secret_key_id: string }>(
        'SELECT jwt_secret_wrapped, jwt_secret_key_id FROM server_config WHERE id = 1',
      );
      const projectKeys: { id: string; old: string; next: Awaited<ReturnType<typeof rewrap>> }[] = [];
      for (const p of projects) {
        const next = await rewrap({ wrapped: p.data_key_wrapped, keyId: p.data_key_id });
        projectKeys.push({ id: p.id, old: p.data_key_wrapped, next });
      }
      const connections = await db.all<{
        id: string;
        credentials_key_wrapped: string;
        credentials_key_id: string;
      }>('SELECT id, credentials_key_wrapped, credentials_key_id FROM app_connections');
      const connectionKeys: { id: string; old: string; next: Awaited<ReturnType<typeof rewrap>> }[] = [];
      for (const c of connections) {
        const next = await rewrap({ wrapped: c.credentials_key_wrapped, keyId: c.credentials_key_id });
        connectionKeys.push({ id: c.id, old: c.credentials_key_wrapped, next });
      }
      const configKey = config
        ? {
            old: config.jwt_secret_wrapped,
            next: await rewrap({ wrapped: config.jwt_secret_wrapped, keyId: config.jwt_secret_key_id }),
          }
        : undefined;
      return db.transaction(async (tx) => {
        let count = 0;
        for (const p of projectKeys) {
          if (!p.next) continue;
          const changed = await tx.run(
            'UPDATE projects SET data_key_wrapped = ?, data_key_id = ? WHERE id = ? AND data_key_wrapped = ?',
            [p.next.wrapped, p.next.keyId, p.id, p.old],
          );
          if (changed !== 1) throw new Error(`the data key of project ${p.id} changed during the rotation`);
          count++;
        }
        for (const c of connectionKeys) {
          if (!c.next) continue;
          const changed = await tx.run(
            'UPDATE app_connections SET credentials_key_wrapped = ?, credentials_key_id = ? WHERE id = ? AND credentials_key_wrapped = ?',
            [c.next.wrapped, c.next.keyId, c.id, c.old],
          );
          if (changed !== 1)
            throw new Error(`the credentials key of app connection ${c.id} changed during the rotation`);
          count++;
        }
        if (configKey?.next) {
          await tx.run(
            'UPDATE server_config SET jwt_secret_wrapped = ?, jwt_secret_key_id = ? WHERE id = 1 AND jwt_secret_wrapped = ?',
            [configKey.next.wrapped, configKey.next.keyId, configKey.old],
          );
          count++;
        }
        return count;
      });
    },
    resealLegacySecrets: (sealedPrefix, reseal) => resealLegacySecretRows(db, sealedPrefix, reseal),
    hasLegacySecrets: (sealedPrefix) => hasLegacySecretRows(db, sealedPrefix),
    async ping() {
      await db.one('SELECT 1 AS ok');
    },
    close: () => db.close(),
  };
}

/** The embedded default: SQLite through better-sqlite3 at `path` (`:memory:` for tests), migrated. */
export async function createSqliteStore(path: string): Promise<OpenedStore & { db: Database.Database }> {
  const db = openSqlite(path);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { ...storeOver(db), db: db.handle };
}

/**
 * A store on PostgreSQL, shared by every replica pointing at the same database; migrated under a
 * lock, so replicas may start together on an empty database.
 */
export async function createPostgresStore(options: PostgresOptions): Promise<OpenedStore> {
  const db = openPostgres(options);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return storeOver(db);
}

/** Where the data lives: a SQLite file (or `:memory:`), or a PostgreSQL URL. */
export type StoreLocation = { sqlite: string } | { postgres: PostgresOptions };

export function openStore(location: StoreLocation): Promise<OpenedStore> {
  return 'postgres' in location ? createPostgresStore(location.postgres) : createSqliteStore(location.sqlite);
}
