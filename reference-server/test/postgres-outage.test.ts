// The database going away under a PostgreSQL-backed server: clear 503s with Retry-After (never a
// 500), readiness turns 503, and the server recovers by itself when the database is back.
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createDatabase } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
let databaseUrl: string;
let name: string;

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  databaseUrl = await createDatabase(inject('postgresAdminUrl'));
  name = new URL(databaseUrl).pathname.slice(1);
  kms = await startTestServer({ databaseUrl, databasePoolSize: 2 });
});
afterAll(async () => {
  await admin(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
  await kms?.close();
});

it('answers 503 with Retry-After while the database refuses connections, then recovers', async () => {
  expect((await kms.call('GET', '/api/v1/workspace', undefined, kms.adminToken)).status).toBe(200);
  await admin(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
  await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);

  const down = await kms.call('GET', '/api/v1/workspace', undefined, kms.adminToken);
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('1');
  expect(down.body).toMatchObject({ statusCode: 503, error: 'ServiceUnavailable' });
  expect(JSON.stringify(down.body)).not.toMatch(/kms_|127\.0\.0\.1|password/);
  const login = await kms.call('POST', '/api/v1/auth/universal-auth/login', {
    clientId: 'x',
    clientSecret: 'y',
  });
  expect(login.status).toBe(503);
  const ready = await kms.call('GET', '/api/status/ready');
  expect(ready.status).toBe(503);
  expect(ready.body).toMatchObject({ ready: false, store: { ok: false } });
  expect((await kms.call('GET', '/api/status')).status).toBe(200);

  await admin(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
  expect((await kms.call('GET', '/api/v1/workspace', undefined, kms.adminToken)).status).toBe(200);
  expect((await kms.call('GET', '/api/status/ready')).status).toBe(200);
});
