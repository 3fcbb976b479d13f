// Point-in-time recovery over HTTP. With KMS_TEST_DATABASE=postgres (package.json test:postgres) the
// fixture is two replicas on one PostgreSQL database behind a round robin.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qs, type SecretsFixture, startSecretsFixture, type TestProject } from './helpers/secrets-fixture.js';

let kms: SecretsFixture;
beforeAll(async () => {
  kms = await startSecretsFixture();
});
afterAll(() => kms.close());

const folder = (project: TestProject, path: string, name: string) =>
  kms.admin('POST', '/api/v1/folders', { workspaceId: project.id, environment: 'dev', name, path });

const snapshots = async (project: TestProject, path: string, token = kms.adminToken) =>
  kms.call('GET', `/api/v1/workspace/${project.id}/secret-snapshots${qs({ environment: 'dev', path })}`, {
    token,
  });

/** The newest snapshot of a folder. */
const latest = async (project: TestProject, path: string) => {
  const res = await snapshots(project, path);
  expect(res.status).toBe(200);
  return res.body.secretSnapshots[0] as { id: string; folderId: string };
};

const rollback = (snapshotId: string, token = kms.adminToken) =>
  kms.call('POST', `/api/v1/secret-snapshot/${snapshotId}/rollback`, { token });

/** The folder's secrets as key → value, and its sub-folder names. */
async function state(project: TestProject, path: string) {
  const list = await kms.admin(
    'GET',
    `/api/v3/secrets/raw${qs({ workspaceId: project.id, environment: 'dev', secretPath: path })}`,
  );
  const folders = await kms.admin(
    'GET',
    `/api/v1/folders${qs({ workspaceId: project.id, environment: 'dev', path })}`,
  );
  return {
    secrets: Object.fromEntries(list.secrets.map((s: any) => [s.secretKey, s.secretValue])),
    folders: folders.folders.map((f: any) => f.name).sort(),
  };
}

const update = (project: TestProject, path: string, key: string, value: string) =>
  kms.admin('PATCH', `/api/v3/secrets/raw/${key}`, {
    workspaceId: project.id,
    environment: 'dev',
    secretPath: path,
    secretValue: value,
  });

const remove = (project: TestProject, path: string, key: string) =>
  kms.admin('DELETE', `/api/v3/secrets/raw/${key}`, {
    workspaceId: project.id,
    environment: 'dev',
    secretPath: path,
  });

describe('snapshots taken on every write', () => {
  it('lists a folder snapshots newest first in upstream shape, counts them and shows one with its secrets and sub-folders', async () => {
    const project = await kms.newProject();
    await folder(project, '/', 'app');
    await kms.seed(project, 'dev', '/app', { A: 'a-1', B: 'b-1' });
    await folder(project, '/app', 'db');
    await update(project, '/app', 'A', 'a-2');
    const res = await snapshots(project, '/app');
    expect(res.status).toBe(200);
    // created empty, the batch write, the sub-folder, the update
    expect(res.body.secretSnapshots).toHaveLength(4);
    const [newest] = res.body.secretSnapshots;
    expect(Object.keys(newest).sort()).toEqual([
      'createdAt',
      'envId',
      'folderId',
      'id',
      'parentFolderId',
      'updatedAt',
    ]);
    const count = await kms.admin(
      'GET',
      `/api/v1/workspace/${project.id}/secret-snapshots/count${qs({ environment: 'dev', path: '/app' })}`,
    );
    expect(count).toEqual({ count: 4 });
    const paged = await kms.admin(
      'GET',
      `/api/v1/workspace/${project.id}/secret-snapshots${qs({ environment: 'dev', path: '/app', offset: 1, limit: 1 })}`,
    );
    expect(paged.secretSnapshots.map((s: any) => s.id)).toEqual([res.body.secretSnapshots[1].id]);

    const { secretSnapshot } = await kms.admin('GET', `/api/v1/secret-snapshot/${newest.id}`);
    expect(secretSnapshot).toMatchObject({
      id: newest.id,
      projectId: project.id,
      environment: { slug: 'dev', name: 'Development' },
      folderVersion: [{ name: 'db' }],
    });
    expect(
      secretSnapshot.secretVersions.map((v: any) => [
        v.secretKey,
        v.secretValue,
        v.version,
        v.secretValueHidden,
      ]),
    ).toEqual([
      ['A', 'a-2', 2, false],
      ['B', 'b-1', 1, false],
    ]);
  });
});

describe('concurrent writers (two replicas on PostgreSQL)', () => {
  it('numbers the snapshots of one folder without gaps or clashes, the newest one holding every write', async () => {
    const project = await kms.newProject();
    await folder(project, '/', 'busy');
    const keys = Array.from({ length: 12 }, (_, i) => `K${i}`);
    const results = await Promise.all(
      keys.map((key) =>
        kms.call('POST', `/api/v3/secrets/raw/${key}`, {
          token: kms.adminToken,
          body: { workspaceId: project.id, environment: 'dev', secretPath: '/busy', secretValue: `v-${key}` },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(keys.map(() => 200));
    const count = await kms.admin(
      'GET',
      `/api/v1/workspace/${project.id}/secret-snapshots/count${qs({ environment: 'dev', path: '/busy' })}`,
    );
    expect(count.count).toBe(1 + keys.length);
    const newest = await latest(project, '/busy');
    const { secretSnapshot } = await kms.admin('GET', `/api/v1/secret-snapshot/${newest.id}`);
    expect(secretSnapshot.secretVersions.map((v: any) => v.secretKey).sort()).toEqual([...keys].sort());
  });
});

describe('POST /api/v1/secret-snapshot/:id/rollback', () => {
  it('puts a folder back with its sub-folders: values, deleted and newer secrets, deleted and newer folders', async () => {
    const project = await kms.newProject();
    await folder(project, '/', 'app');
    await folder(project, '/app', 'db');
    await folder(project, '/app/db', 'replica');
    await kms.seed(project, 'dev', '/app', { API_KEY: 'k-1', TOKEN: 't-1' });
    await kms.seed(project, 'dev', '/app/db', { DB_PASS: 'p-1' });
    await kms.seed(project, 'dev', '/app/db/replica', { REPLICA_PASS: 'r-1' });
    const before = await latest(project, '/app');
    const tokenId = (
      await kms.admin(
        'GET',
        `/api/v3/secrets/raw/TOKEN${qs({ workspaceId: project.id, environment: 'dev', secretPath: '/app' })}`,
      )
    ).secret.id;

    // Then a bad afternoon: values changed, a secret deleted, one added, folders deleted and added.
    await update(project, '/app', 'API_KEY', 'k-2');
    await remove(project, '/app', 'TOKEN');
    await kms.seed(project, 'dev', '/app', { STRAY: 's' });
    await update(project, '/app/db/replica', 'REPLICA_PASS', 'r-2');
    await kms.admin('DELETE', '/api/v1/folders/db', {
      workspaceId: project.id,
      environment: 'dev',
      path: '/app',
    });
    await folder(project, '/app', 'cache');

    const res = await rollback(before.id);
    expect(res.status).toBe(200);
    expect(res.body.secretSnapshot).toMatchObject({ id: before.id, folderId: before.folderId });
    expect(await state(project, '/app')).toEqual({
      secrets: { API_KEY: 'k-1', TOKEN: 't-1' },
      folders: ['db'],
    });
    expect(await state(project, '/app/db')).toEqual({ secrets: { DB_PASS: 'p-1' }, folders: ['replica'] });
    expect(await state(project, '/app/db/replica')).toEqual({
      secrets: { REPLICA_PASS: 'r-1' },
      folders: [],
    });
    // A deleted secret comes back with its id.
    const token = await kms.admin(
      'GET',
      `/api/v3/secrets/raw/TOKEN${qs({ workspaceId: project.id, environment: 'dev', secretPath: '/app' })}`,
    );
    expect(token.secret.id).toBe(tokenId);
    // The rollback is a write: it took a snapshot, and rolling back to the state before it undoes it.
    const history = (await snapshots(project, '/app')).body.secretSnapshots;
    const beforeRollback = history[1];
    expect((await rollback(beforeRollback.id)).status).toBe(200);
    expect(await state(project, '/app')).toEqual({
      secrets: { API_KEY: 'k-2', STRAY: 's' },
      folders: ['cache'],
    });
  });

  it('is all or nothing: a rollback that cannot be applied changes nothing (409)', async () => {
    const project = await kms.newProject();
    await folder(project, '/', 'x');
    await folder(project, '/', 'y');
    await kms.seed(project, 'dev', '/', { ROOT: 'root-1' });
    const before = await latest(project, '/');
    await update(project, '/', 'ROOT', 'root-2');
    // Swap the two folder names through a third: putting x back first clashes with the other folder.
    const rename = (from: string, to: string) =>
      kms.admin('PATCH', `/api/v1/folders/${from}`, {
        workspaceId: project.id,
        environment: 'dev',
        path: '/',
        name: to,
      });
    const { folders } = await kms.admin(
      'GET',
      `/api/v1/folders${qs({ workspaceId: project.id, environment: 'dev' })}`,
    );
    const id = (name: string) => folders.find((f: any) => f.name === name).id;
    const [xId, yId] = [id('x'), id('y')];
    await rename(xId, 'z');
    await rename(yId, 'x');
    await rename(xId, 'y');
    const res = await rollback(before.id);
    expect(res.status).toBe(409);
    expect(await state(project, '/')).toEqual({ secrets: { ROOT: 'root-2' }, folders: ['x', 'y'] });
  });

  it('is audited as pit-rollback-commit naming keys and ids, never values', async () => {
    const project = await kms.newProject();
    await kms.seed(project, 'dev', '/', { AUDITED: 'value-before-7f' });
    const before = await latest(project, '/');
    await update(project, '/', 'AUDITED', 'value-after-8e');
    await rollback(before.id);
    const { auditLogs } = await kms.admin(
      'GET',
      `/api/v1/audit-logs${qs({ projectId: project.id, eventType: 'pit-rollback-commit' })}`,
    );
    expect(auditLogs).toHaveLength(1);
    expect(auditLogs[0].event.metadata).toMatchObject({
      environment: 'dev',
      folderPath: '/',
      snapshotId: before.id,
      secretsWritten: [{ secretKey: 'AUDITED' }],
    });
    expect(JSON.stringify(auditLogs)).not.toMatch(/value-(before|after)/);
  });
});

describe('rights and bad input', () => {
  it('viewers read snapshots (values included) but may not roll back; no-access and other projects are refused', async () => {
    const project = await kms.newProject();
    await kms.seed(project, 'dev', '/', { K: 'v-1' });
    const snap = await latest(project, '/');
    const viewer = await kms.identityToken(project, 'viewer');
    expect((await snapshots(project, '/', viewer)).status).toBe(200);
    const got = await kms.call('GET', `/api/v1/secret-snapshot/${snap.id}`, { token: viewer });
    expect(got.body.secretSnapshot.secretVersions[0].secretValue).toBe('v-1');
    const refused = await rollback(snap.id, viewer);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('PermissionDenied');
    const member = await kms.identityToken(project, 'member');
    expect((await rollback(snap.id, member)).status).toBe(200);
    const none = await kms.identityToken(project, 'no-access');
    expect((await snapshots(project, '/', none)).status).toBe(403);

    const other = await kms.identityToken(await kms.newProject(), 'admin');
    expect((await snapshots(project, '/', other)).status).toBe(403);
    const cross = await kms.call('GET', `/api/v1/secret-snapshot/${snap.id}`, { token: other });
    expect(cross.status).toBe(403);
    expect(JSON.stringify(cross.body)).not.toContain('v-1');
    expect((await rollback(snap.id, other)).status).toBe(403);
  });

  it('answers 404 for unknown snapshots and folders, 422 for bad input', async () => {
    const project = await kms.newProject();
    const unknown = await rollback(randomUUID());
    expect(unknown).toMatchObject({ status: 404, body: { statusCode: 404, error: 'NotFound' } });
    expect(
      (await kms.call('GET', `/api/v1/secret-snapshot/${randomUUID()}`, { token: kms.adminToken })).status,
    ).toBe(404);
    expect((await rollback('nope')).status).toBe(422);
    expect((await snapshots(project, '/missing')).status).toBe(404);
    const noEnv = await kms.call('GET', `/api/v1/workspace/${project.id}/secret-snapshots`, {
      token: kms.adminToken,
    });
    expect(noEnv.status).toBe(422);
    const badLimit = await kms.call(
      'GET',
      `/api/v1/workspace/${project.id}/secret-snapshots${qs({ environment: 'dev', limit: 500 })}`,
      { token: kms.adminToken },
    );
    expect(badLimit.status).toBe(422);
  });

  it('refuses a snapshot whose folder was deleted (404), pointing at the parent', async () => {
    const project = await kms.newProject();
    await folder(project, '/', 'gone');
    await kms.seed(project, 'dev', '/gone', { G: 'g' });
    const snap = await latest(project, '/gone');
    await kms.admin('DELETE', '/api/v1/folders/gone', {
      workspaceId: project.id,
      environment: 'dev',
      path: '/',
    });
    const res = await rollback(snap.id);
    expect(res.status).toBe(404);
    expect(res.body.message).toContain('parent folder');
  });
});
