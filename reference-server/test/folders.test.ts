import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qs, type SecretsFixture, startSecretsFixture } from './helpers/secrets-fixture.js';

let kms: SecretsFixture;
beforeAll(async () => {
  kms = await startSecretsFixture();
});
afterAll(() => kms.close());

const FOLDER_FIELDS = [
  'createdAt',
  'description',
  'envId',
  'id',
  'isReserved',
  'lastSecretModified',
  'name',
  'parentId',
  'updatedAt',
  'version',
];

describe('folders', () => {
  it('creates (with missing parents), lists, reads, renames and deletes', async () => {
    const project = await kms.newProject();
    const create = (name: string, path: string) =>
      kms.call('POST', '/api/v1/folders', {
        token: kms.adminToken,
        body: { workspaceId: project.id, environment: 'dev', name, path },
      });
    const app = await create('app', '/');
    expect(app.status).toBe(200);
    expect(Object.keys(app.body.folder).sort()).toEqual([...FOLDER_FIELDS, 'path'].sort());
    expect(app.body.folder).toMatchObject({ name: 'app', path: '/app', version: 1, isReserved: false });
    const nested = await create('leaf', 'app/mid/');
    expect(nested.body.folder).toMatchObject({ name: 'leaf', path: '/app/mid/leaf' });
    // Upstream's create is idempotent (backend/src/services/secret-folder/secret-folder-service.ts).
    const again = await create('app', '/');
    expect(again.status).toBe(200);
    expect(again.body.folder).toMatchObject({ id: app.body.folder.id, name: 'app', path: '/app' });
    const badName = await create('bad name', '/');
    expect(badName.status).toBe(422);
    expect(JSON.stringify(badName.body.message)).toContain('Invalid folder name');
    expect((await create('x', '/a/../b')).status).toBe(422);

    const list = (params: Record<string, string>) =>
      kms.admin('GET', `/api/v1/folders${qs({ workspaceId: project.id, environment: 'dev', ...params })}`);
    expect((await list({})).folders.map((f: any) => f.name)).toEqual(['app']);
    expect((await list({ path: '/app' })).folders.map((f: any) => f.name)).toEqual(['mid']);
    expect((await list({ directory: '/app/mid' })).folders.map((f: any) => f.name)).toEqual(['leaf']);
    const recursive = await list({ recursive: 'yes' });
    expect(recursive.folders.map((f: any) => [f.name, f.relativePath])).toEqual([
      ['app', '/app'],
      ['mid', '/app/mid'],
      ['leaf', '/app/mid/leaf'],
    ]);
    expect((await list({ recursive: 'false' })).folders).toHaveLength(1);
    expect((await list({ path: '/nowhere' })).folders).toEqual([]);

    const byId = await kms.admin('GET', `/api/v1/folders/${nested.body.folder.id}`);
    expect(byId.folder).toMatchObject({
      name: 'leaf',
      path: '/app/mid/leaf',
      projectId: project.id,
      environment: { envSlug: 'dev', envName: 'Development' },
    });
    expect((await kms.call('GET', '/api/v1/folders/nope', { token: kms.adminToken })).status).toBe(404);

    // Secrets in a renamed folder stay readable (ciphertext is bound to the folder id, not its name).
    await kms.admin('POST', '/api/v3/secrets/raw/IN_MID', {
      workspaceId: project.id,
      environment: 'dev',
      secretPath: '/app/mid',
      secretValue: 'm',
    });
    const mid = (await list({ path: '/app' })).folders[0];
    const renamed = await kms.admin('PATCH', `/api/v1/folders/${mid.id}`, {
      workspaceId: project.id,
      environment: 'dev',
      name: 'middle',
      path: '/app',
    });
    expect(renamed.folder).toMatchObject({ name: 'middle', version: 2, path: '/app/middle' });
    const moved = await kms.admin(
      'GET',
      `/api/v3/secrets/raw/IN_MID${qs({ workspaceId: project.id, environment: 'dev', secretPath: '/app/middle' })}`,
    );
    expect(moved.secret.secretValue).toBe('m');
    const clash = await kms.call('PATCH', `/api/v1/folders/${app.body.folder.id}`, {
      token: kms.adminToken,
      body: { workspaceId: project.id, environment: 'dev', name: 'app', path: '/' },
    });
    expect(clash.status).toBe(200);
    // Upstream's words (backend/src/services/secret-folder/secret-folder-service.ts `updateFolder`).
    await create('other', '/');
    const taken = await kms.call('PATCH', `/api/v1/folders/${app.body.folder.id}`, {
      token: kms.adminToken,
      body: { workspaceId: project.id, environment: 'dev', name: 'other', path: '/' },
    });
    expect(taken.status).toBe(400);
    expect(taken.body).toMatchObject({
      error: 'UpdateFolder',
      message: 'Folder with specified name already exists',
    });
    const nowhere = await kms.call('PATCH', `/api/v1/folders/${app.body.folder.id}`, {
      token: kms.adminToken,
      body: { workspaceId: project.id, environment: 'dev', name: 'x', path: '/nope' },
    });
    expect(nowhere.body).toMatchObject({
      statusCode: 404,
      error: 'UpdateFolder',
      message: "Folder with path '/nope' in environment with slug 'dev' not found",
    });
    await kms.admin('DELETE', '/api/v1/folders/other', {
      workspaceId: project.id,
      environment: 'dev',
      path: '/',
    });

    // Delete by name with contents; then by id.
    const del = await kms.admin('DELETE', '/api/v1/folders/middle', {
      workspaceId: project.id,
      environment: 'dev',
      path: '/app',
    });
    expect(del.folder).toMatchObject({ name: 'middle' });
    const gone = await kms.call(
      'GET',
      `/api/v3/secrets/raw${qs({ workspaceId: project.id, environment: 'dev', secretPath: '/app/middle' })}`,
      { token: kms.adminToken },
    );
    expect(gone.body.error).toBe('SecretPathNotFound');
    await kms.admin('DELETE', `/api/v1/folders/${app.body.folder.id}`, {
      workspaceId: project.id,
      environment: 'dev',
      directory: '/',
    });
    expect((await list({})).folders).toEqual([]);
    const missing = await kms.call('DELETE', '/api/v1/folders/nothing', {
      token: kms.adminToken,
      body: { workspaceId: project.id, environment: 'dev', path: '/' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe("Folder with ID 'nothing' not found");

    const { auditLogs } = await kms.admin(
      'GET',
      `/api/v1/audit-logs${qs({ projectId: project.id, limit: 100 })}`,
    );
    const types = new Set(auditLogs.map((a: any) => a.event.type));
    for (const t of ['create-folder', 'update-folder', 'delete-folder']) expect(types).toContain(t);
  });

  it('enforces roles and project membership', async () => {
    const project = await kms.newProject();
    const viewer = await kms.identityToken(project, 'viewer');
    const listed = await kms.call(
      'GET',
      `/api/v1/folders${qs({ workspaceId: project.id, environment: 'dev' })}`,
      {
        token: viewer,
      },
    );
    expect(listed.status).toBe(200);
    const denied = await kms.call('POST', '/api/v1/folders', {
      token: viewer,
      body: { workspaceId: project.id, environment: 'dev', name: 'x' },
    });
    expect(denied.status).toBe(403);
    const outsider = await kms.identityToken(undefined);
    const { folder } = await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'dev',
      name: 'x',
    });
    expect((await kms.call('GET', `/api/v1/folders/${folder.id}`, { token: outsider })).status).toBe(403);
    const unknownEnv = await kms.call('POST', '/api/v1/folders', {
      token: kms.adminToken,
      body: { workspaceId: project.id, environment: 'qa', name: 'x' },
    });
    expect(unknownEnv.status).toBe(404);
  });
});
