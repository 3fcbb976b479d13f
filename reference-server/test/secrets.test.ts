import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qs, type SecretsFixture, startSecretsFixture, type TestProject } from './helpers/secrets-fixture.js';

let kms: SecretsFixture;
beforeAll(async () => {
  kms = await startSecretsFixture();
});
afterAll(() => kms.close());

const BASE_FIELDS = [
  '_id',
  'actor',
  'createdAt',
  'environment',
  'id',
  'secretComment',
  'secretKey',
  'secretReminderNote',
  'secretReminderRepeatDays',
  'secretValue',
  'skipMultilineEncoding',
  'type',
  'updatedAt',
  'version',
  'workspace',
];
const sorted = (o: object) => Object.keys(o).sort();

async function withAppFolder() {
  const project = await kms.newProject();
  await kms.admin('POST', '/api/v1/folders', {
    workspaceId: project.id,
    environment: 'dev',
    name: 'app',
    path: '/',
  });
  return project;
}

function list(project: TestProject, params: Record<string, string | undefined> = {}, token = kms.adminToken) {
  return kms.call(
    'GET',
    `/api/v3/secrets/raw${qs({ workspaceId: project.id, environment: 'dev', ...params })}`,
    { token },
  );
}

describe('provisioning over HTTP (docs/reference/api.md, steps 5, 6 and 12)', () => {
  it('creates /app, batch-creates three secrets and lets a viewer read them with values', async () => {
    const project = await kms.newProject();
    const folder = await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'dev',
      name: 'app',
      path: '/',
    });
    expect(folder.folder).toMatchObject({ name: 'app', path: '/app' });
    const batch = await kms.admin('POST', '/api/v3/secrets/batch/raw', {
      workspaceId: project.id,
      environment: 'dev',
      secretPath: '/app',
      secrets: [
        { secretKey: 'DB_HOST', secretValue: 'db.internal' },
        { secretKey: 'DB_USER', secretValue: 'app' },
        { secretKey: 'DB_PASS', secretValue: 'p4ss' },
      ],
    });
    expect(batch.secrets).toHaveLength(3);
    for (const s of batch.secrets) {
      expect(s.version).toBe(1);
      expect(sorted(s)).toEqual(BASE_FIELDS);
    }
    const reader = await kms.identityToken(project, 'viewer');
    const res = await list(project, { secretPath: '/app' }, reader);
    expect(res.status).toBe(200);
    expect(res.body.imports).toEqual([]);
    const byKey = Object.fromEntries(res.body.secrets.map((s: any) => [s.secretKey, s]));
    expect(byKey.DB_PASS).toMatchObject({
      secretValue: 'p4ss',
      secretPath: '/app',
      workspace: project.id,
      environment: 'dev',
      type: 'shared',
      secretComment: '',
      secretValueHidden: false,
      tags: [],
      secretMetadata: [],
    });
    expect(sorted(byKey.DB_PASS)).toEqual(
      [...BASE_FIELDS, 'secretPath', 'secretValueHidden', 'secretMetadata', 'tags'].sort(),
    );
  });
});

describe('single-secret CRUD', () => {
  it('creates, retrieves, updates, reads old versions and deletes', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    const created = await kms.admin('POST', '/api/v3/secrets/raw/API_KEY', {
      ...where,
      secretValue: '  v1 \n',
      secretComment: 'first',
    });
    expect(sorted(created.secret)).toEqual(BASE_FIELDS);
    expect(created.secret).toMatchObject({
      secretKey: 'API_KEY',
      secretValue: 'v1\n',
      secretComment: 'first',
      version: 1,
    });
    expect(created.secret.id).toBe(created.secret._id);

    const got = await kms.admin('GET', `/api/v3/secrets/raw/API_KEY${qs({ ...where })}`);
    expect(sorted(got.secret)).toEqual(
      [...BASE_FIELDS, 'secretPath', 'secretValueHidden', 'secretMetadata', 'tags'].sort(),
    );
    expect(got.secret).toMatchObject({ secretValue: 'v1\n', secretPath: '/app', secretValueHidden: false });

    const updated = await kms.admin('PATCH', '/api/v3/secrets/raw/API_KEY', { ...where, secretValue: 'v2' });
    expect(sorted(updated.secret)).toEqual([...BASE_FIELDS, 'secretValueHidden'].sort());
    expect(updated.secret).toMatchObject({ version: 2, secretValue: 'v2', secretComment: 'first' });
    const commentOnly = await kms.admin('PATCH', '/api/v3/secrets/raw/API_KEY', {
      ...where,
      secretComment: 'c',
    });
    expect(commentOnly.secret).toMatchObject({ version: 3, secretValue: '', secretComment: 'c' });

    const v1 = await kms.admin('GET', `/api/v3/secrets/raw/API_KEY${qs({ ...where, version: 1 })}`);
    expect(v1.secret).toMatchObject({ version: 1, secretValue: 'v1\n', secretComment: 'first' });
    const v3 = await kms.admin('GET', `/api/v3/secrets/raw/API_KEY${qs({ ...where })}`);
    expect(v3.secret).toMatchObject({ version: 3, secretValue: 'v2', secretComment: 'c' });
    const missingVersion = await kms.call(
      'GET',
      `/api/v3/secrets/raw/API_KEY${qs({ ...where, version: 9 })}`,
      {
        token: kms.adminToken,
      },
    );
    expect(missingVersion.status).toBe(404);

    const deleted = await kms.admin('DELETE', '/api/v3/secrets/raw/API_KEY', where);
    expect(deleted.secret).toMatchObject({
      secretKey: 'API_KEY',
      secretValue: 'v2',
      secretValueHidden: false,
    });
    const gone = await kms.call('GET', `/api/v3/secrets/raw/API_KEY${qs(where)}`, { token: kms.adminToken });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ statusCode: 404, message: "Secret with name 'API_KEY' not found" });
  });

  it('answers the contract errors for create, update and delete', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    const call = (method: string, name: string, body: object) =>
      kms.call(method, `/api/v3/secrets/raw/${name}`, { body, token: kms.adminToken });
    await kms.admin('POST', '/api/v3/secrets/raw/A', { ...where, secretValue: 'a' });
    await kms.admin('POST', '/api/v3/secrets/raw/B', { ...where, secretValue: 'b' });

    expect((await call('POST', 'A', { ...where, secretValue: 'x' })).body).toMatchObject({
      statusCode: 400,
      message: 'Secret already exists',
    });
    expect((await call('POST', 'C', { ...where, secretPath: '/nope', secretValue: 'x' })).body).toMatchObject(
      {
        statusCode: 404,
        error: 'CreateSecret',
      },
    );
    expect((await call('POST', 'C', { ...where, environment: 'qa', secretValue: 'x' })).status).toBe(404);
    expect((await call('PATCH', 'A', { ...where, newSecretName: '' })).body).toMatchObject({
      statusCode: 400,
      message: 'New secret name cannot be empty',
    });
    expect((await call('PATCH', 'A', { ...where, newSecretName: 'B' })).body).toMatchObject({
      statusCode: 400,
      message: 'Secret with the new name already exists',
    });
    expect((await call('PATCH', 'ZZ', { ...where, secretValue: 'x' })).body).toMatchObject({
      statusCode: 404,
      message: 'Secret with name ZZ not found',
    });
    expect((await call('DELETE', 'ZZ', where)).body).toMatchObject({
      statusCode: 404,
      message: 'Secret not found',
    });
    expect((await call('POST', 'A', { ...where, type: 'personal', secretValue: 'x' })).body).toMatchObject({
      statusCode: 400,
      message: 'Must be user to create personal secret',
    });
    expect((await call('PATCH', 'A', { ...where, type: 'personal', secretValue: 'x' })).body).toMatchObject({
      statusCode: 400,
      message: 'Must be user to update personal secret',
    });
    expect((await call('PATCH', 'A', { ...where, type: 'personal', newSecretName: 'Q' })).body).toMatchObject(
      {
        statusCode: 400,
        message: 'Personal secret cannot change the key name',
      },
    );
    expect((await call('DELETE', 'A', { ...where, type: 'personal' })).body).toMatchObject({
      statusCode: 400,
      message: 'Must be user to delete personal secret',
    });
    expect((await call('POST', 'T', { ...where, secretValue: 'x', tagIds: ['nope'] })).body).toMatchObject({
      statusCode: 404,
      message: 'Tag not found. Found ',
    });
  });

  it('rejects bad names, values, paths and flags with 4xx, never 500', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    const post = (name: string, body: object) =>
      kms.call('POST', `/api/v3/secrets/raw/${name}`, { body: { ...where, ...body }, token: kms.adminToken });
    const colon = await post('A:B', { secretValue: 'x' });
    expect(colon.status).toBe(422);
    expect(colon.body.error).toBe('ValidationFailure');
    expect(JSON.stringify(colon.body.message)).toContain(
      'Secret name cannot contain colon or forward slash.',
    );
    expect((await post('A%2FB', { secretValue: 'x' })).status).toBe(422);
    expect((await post('%20%20', { secretValue: 'x' })).status).toBe(422);
    expect((await post('K'.repeat(501), { secretValue: 'x' })).status).toBe(422);
    expect((await post('BIG', { secretValue: 'x'.repeat(64 * 1024 + 1) })).status).toBe(422);
    expect((await post('OK_BIG', { secretValue: 'x'.repeat(64 * 1024) })).status).toBe(200);
    for (const secretPath of ['/app/../etc', '/app//x', '/app/./x', '/a\u0000b', '..']) {
      const res = await post('P', { secretValue: 'x', secretPath });
      expect(res.status, secretPath).toBe(422);
    }
    const badPathList = await list(project, { secretPath: '/../..' });
    expect(badPathList.status).toBe(422);
    for (const flag of ['recursive', 'include_imports', 'expandSecretReferences', 'viewSecretValue']) {
      expect((await list(project, { [flag]: '1' })).status, flag).toBe(422);
      expect((await list(project, { [flag]: 'TRUE' })).status, flag).toBe(422);
    }
    const noEnv = await kms.call('GET', `/api/v3/secrets/raw${qs({ workspaceId: project.id })}`, {
      token: kms.adminToken,
    });
    expect(noEnv.body).toMatchObject({ statusCode: 400, message: 'Missing project id or environment' });
    const noProject = await kms.call(
      'GET',
      `/api/v3/secrets/raw${qs({ environment: 'dev', workspaceId: '' })}`,
      {
        token: kms.adminToken,
      },
    );
    expect(noProject.body).toMatchObject({
      statusCode: 400,
      message: 'You must provide projectSlug or workspaceId',
    });
    const missingFolder = await list(project, { secretPath: '/missing' });
    expect(missingFolder.body).toMatchObject({
      statusCode: 404,
      error: 'SecretPathNotFound',
      message:
        "Folder with path '/missing' in environment 'dev' was not found. Please ensure the environment slug and secret path is correct.",
    });
    const unknownEnv = await list(project, { environment: 'qa' });
    expect(unknownEnv.status).toBe(404);
    const getMissingFolder = await kms.call(
      'GET',
      `/api/v3/secrets/raw/X${qs({ ...where, secretPath: '/nope' })}`,
      {
        token: kms.adminToken,
      },
    );
    expect(getMissingFolder.body).toMatchObject({ statusCode: 404, error: 'GetSecretByName' });
  });

  it('resolves the project by workspaceSlug and masks values with viewSecretValue=false', async () => {
    const project = await withAppFolder();
    await kms.admin('POST', '/api/v3/secrets/raw/K', {
      workspaceId: project.id,
      environment: 'dev',
      secretValue: 'v',
    });
    const res = await kms.call(
      'GET',
      `/api/v3/secrets/raw${qs({ workspaceSlug: project.slug, workspaceId: '', environment: 'dev', viewSecretValue: 'false' })}`,
      { token: kms.adminToken },
    );
    expect(res.status).toBe(200);
    expect(res.body.secrets[0]).toMatchObject({
      secretKey: 'K',
      secretValue: '<hidden-by-kms>',
      secretValueHidden: true,
    });
    const one = await kms.admin(
      'GET',
      `/api/v3/secrets/raw/K${qs({ workspaceSlug: project.slug, environment: 'dev', viewSecretValue: 'false' })}`,
    );
    expect(one.secret).toMatchObject({ secretValue: '<hidden-by-kms>', secretValueHidden: true });
  });

  it('lists recursively with each secret path and keeps metadata and comments', async () => {
    const project = await withAppFolder();
    await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'dev',
      name: 'db',
      path: '/app',
    });
    const at = (secretPath: string) => ({ workspaceId: project.id, environment: 'dev', secretPath });
    await kms.admin('POST', '/api/v3/secrets/raw/ROOT', { ...at('/'), secretValue: 'r' });
    await kms.admin('POST', '/api/v3/secrets/raw/APP', {
      ...at('/app'),
      secretValue: 'a',
      secretMetadata: [{ key: 'owner', value: 'team-a' }],
    });
    await kms.admin('POST', '/api/v3/secrets/raw/DB', { ...at('/app/db'), secretValue: 'd' });
    const flat = await list(project, {});
    expect(flat.body.secrets.map((s: any) => s.secretKey)).toEqual(['ROOT']);
    const deep = await list(project, { recursive: 'true' });
    expect(deep.body.secrets.map((s: any) => [s.secretKey, s.secretPath])).toEqual([
      ['ROOT', '/'],
      ['APP', '/app'],
      ['DB', '/app/db'],
    ]);
    const fromApp = await list(project, { secretPath: '/app/', recursive: 'true' });
    expect(fromApp.body.secrets.map((s: any) => s.secretKey)).toEqual(['APP', 'DB']);
    const app = fromApp.body.secrets[0];
    expect(app.secretMetadata).toEqual([{ key: 'owner', value: 'team-a', isEncrypted: false }]);
    const filtered = await list(project, { recursive: 'true', metadataFilter: 'key=owner,value=team-a' });
    expect(filtered.body.secrets.map((s: any) => s.secretKey)).toEqual(['APP']);
    expect((await list(project, { metadataFilter: 'key=owner' })).status).toBe(422);
  });
});

describe('batch', () => {
  it('batch create refuses existing keys and writes nothing; duplicate input keys: last wins', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    await kms.admin('POST', '/api/v3/secrets/raw/TAKEN', { ...where, secretValue: 't' });
    const refused = await kms.call('POST', '/api/v3/secrets/batch/raw', {
      token: kms.adminToken,
      body: {
        ...where,
        secrets: [
          { secretKey: 'NEW1', secretValue: '1' },
          { secretKey: 'TAKEN', secretValue: '2' },
        ],
      },
    });
    expect(refused.body).toMatchObject({ statusCode: 400, message: 'Secret already exists: TAKEN' });
    expect((await list(project, { secretPath: '/app' })).body.secrets.map((s: any) => s.secretKey)).toEqual([
      'TAKEN',
    ]);

    const invalid = await kms.call('POST', '/api/v3/secrets/batch/raw', {
      token: kms.adminToken,
      body: {
        ...where,
        secrets: [
          { secretKey: 'OK', secretValue: '1' },
          { secretKey: 'BAD:KEY', secretValue: '2' },
        ],
      },
    });
    expect(invalid.status).toBe(422);
    const dupes = await kms.admin('POST', '/api/v3/secrets/batch/raw', {
      ...where,
      secrets: [
        { secretKey: 'D', secretValue: 'first' },
        { secretKey: 'D', secretValue: 'second' },
      ],
    });
    expect(dupes.secrets).toHaveLength(1);
    expect(dupes.secrets[0]).toMatchObject({ secretKey: 'D', secretValue: 'second' });
  });

  it('batch update: failOnNotFound writes nothing, upsert creates, ignore skips', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    await kms.admin('POST', '/api/v3/secrets/batch/raw', {
      ...where,
      secrets: [
        { secretKey: 'A', secretValue: 'a1' },
        { secretKey: 'B', secretValue: 'b1' },
      ],
    });
    const patch = (body: object) =>
      kms.call('PATCH', '/api/v3/secrets/batch/raw', { token: kms.adminToken, body });
    const failed = await patch({
      ...where,
      secrets: [
        { secretKey: 'A', secretValue: 'a2' },
        { secretKey: 'MISSING', secretValue: 'm' },
      ],
    });
    expect(failed.body).toMatchObject({
      statusCode: 404,
      message: 'Secret does not exist: MISSING in path /app',
    });
    const afterFail = await kms.admin('GET', `/api/v3/secrets/raw/A${qs(where)}`);
    expect(afterFail.secret).toMatchObject({ secretValue: 'a1', version: 1 });

    const ignored = await patch({
      ...where,
      mode: 'ignore',
      secrets: [
        { secretKey: 'A', secretValue: 'a2' },
        { secretKey: 'MISSING', secretValue: 'm' },
      ],
    });
    expect(ignored.body.secrets.map((s: any) => [s.secretKey, s.version])).toEqual([['A', 2]]);

    const upserted = await patch({
      ...where,
      mode: 'upsert',
      secrets: [
        { secretKey: 'B', secretValue: 'b2' },
        { secretKey: 'C', secretValue: 'c1' },
      ],
    });
    expect(upserted.status).toBe(200);
    expect(upserted.body.secrets.map((s: any) => [s.secretKey, s.version, s.secretValueHidden])).toEqual([
      ['B', 2, false],
      ['C', 1, false],
    ]);
    const audit = await kms.admin('GET', `/api/v1/audit-logs${qs({ projectId: project.id, limit: 100 })}`);
    const types = audit.auditLogs.map((a: any) => a.event.type);
    expect(types).toContain('update-secrets');
    expect(types).toContain('create-secrets');
  });

  it('batch delete is all-or-nothing and returns the deleted values', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    await kms.admin('POST', '/api/v3/secrets/batch/raw', {
      ...where,
      secrets: [
        { secretKey: 'A', secretValue: 'a' },
        { secretKey: 'B', secretValue: 'b' },
      ],
    });
    const failed = await kms.call('DELETE', '/api/v3/secrets/batch/raw', {
      token: kms.adminToken,
      body: { ...where, secrets: [{ secretKey: 'A' }, { secretKey: 'NOPE' }] },
    });
    expect(failed.status).toBe(404);
    expect((await list(project, { secretPath: '/app' })).body.secrets).toHaveLength(2);
    const ok = await kms.admin('DELETE', '/api/v3/secrets/batch/raw', {
      ...where,
      secrets: [{ secretKey: 'A' }, { secretKey: 'B' }],
    });
    expect(ok.secrets.map((s: any) => [s.secretKey, s.secretValue])).toEqual([
      ['A', 'a'],
      ['B', 'b'],
    ]);
    expect((await list(project, { secretPath: '/app' })).body.secrets).toEqual([]);
  });
});

describe('access control', () => {
  it('viewer reads values but cannot write; no-access and non-members get 403', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    await kms.admin('POST', '/api/v3/secrets/raw/K', { ...where, secretValue: 'v' });
    const viewer = await kms.identityToken(project, 'viewer');
    expect(
      (await kms.call('GET', `/api/v3/secrets/raw/K${qs(where)}`, { token: viewer })).body.secret.secretValue,
    ).toBe('v');
    for (const [method, path, body] of [
      ['POST', '/api/v3/secrets/raw/NEW', { ...where, secretValue: 'x' }],
      ['PATCH', '/api/v3/secrets/raw/K', { ...where, secretValue: 'x' }],
      ['DELETE', '/api/v3/secrets/raw/K', where],
      ['POST', '/api/v3/secrets/batch/raw', { ...where, secrets: [{ secretKey: 'N', secretValue: 'x' }] }],
      ['POST', '/api/v1/folders', { workspaceId: project.id, environment: 'dev', name: 'x', path: '/' }],
    ] as const) {
      const res = await kms.call(method, path, { body, token: viewer });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error).toBe('PermissionDenied');
    }
    const member = await kms.identityToken(project, 'member');
    expect(
      (
        await kms.call('PATCH', '/api/v3/secrets/raw/K', {
          body: { ...where, secretValue: 'm' },
          token: member,
        })
      ).status,
    ).toBe(200);

    const noAccess = await kms.identityToken(project, 'no-access');
    const denied = await list(project, { secretPath: '/app' }, noAccess);
    expect(denied.status).toBe(403);
    const deniedOne = await kms.call('GET', `/api/v3/secrets/raw/K${qs(where)}`, { token: noAccess });
    expect(deniedOne.status).toBe(403);

    const outsider = await kms.identityToken(undefined);
    const notMember = await list(project, { secretPath: '/app' }, outsider);
    expect(notMember.status).toBe(403);
    expect(notMember.body.message).toBe(
      `Identity is not a member of the specified project with ID '${project.id}'`,
    );
    expect(
      (await kms.call('GET', `/api/v3/secrets/raw${qs({ workspaceId: project.id, environment: 'dev' })}`))
        .status,
    ).toBe(401);
  });
});

describe('ETag', () => {
  it('answers 304 to a matching If-None-Match until something in the project changes', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    await kms.admin('POST', '/api/v3/secrets/raw/K', { ...where, secretValue: 'v' });
    const first = await list(project, { secretPath: '/app' });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await kms.call('GET', `/api/v3/secrets/raw${qs(where)}`, {
      token: kms.adminToken,
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get('etag')).toBe(etag);
    const otherQuery = await kms.call(
      'GET',
      `/api/v3/secrets/raw${qs({ ...where, viewSecretValue: 'false' })}`,
      {
        token: kms.adminToken,
        headers: { 'if-none-match': etag! },
      },
    );
    expect(otherQuery.status).toBe(200);
    const viewer = await kms.identityToken(project, 'viewer');
    const otherCaller = await kms.call('GET', `/api/v3/secrets/raw${qs(where)}`, {
      token: viewer,
      headers: { 'if-none-match': etag! },
    });
    expect(otherCaller.status).toBe(200);

    // A write anywhere in the project (here: a tag) changes the ETag.
    await kms.admin('POST', `/api/v1/projects/${project.id}/tags`, { slug: 'x', color: '#fff' });
    const afterWrite = await kms.call('GET', `/api/v3/secrets/raw${qs(where)}`, {
      token: kms.adminToken,
      headers: { 'if-none-match': etag! },
    });
    expect(afterWrite.status).toBe(200);
    expect(afterWrite.headers.get('etag')).not.toBe(etag);
  });

  it('answers 304 without decrypting anything', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    await kms.admin('POST', '/api/v3/secrets/raw/K', { ...where, secretValue: 'v' });
    const etag = (await list(project, { secretPath: '/app' })).headers.get('etag')!;
    // Corrupt the stored ciphertext: a 200 would have to decrypt (and fail); a 304 must not.
    await kms.sql("UPDATE secrets SET value_ciphertext = 'AAAA' WHERE key = 'K'");
    const cached = await kms.call('GET', `/api/v3/secrets/raw${qs(where)}`, {
      token: kms.adminToken,
      headers: { 'if-none-match': `W/${etag}` },
    });
    expect(cached.status).toBe(304);
  });
});

describe('audit', () => {
  it('records reads and writes with keys and versions, never values', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    const value = 'sup3r-s3cret-value-for-audit';
    await kms.admin('POST', '/api/v3/secrets/raw/AUDITED', { ...where, secretValue: value });
    await kms.admin('PATCH', '/api/v3/secrets/raw/AUDITED', { ...where, secretValue: `${value}-2` });
    await kms.admin('GET', `/api/v3/secrets/raw/AUDITED${qs(where)}`);
    await list(project, { secretPath: '/app' });
    await kms.admin('DELETE', '/api/v3/secrets/raw/AUDITED', where);
    const { auditLogs } = await kms.admin(
      'GET',
      `/api/v1/audit-logs${qs({ projectId: project.id, limit: 100 })}`,
    );
    const byType = Object.fromEntries(auditLogs.map((a: any) => [a.event.type, a]));
    expect(byType['get-secrets'].event.metadata).toEqual({
      environment: 'dev',
      secretPath: '/app',
      numberOfSecrets: 1,
    });
    expect(byType['get-secret'].event.metadata).toMatchObject({
      environment: 'dev',
      secretPath: '/app',
      secretKey: 'AUDITED',
      secretVersion: 2,
    });
    expect(byType['create-secret'].event.metadata).toMatchObject({ secretKey: 'AUDITED', secretVersion: 1 });
    expect(byType['update-secret'].event.metadata).toMatchObject({ secretKey: 'AUDITED', secretVersion: 2 });
    expect(byType['delete-secret'].event.metadata).toMatchObject({ secretKey: 'AUDITED' });
    expect(byType['create-folder'].event.metadata).toMatchObject({ folderName: 'app', folderPath: '/app' });
    expect(JSON.stringify(auditLogs)).not.toContain(value);
  });
});

describe('values are trimmed on write, as upstream (docs/reference/secret-values.md)', () => {
  it('drops leading and trailing whitespace (String.prototype.trim) and keeps one trailing newline', async () => {
    const project = await kms.newProject();
    const written: Record<string, string> = {
      SPACES: '  a b  ',
      TABS_AND_NBSP: '\u00a0\tv\t\u00a0',
      UNICODE_SPACE: '\u2003v\u3000',
      BOM: '\ufeffv',
      ONE_NEWLINE: 'line\n',
      MANY_NEWLINES: 'line\n\n\n',
      CRLF: '  line\r\n',
      INNER: 'a\n  b',
      ONLY_NEWLINE: '\n',
      ZERO_WIDTH: '\u200bv',
    };
    await kms.seed(project, 'dev', '/', written);
    const read = await kms.admin(
      'GET',
      `/api/v3/secrets/raw${qs({ workspaceId: project.id, environment: 'dev' })}`,
    );
    const values = Object.fromEntries(read.secrets.map((s: any) => [s.secretKey, s.secretValue]));
    expect(values).toEqual({
      SPACES: 'a b',
      TABS_AND_NBSP: 'v',
      UNICODE_SPACE: 'v',
      BOM: 'v',
      ONE_NEWLINE: 'line\n',
      MANY_NEWLINES: 'line\n',
      CRLF: 'line\n',
      INNER: 'a\n  b',
      ONLY_NEWLINE: '\n',
      ZERO_WIDTH: '\u200bv',
    });
  });
});

describe('store and helpers (unit)', () => {
  it('normalises paths and values as upstream, refusing traversal', async () => {
    const { normalizeSecretPath } = await import('../src/domains/secrets/paths.js');
    const { normalizeSecretValue } = await import('../src/domains/secrets/schemas.js');
    expect(normalizeSecretPath('app/db/')).toBe('/app/db');
    expect(normalizeSecretPath('/')).toBe('/');
    expect(normalizeSecretPath('')).toBe('/');
    for (const bad of ['/a/../b', '/a//b', '/./a', '/a\nb', '/a\\b'])
      expect(normalizeSecretPath(bad)).toBeUndefined();
    expect(normalizeSecretValue('  x  ')).toBe('x');
    expect(normalizeSecretValue('  x \n')).toBe('x\n');
    expect(normalizeSecretValue('x\n\n')).toBe('x\n');
  });

  it('refuses a write from a stale version and leaves the whole change set unapplied', async () => {
    const project = await withAppFolder();
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/app' };
    await kms.admin('POST', '/api/v3/secrets/batch/raw', {
      ...where,
      secrets: [
        { secretKey: 'A', secretValue: 'a' },
        { secretKey: 'B', secretValue: 'b' },
      ],
    });
    const { StoreConflictError } = await import('../src/store/contract.js');
    const { folders } = await kms.admin(
      'GET',
      `/api/v1/folders${qs({ workspaceId: project.id, environment: 'dev' })}`,
    );
    const rows = await kms.store.secrets.listSecrets([folders[0].id]);
    const [a, b] = rows;
    const write = kms.store.secrets.writeSecrets({
      inserts: [],
      updates: [
        { secret: { ...a!, version: 2 }, previousVersion: 1 },
        { secret: { ...b!, version: 2 }, previousVersion: 7 },
      ],
      deletes: [],
    });
    await expect(write).rejects.toBeInstanceOf(StoreConflictError);
    const after = await kms.store.secrets.listSecrets([a!.folderId]);
    expect(after.map((s) => s.version)).toEqual([1, 1]);
  });
});
