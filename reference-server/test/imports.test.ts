import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qs, type SecretsFixture, startSecretsFixture, type TestProject } from './helpers/secrets-fixture.js';

let kms: SecretsFixture;
beforeAll(async () => {
  kms = await startSecretsFixture();
});
afterAll(() => kms.close());

const addImport = (
  project: TestProject,
  environment: string,
  path: string,
  from: { environment: string; path: string },
) =>
  kms.call('POST', '/api/v1/secret-imports', {
    token: kms.adminToken,
    body: { workspaceId: project.id, environment, path, import: from },
  });

describe('secret imports CRUD', () => {
  it('creates, lists, reads, moves and deletes imports (v1 and v2 trees)', async () => {
    const project = await kms.newProject();
    const first = await addImport(project, 'staging', '/', { environment: 'dev', path: '/' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      message: 'Successfully created secret import',
      secretImport: {
        importPath: '/',
        importEnv: { slug: 'dev', name: 'Development' },
        position: 1,
        isReplication: false,
      },
    });
    const second = await kms.admin('POST', '/api/v2/secret-imports', {
      projectId: project.id,
      environment: 'staging',
      path: '/',
      import: { environment: 'prod', path: '/' },
    });
    expect(second.secretImport.position).toBe(2);

    const listed = await kms.admin(
      'GET',
      `/api/v1/secret-imports${qs({ workspaceId: project.id, environment: 'staging' })}`,
    );
    expect(listed.message).toBe('Successfully fetched secret imports');
    expect(listed.secretImports.map((i: any) => i.importEnv.slug)).toEqual(['dev', 'prod']);
    const v2list = await kms.admin(
      'GET',
      `/api/v2/secret-imports${qs({ projectId: project.id, environment: 'staging' })}`,
    );
    expect(v2list.secretImports).toHaveLength(2);
    const v2WithV1Key = await kms.call(
      'GET',
      `/api/v2/secret-imports${qs({ workspaceId: project.id, environment: 'staging' })}`,
      {
        token: kms.adminToken,
      },
    );
    expect(v2WithV1Key.status).toBe(422);

    const one = await kms.admin('GET', `/api/v1/secret-imports/${second.secretImport.id}`);
    expect(one.secretImport).toMatchObject({
      id: second.secretImport.id,
      environment: { slug: 'staging' },
      projectId: project.id,
      secretPath: '/',
    });

    const moved = await kms.admin('PATCH', `/api/v1/secret-imports/${second.secretImport.id}`, {
      workspaceId: project.id,
      environment: 'staging',
      path: '/',
      import: { position: 1 },
    });
    expect(moved).toMatchObject({
      message: 'Successfully updated secret import',
      secretImport: { position: 1 },
    });
    const reordered = await kms.admin(
      'GET',
      `/api/v1/secret-imports${qs({ workspaceId: project.id, environment: 'staging' })}`,
    );
    expect(reordered.secretImports.map((i: any) => [i.importEnv.slug, i.position])).toEqual([
      ['prod', 1],
      ['dev', 2],
    ]);

    const deleted = await kms.admin('DELETE', `/api/v1/secret-imports/${second.secretImport.id}`, {
      workspaceId: project.id,
      environment: 'staging',
      path: '/',
    });
    expect(deleted.message).toBe('Successfully deleted secret import');
    const after = await kms.admin(
      'GET',
      `/api/v1/secret-imports${qs({ workspaceId: project.id, environment: 'staging' })}`,
    );
    expect(after.secretImports.map((i: any) => [i.importEnv.slug, i.position])).toEqual([['dev', 1]]);
  });

  it('answers the contract errors', async () => {
    const project = await kms.newProject();
    expect((await addImport(project, 'dev', '/', { environment: 'dev', path: '/' })).body).toMatchObject({
      statusCode: 400,
      message: 'Cyclic import not allowed',
    });
    await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'prod',
      name: 'b',
      path: '/',
    });
    expect((await addImport(project, 'dev', '/', { environment: 'prod', path: '/b' })).status).toBe(200);
    expect((await addImport(project, 'prod', '/b', { environment: 'dev', path: '/' })).body).toMatchObject({
      statusCode: 400,
      message: 'Cyclic import not allowed',
    });
    // Longer cycle: staging -> dev -> prod/b; prod/b -> staging closes it.
    expect((await addImport(project, 'staging', '/', { environment: 'dev', path: '/' })).status).toBe(200);
    expect((await addImport(project, 'prod', '/b', { environment: 'staging', path: '/' })).body.message).toBe(
      'Cyclic import not allowed',
    );
    expect(
      (await addImport(project, 'dev', '/missing', { environment: 'prod', path: '/' })).body,
    ).toMatchObject({
      statusCode: 404,
      message: "Folder with path '/missing' in environment with slug 'dev' not found",
    });
    expect((await addImport(project, 'dev', '/', { environment: 'qa', path: '/' })).body).toMatchObject({
      statusCode: 404,
      message: 'The requested entity is not found',
    });
    const replication = await kms.call('POST', '/api/v1/secret-imports', {
      token: kms.adminToken,
      body: {
        workspaceId: project.id,
        environment: 'staging',
        path: '/',
        import: { environment: 'prod', path: '/' },
        isReplication: true,
      },
    });
    expect(replication.status).toBe(400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(
      (await kms.call('GET', `/api/v1/secret-imports/${unknown}`, { token: kms.adminToken })).body,
    ).toMatchObject({
      statusCode: 404,
      message: `Secret import with ID '${unknown}' not found`,
    });
    const where = { workspaceId: project.id, environment: 'dev', path: '/' };
    expect(
      (
        await kms.call('PATCH', `/api/v1/secret-imports/${unknown}`, {
          token: kms.adminToken,
          body: { ...where, import: {} },
        })
      ).body,
    ).toMatchObject({ statusCode: 400, message: 'Secret import not found' });
    // Upstream (secret-import-service.ts, deleteImport) names the import's id, calling it the folder ID.
    expect(
      (await kms.call('DELETE', `/api/v1/secret-imports/${unknown}`, { token: kms.adminToken, body: where }))
        .body,
    ).toMatchObject({ statusCode: 404, message: `Secret import with folder ID '${unknown}' not found` });
    const viewer = await kms.identityToken(project, 'viewer');
    const denied = await kms.call('POST', '/api/v1/secret-imports', {
      token: viewer,
      body: { ...where, environment: 'staging', import: { environment: 'prod', path: '/' } },
    });
    expect(denied.status).toBe(403);
    const outsider = await kms.identityToken(undefined);
    const list = await kms.call(
      'GET',
      `/api/v1/secret-imports${qs({ workspaceId: project.id, environment: 'dev' })}`,
      {
        token: outsider,
      },
    );
    expect(list.status).toBe(403);
  });
});

describe('imports in secret reads', () => {
  it('list returns imports separately, never merged, nested imports appended, workspace ""', async () => {
    const project = await kms.newProject();
    await kms.seed(project, 'dev', '/', { SHARED: 'from-dev', DEV_ONLY: 'd' });
    await kms.seed(project, 'prod', '/', { SHARED: 'from-prod', PROD_ONLY: 'p' });
    await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'prod',
      name: 'deep',
      path: '/',
    });
    await kms.seed(project, 'prod', '/deep', { DEEP: 'deep' });
    await kms.seed(project, 'staging', '/', { SHARED: 'local' });
    await addImport(project, 'prod', '/', { environment: 'prod', path: '/deep' });
    await addImport(project, 'staging', '/', { environment: 'dev', path: '/' });
    await addImport(project, 'staging', '/', { environment: 'prod', path: '/' });

    const base = { workspaceId: project.id, environment: 'staging' };
    const res = await kms.admin('GET', `/api/v3/secrets/raw${qs({ ...base, include_imports: 'true' })}`);
    expect(res.secrets.map((s: any) => [s.secretKey, s.secretValue])).toEqual([['SHARED', 'local']]);
    expect(res.imports.map((i: any) => [i.environment, i.secretPath])).toEqual([
      ['dev', '/'],
      ['prod', '/'],
    ]);
    expect(res.imports[1].secrets.map((s: any) => [s.secretKey, s.environment])).toEqual([
      ['SHARED', 'prod'],
      ['PROD_ONLY', 'prod'],
      ['DEEP', 'prod'],
    ]);
    const imported = res.imports[0].secrets[0];
    expect(imported.workspace).toBe('');
    expect(imported.createdAt).toBeUndefined();
    expect(imported.secretValueHidden).toBe(false);
    expect(res.imports[0].folderId).toEqual(expect.any(String));

    const without = await kms.admin('GET', `/api/v3/secrets/raw${qs(base)}`);
    expect(without.imports).toEqual([]);

    // Single GET: local wins; otherwise the last import first.
    const local = await kms.admin(
      'GET',
      `/api/v3/secrets/raw/SHARED${qs({ ...base, include_imports: 'true' })}`,
    );
    expect(local.secret).toMatchObject({ secretValue: 'local', environment: 'staging' });
    await kms.admin('DELETE', '/api/v3/secrets/raw/SHARED', base);
    const fromLast = await kms.admin(
      'GET',
      `/api/v3/secrets/raw/SHARED${qs({ ...base, include_imports: 'true' })}`,
    );
    expect(fromLast.secret).toMatchObject({ secretValue: 'from-prod', environment: 'prod', secretPath: '/' });
    const deep = await kms.admin(
      'GET',
      `/api/v3/secrets/raw/DEEP${qs({ ...base, include_imports: 'true' })}`,
    );
    expect(deep.secret).toMatchObject({ secretValue: 'deep', secretPath: '/deep' });
    const notImported = await kms.call('GET', `/api/v3/secrets/raw/DEV_ONLY${qs(base)}`, {
      token: kms.adminToken,
    });
    expect(notImported.status).toBe(404);
    const importedV1 = await kms.admin(
      'GET',
      `/api/v1/secret-imports/secrets/raw${qs({ ...base, path: '/' })}`,
    );
    expect(
      importedV1.secrets.map((b: any) => [b.environment, b.environmentInfo.slug, b.secrets.length]),
    ).toEqual([
      ['dev', 'dev', 2],
      ['prod', 'prod', 3],
    ]);
    const importedV2 = await kms.admin(
      'GET',
      `/api/v2/secret-imports/secrets${qs({ projectId: project.id, environment: 'staging' })}`,
    );
    expect(importedV2.secrets[0].secrets.find((s: any) => s.secretKey === 'DEV_ONLY').secretValue).toBe('d');
  });

  it('import cycles created through folder moves stay finite', async () => {
    const project = await kms.newProject();
    await kms.seed(project, 'dev', '/', { D: 'd' });
    await kms.seed(project, 'prod', '/', { P: 'p' });
    await addImport(project, 'dev', '/', { environment: 'prod', path: '/x' }); // not there yet
    await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'prod',
      name: 'x',
      path: '/',
    });
    await addImport(project, 'prod', '/x', { environment: 'dev', path: '/' });
    const res = await kms.admin(
      'GET',
      `/api/v3/secrets/raw${qs({ workspaceId: project.id, environment: 'dev', include_imports: 'true' })}`,
    );
    expect(res.imports).toHaveLength(1);
    expect(res.imports[0].secrets).toEqual([]);
  });
});
