// The service's PostgreSQL pool, made from the DB_* secrets and replaced when the KMS rotates them.
// Requests always take the current pool; the old one is drained (queries already running finish),
// and its password stays valid for one more rotation (dual-phase), so nothing in flight fails.
import pg from 'pg';

/** The secrets the pool is built from (DB_USER and DB_PASSWORD are written by the KMS rotation). */
export const DATABASE_KEYS = ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'];

/** @param {Readonly<Record<string, string>>} secrets */
function createPool(secrets) {
  const pool = new pg.Pool({
    host: secrets.DB_HOST,
    port: Number(secrets.DB_PORT ?? 5432),
    database: secrets.DB_NAME,
    user: secrets.DB_USER,
    password: secrets.DB_PASSWORD,
    max: 4,
  });
  // An idle connection dropped by the server is not a crash: the pool makes a new one on demand.
  pool.on('error', () => {});
  return pool;
}

/** A pool that follows the secrets: `current()` for queries, `rebuild()` on a rotation. */
export class RotatingPool {
  /** @param {Readonly<Record<string, string>>} secrets */
  constructor(secrets) {
    this.user = secrets.DB_USER;
    this.pool = createPool(secrets);
  }

  /** The pool new queries use. */
  current() {
    return this.pool;
  }

  /**
   * Switches new queries to a pool made from `secrets`, then drains the old one.
   * @param {Readonly<Record<string, string>>} secrets
   */
  async rebuild(secrets) {
    const old = this.pool;
    this.pool = createPool(secrets);
    this.user = secrets.DB_USER;
    await old.end();
  }

  async end() {
    await this.pool.end();
  }
}
