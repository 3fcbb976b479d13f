/**
 * SQL implementation of the app-connection store: the sealed credentials of external systems that
 * secret rotations use. Rows only; sealing is domains/app-connections' job.
 */
import type { AppConnectionRecord } from '../records.js';
import { type AppConnectionStore, StoreConflictError } from '../contract.js';
import type { Row } from '../rows.js';
import { isConstraintViolation, type SqlDatabase } from '../sql/database.js';

const toConnection = (r: Row): AppConnectionRecord => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  description: (r.description as string | null) ?? null,
  app: r.app as string,
  method: r.method as string,
  credentialsCiphertext: r.credentials_ciphertext as string,
  credentialsKey: { wrapped: r.credentials_key_wrapped as string, keyId: r.credentials_key_id as string },
  version: r.version as number,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const params = (c: AppConnectionRecord) => ({
  id: c.id,
  org_id: c.orgId,
  name: c.name,
  description: c.description,
  app: c.app,
  method: c.method,
  credentials_ciphertext: c.credentialsCiphertext,
  credentials_key_wrapped: c.credentialsKey.wrapped,
  credentials_key_id: c.credentialsKey.keyId,
  version: c.version,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
});

/** A uniqueness or reference failure as the store's conflict (the service words it). */
async function conflicts<T>(write: Promise<T>, message: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isConstraintViolation(error)) throw new StoreConflictError(message, 'unique');
    throw error;
  }
}

export class SqlAppConnectionStore implements AppConnectionStore {
  constructor(private readonly db: SqlDatabase) {}

  async insert(c: AppConnectionRecord) {
    await conflicts(
      this.db.run(
        `INSERT INTO app_connections (id, org_id, name, description, app, method, credentials_ciphertext,
         credentials_key_wrapped, credentials_key_id, version, created_at, updated_at)
         VALUES (@id, @org_id, @name, @description, @app, @method, @credentials_ciphertext,
         @credentials_key_wrapped, @credentials_key_id, @version, @created_at, @updated_at)`,
        params(c),
      ),
      'app connection name taken',
    );
  }

  async get(id: string) {
    const r = await this.db.one('SELECT * FROM app_connections WHERE id = ?', [id]);
    return r && toConnection(r);
  }

  async getByName(orgId: string, app: string, name: string) {
    const r = await this.db.one('SELECT * FROM app_connections WHERE org_id = ? AND app = ? AND name = ?', [
      orgId,
      app,
      name,
    ]);
    return r && toConnection(r);
  }

  async list(orgId: string, app: string) {
    return (
      await this.db.all('SELECT * FROM app_connections WHERE org_id = ? AND app = ? ORDER BY name', [
        orgId,
        app,
      ])
    ).map(toConnection);
  }

  async update(c: AppConnectionRecord, expectedVersion: number) {
    const changed = await conflicts(
      this.db.run(
        `UPDATE app_connections SET name = @name, description = @description, credentials_ciphertext = @credentials_ciphertext,
         credentials_key_wrapped = @credentials_key_wrapped, credentials_key_id = @credentials_key_id,
         version = @version, updated_at = @updated_at WHERE id = @id AND version = @expected`,
        { ...params(c), expected: expectedVersion },
      ),
      'app connection name taken',
    );
    if (changed !== 1) throw new StoreConflictError('app connection changed by another request', 'stale');
  }

  async delete(id: string) {
    await conflicts(this.db.run('DELETE FROM app_connections WHERE id = ?', [id]), 'app connection in use');
  }
}
