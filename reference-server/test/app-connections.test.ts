// PostgreSQL app connections (/api/v1/app-connections/postgres) over real HTTP against a real
// PostgreSQL: credentials checked on create and update, sealed at rest, never answered or audited;
// organization rights as upstream (admins manage, members may only use); bad input is a 4xx.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiClient } from '../src/provisioning/api-client.js';
import { startServer } from '../src/server.js';
import { runCli } from './helpers/cli-process.js';
import type { OpenedStore } from '../src/store/store.js';
import { createRotationTarget, type RotationTarget } from './helpers/rotation-target.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const PATH = '/api/v1/app-connections/postgres';
let kms: TestServer;
let target: RotationTarget;
let memberToken: string;
let noAccessToken: string;

/** A machine identity with an organization role, logged in. */
async function orgIdentityToken(role: string) {
  const { identity } = await kms.admin('POST', '/api/v1/identities', {
    name: `org-${role}-${Math.random()}`,
    organizationId: kms.orgId,
    role,
  });
  const { identityUniversalAuth } = await kms.admin(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}`,
    {},
  );
  const secret = await kms.admin(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
    {},
  );
  return (await kms.login(identityUniversalAuth.clientId, secret.clientSecret)).body.accessToken as string;
}

beforeAll(async () => {
  kms = await startTestServer();
  target = await createRotationTarget(inject('postgresAdminUrl'));
  memberToken = await orgIdentityToken('member');
  noAccessToken = await orgIdentityToken('no-access');
}, 60_000);
afterAll(() => kms?.close());

describe('PostgreSQL app connections', () => {
  it('creates a connection after checking it, answers it without the password and seals it at rest', async () => {
    const r = await kms.call('POST', PATH, target.connectionBody('main-db'), kms.adminToken);
    expect(r.status).toBe(200);
    expect(r.body.appConnection).toMatchObject({
      name: 'main-db',
      app: 'postgres',
      method: 'username-and-password',
      orgId: kms.orgId,
      version: 1,
      credentials: {
        host: target.host,
        port: target.port,
        database: target.database,
        username: target.admin.username,
        sslEnabled: false,
        sslRejectUnauthorized: true,
      },
    });
    expect(r.body.appConnection.credentials).not.toHaveProperty('password');
    expect(JSON.stringify(r.body)).not.toContain(target.admin.password);
    const id = r.body.appConnection.id as string;

    const byId = await kms.call('GET', `${PATH}/${id}`, undefined, kms.adminToken);
    expect(byId.status).toBe(200);
    expect(byId.body.appConnection.credentials.username).toBe(target.admin.username);
    const byName = await kms.call('GET', `${PATH}/connection-name/main-db`, undefined, kms.adminToken);
    expect(byName.body.appConnection.id).toBe(id);
    const list = await kms.call('GET', PATH, undefined, kms.adminToken);
    expect(list.body.appConnections.map((c: { id: string }) => c.id)).toContain(id);
    for (const body of [byId.body, byName.body, list.body])
      expect(JSON.stringify(body)).not.toContain(target.admin.password);

    const rows = await (kms.store as OpenedStore).sql.all('SELECT * FROM app_connections');
    expect(JSON.stringify(rows)).not.toContain(target.admin.password);
    expect(JSON.stringify(rows)).not.toContain(target.admin.username);
  });

  it('refuses credentials the database does not accept, without echoing them', async () => {
    const body = target.connectionBody('wrong-password') as { credentials: Record<string, unknown> };
    body.credentials.password = 'not-the-password-9f2c';
    const r = await kms.call('POST', PATH, body, kms.adminToken);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^Unable to validate connection: /);
    expect(JSON.stringify(r.body)).not.toContain('not-the-password-9f2c');
  });

  it('answers bad input with 4xx and the API error body', async () => {
    const good = target.connectionBody('bad-input') as { credentials: Record<string, unknown> };
    const cases: [unknown, number][] = [
      [{ ...good, method: 'access-token' }, 422],
      [{ ...good, name: 'Not A Slug' }, 422],
      [{ ...good, credentials: { ...good.credentials, host: '' } }, 422],
      [{ ...good, credentials: { ...good.credentials, port: 70000 } }, 422],
      [{ ...good, credentials: { ...good.credentials, extra: 1 } }, 422],
      [{ ...good, gatewayId: '3f1c0f4e-8c7a-4a53-9d0e-0f0b0c1d2e3f' }, 422],
      ['not json', 422],
    ];
    for (const [body, status] of cases) {
      const r = await kms.call('POST', PATH, body, kms.adminToken);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      if (typeof body !== 'string') expect(r.status).toBe(status);
      expect(r.body).toMatchObject({
        statusCode: r.status,
        error: expect.any(String),
        reqId: expect.any(String),
      });
    }
    expect((await kms.call('GET', `${PATH}/not-a-uuid`, undefined, kms.adminToken)).status).toBe(422);
    const missing = await kms.call(
      'GET',
      `${PATH}/3f1c0f4e-8c7a-4a53-9d0e-0f0b0c1d2e3f`,
      undefined,
      kms.adminToken,
    );
    expect(missing.status).toBe(404);
  });

  it('refuses a duplicate name, updates name and credentials (checked), deletes', async () => {
    const created = await kms.admin('POST', PATH, target.connectionBody('to-change'));
    const id = created.appConnection.id as string;
    expect((await kms.call('POST', PATH, target.connectionBody('to-change'), kms.adminToken)).status).toBe(
      400,
    );
    const renamed = await kms.call(
      'PATCH',
      `${PATH}/${id}`,
      { name: 'changed', description: 'd' },
      kms.adminToken,
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body.appConnection).toMatchObject({ name: 'changed', description: 'd', version: 2 });
    const bad = target.connectionBody('x') as { credentials: Record<string, unknown> };
    bad.credentials.password = 'still-wrong-4411';
    const refused = await kms.call(
      'PATCH',
      `${PATH}/${id}`,
      { credentials: bad.credentials },
      kms.adminToken,
    );
    expect(refused.status).toBe(400);
    const good = target.connectionBody('x') as { credentials: Record<string, unknown> };
    const updated = await kms.call(
      'PATCH',
      `${PATH}/${id}`,
      { credentials: good.credentials },
      kms.adminToken,
    );
    expect(updated.status).toBe(200);
    expect(updated.body.appConnection.version).toBe(3);
    const deleted = await kms.call('DELETE', `${PATH}/${id}`, undefined, kms.adminToken);
    expect(deleted.status).toBe(200);
    expect(deleted.body.appConnection.id).toBe(id);
    expect((await kms.call('GET', `${PATH}/${id}`, undefined, kms.adminToken)).status).toBe(404);
  });

  it('gives org members only the use of connections and no-access identities nothing', async () => {
    const created = await kms.admin('POST', PATH, target.connectionBody('rights'));
    const id = created.appConnection.id as string;
    for (const [method, path, body] of [
      ['GET', PATH, undefined],
      ['GET', `${PATH}/${id}`, undefined],
      ['POST', PATH, target.connectionBody('by-member')],
      ['PATCH', `${PATH}/${id}`, { name: 'by-member' }],
      ['DELETE', `${PATH}/${id}`, undefined],
    ] as const) {
      const r = await kms.call(method, path, body, memberToken);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error).toBe('PermissionDenied');
    }
    const available = await kms.call('GET', `${PATH}/available`, undefined, memberToken);
    expect(available.status).toBe(200);
    expect(available.body.appConnections).toContainEqual({ app: 'postgres', name: 'rights', id });
    expect(JSON.stringify(available.body)).not.toContain(target.admin.username);
    expect((await kms.call('GET', `${PATH}/available`, undefined, noAccessToken)).status).toBe(403);
    expect((await kms.call('GET', PATH, undefined)).status).toBe(401);
  });

  it('audits every call with upstream event names and never the credentials', async () => {
    const logs = (await kms.admin('GET', '/api/v1/audit-logs?limit=1000')).auditLogs as {
      event: { type: string; metadata: unknown };
    }[];
    const types = new Set(logs.map((l) => l.event.type));
    for (const type of [
      'create-app-connection',
      'get-app-connections',
      'get-app-connection',
      'get-available-app-connections-details',
      'update-app-connection',
      'delete-app-connection',
    ]) {
      expect(types, type).toContain(type);
    }
    expect(JSON.stringify(logs)).not.toContain(target.admin.password);
  });
});

describe('app connections and the root key', () => {
  it('re-wraps connection keys with the project keys: connections still open after rotate-root-key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kms-connection-rewrap-'));
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const first = await startServer({ dataDir, rootEncryptionKey: oldKey, rateLimit: false });
    const boot = await new ApiClient(first.url).request<any>('POST', '/api/v1/admin/bootstrap', {
      email: 'ops@example.test',
      password: 'S3cure-pass!',
      organization: 'rewrap',
    });
    const api = new ApiClient(first.url, boot.body.identity.credentials.token);
    const created = await api.request<any>('POST', PATH, target.connectionBody('rewrapped'));
    expect(created.status).toBe(200);
    await first.close();

    const rotated = await runCli(['rotate-root-key', '--data-dir', dataDir], {
      ROOT_ENCRYPTION_KEY: oldKey,
      NEW_ROOT_ENCRYPTION_KEY: newKey,
    });
    expect(rotated.code, rotated.output).toBe(0);
    // The token-signing key and the connection's credentials key (no project was made).
    expect(rotated.output).toMatch(/re-wrapped 2 keys/);

    const second = await startServer({ dataDir, rootEncryptionKey: newKey, rateLimit: false });
    try {
      const again = new ApiClient(second.url, await second.issueAdminToken());
      const read = await again.request<any>('GET', `${PATH}/${created.body.appConnection.id}`);
      expect(read.status).toBe(200);
      expect(read.body.appConnection.credentials.username).toBe(target.admin.username);
    } finally {
      await second.close();
    }
  });
});
