// A real PostgreSQL as the database whose users a rotation changes: the embedded server the test
// run started (test/global-postgres.ts), with an admin role for the app connection (CREATEROLE,
// ADMIN OPTION on the two application users) and two login users that alternate.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase } from './postgres.js';

/** The target database of a rotation test and what a test checks against it. */
export interface RotationTarget {
  host: string;
  port: number;
  database: string;
  /** The app connection's credentials (an admin role that may change the two users' passwords). */
  admin: { username: string; password: string };
  /** The two users a dual-phase rotation alternates. */
  usernames: [string, string];
  /** The body of `POST /api/v1/app-connections/postgres` for this target. */
  connectionBody(name: string): Record<string, unknown>;
  /** Whether `username` logs in with `password`. */
  canLogin(username: string, password: string): Promise<boolean>;
}

/** Makes a fresh database with the roles a rotation needs (role names are unique per call). */
export async function createRotationTarget(adminUrl: string): Promise<RotationTarget> {
  const databaseUrl = new URL(await createDatabase(adminUrl));
  const suffix = randomBytes(4).toString('hex');
  const admin = { username: `rotator_${suffix}`, password: `admin-${randomBytes(12).toString('hex')}` };
  const usernames: [string, string] = [`app_${suffix}_1`, `app_${suffix}_2`];
  const database = databaseUrl.pathname.slice(1);
  const superuser = new pg.Client({ connectionString: databaseUrl.toString() });
  await superuser.connect();
  try {
    await superuser.query(`CREATE ROLE ${admin.username} LOGIN CREATEROLE PASSWORD '${admin.password}'`);
    for (const user of usernames) {
      await superuser.query(`CREATE ROLE ${user} LOGIN PASSWORD '${randomBytes(12).toString('hex')}'`);
      await superuser.query(`GRANT ${user} TO ${admin.username} WITH ADMIN OPTION`);
      await superuser.query(`GRANT ALL ON DATABASE ${database} TO ${user}`);
      await superuser.query(`GRANT ALL ON SCHEMA public TO ${user}`);
    }
  } finally {
    await superuser.end();
  }
  const host = databaseUrl.hostname;
  const port = Number(databaseUrl.port);
  return {
    host,
    port,
    database,
    admin,
    usernames,
    connectionBody: (name) => ({
      name,
      method: 'username-and-password',
      credentials: {
        host,
        port,
        database,
        username: admin.username,
        password: admin.password,
        sslEnabled: false,
      },
    }),
    async canLogin(username, password) {
      const client = new pg.Client({ host, port, database, user: username, password });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}
