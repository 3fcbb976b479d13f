import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qs, type SecretsFixture, startSecretsFixture, type TestProject } from './helpers/secrets-fixture.js';

let kms: SecretsFixture;
beforeAll(async () => {
  kms = await startSecretsFixture();
});
afterAll(() => kms.close());

const where = (project: TestProject) => ({ workspaceId: project.id, environment: 'dev', secretPath: '/' });

/** A project with DB_PASS written `values.length` times (v1 = values[0], …); returns its id. */
async function secretWithHistory(project: TestProject, values: string[]) {
  const [first, ...rest] = values;
  const created = await kms.admin('POST', '/api/v3/secrets/raw/DB_PASS', {
    ...where(project),
    secretValue: first,
  });
  for (const value of rest) {
    await kms.admin('PATCH', '/api/v3/secrets/raw/DB_PASS', { ...where(project), secretValue: value });
  }
  return created.secret.id as string;
}

const versionsOf = (secretId: string, token = kms.adminToken, query: Record<string, string> = {}) =>
  kms.call('GET', `/api/v1/secret/${secretId}/secret-versions${qs({ offset: '0', limit: '20', ...query })}`, {
    token,
  });

const rollback = (secretId: string, version: unknown, token = kms.adminToken) =>
  kms.call('POST', `/api/v1/secret/${secretId}/secret-versions/rollback`, { token, body: { version } });

const current = async (project: TestProject) =>
  (await kms.admin('GET', `/api/v3/secrets/raw/DB_PASS${qs(where(project))}`)).secret;

describe('GET /api/v1/secret/:secretId/secret-versions', () => {
  it('lists the versions newest first in the secret shape, with values, and pages', async () => {
    const project = await kms.newProject();
    const id = await secretWithHistory(project, ['one', 'two', 'three']);
    const res = await versionsOf(id);
    expect(res.status).toBe(200);
    expect(res.body.secretVersions.map((v: any) => [v.version, v.secretValue])).toEqual([
      [3, 'three'],
      [2, 'two'],
      [1, 'one'],
    ]);
    expect(res.body.secretVersions[0]).toMatchObject({
      id,
      secretKey: 'DB_PASS',
      workspace: project.id,
      environment: 'dev',
      secretPath: '/',
      secretValueHidden: false,
      type: 'shared',
    });
    const page = await versionsOf(id, kms.adminToken, { offset: '1', limit: '1' });
    expect(page.body.secretVersions.map((v: any) => v.version)).toEqual([2]);
  });

  it('gives a viewer the versions, values included (a viewer reads values); no-access is refused', async () => {
    const project = await kms.newProject();
    const id = await secretWithHistory(project, ['a', 'b']);
    const viewer = await kms.identityToken(project, 'viewer');
    const res = await versionsOf(id, viewer);
    expect(res.status).toBe(200);
    expect(res.body.secretVersions.map((v: any) => v.secretValue)).toEqual(['b', 'a']);
    const none = await kms.identityToken(project, 'no-access');
    expect((await versionsOf(id, none)).status).toBe(403);
  });

  it('refuses a caller of another project (403) and answers 404 for an unknown id, 422 for bad input', async () => {
    const project = await kms.newProject();
    const id = await secretWithHistory(project, ['x']);
    const elsewhere = await kms.identityToken(await kms.newProject(), 'admin');
    const cross = await versionsOf(id, elsewhere);
    expect(cross.status).toBe(403);
    expect(JSON.stringify(cross.body)).not.toContain('"x"');
    const unknown = await versionsOf(randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, error: 'NotFound' });
    expect((await versionsOf('not-a-uuid')).status).toBe(422);
    expect((await versionsOf(id, kms.adminToken, { limit: '0' })).status).toBe(422);
    expect((await versionsOf(id, kms.adminToken, { limit: '101' })).status).toBe(422);
    expect((await versionsOf(id, kms.adminToken, { offset: '-1' })).status).toBe(422);
  });
});

describe('POST /api/v1/secret/:secretId/secret-versions/rollback', () => {
  it('writes the chosen version as a new version; a rollback can itself be rolled back', async () => {
    const project = await kms.newProject();
    const id = await secretWithHistory(project, ['v1-value', 'v2-value', 'v3-value']);
    const res = await rollback(id, 1);
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatchObject({ id, version: 4, secretKey: 'DB_PASS', secretValue: 'v1-value' });
    expect(await current(project)).toMatchObject({ version: 4, secretValue: 'v1-value' });
    // History is append-only: v3 is still there, and rolling back to it gives v5.
    const undo = await rollback(id, 3);
    expect(undo.body.secret).toMatchObject({ version: 5, secretValue: 'v3-value' });
    const history = await versionsOf(id);
    expect(history.body.secretVersions.map((v: any) => v.secretValue)).toEqual([
      'v3-value',
      'v1-value',
      'v3-value',
      'v2-value',
      'v1-value',
    ]);
  });

  it('is audited as update-secret naming the version, never the value', async () => {
    const project = await kms.newProject();
    const id = await secretWithHistory(project, ['audited-old', 'audited-new']);
    await rollback(id, 1);
    const { auditLogs } = await kms.admin(
      'GET',
      `/api/v1/audit-logs${qs({ projectId: project.id, eventType: 'update-secret' })}`,
    );
    const entry = auditLogs.find((l: any) => l.event.metadata.rolledBackToVersion === 1);
    expect(entry.event.metadata).toMatchObject({ secretId: id, secretKey: 'DB_PASS', secretVersion: 3 });
    expect(JSON.stringify(auditLogs)).not.toContain('audited-old');
  });

  it('lets members roll back, refuses viewers (403) and callers of another project (403)', async () => {
    const project = await kms.newProject();
    const id = await secretWithHistory(project, ['m1', 'm2']);
    const member = await kms.identityToken(project, 'member');
    expect((await rollback(id, 1, member)).status).toBe(200);
    const viewer = await kms.identityToken(project, 'viewer');
    const refused = await rollback(id, 1, viewer);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('PermissionDenied');
    const elsewhere = await kms.identityToken(await kms.newProject(), 'admin');
    expect((await rollback(id, 1, elsewhere)).status).toBe(403);
    expect((await current(project)).version).toBe(3);
  });

  it('answers 404 for a version that does not exist and 422 for a bad version', async () => {
    const project = await kms.newProject();
    const id = await secretWithHistory(project, ['only']);
    const missing = await rollback(id, 7);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('Version 7');
    for (const bad of [0, -1, 1.5, '1', null]) expect((await rollback(id, bad)).status).toBe(422);
  });
});

describe('version retention (pitVersionLimit)', () => {
  it('keeps the newest pitVersionLimit versions of each secret; older ones are gone for reads and rollbacks', async () => {
    const project = await kms.newProject();
    const updated = await kms.admin('PATCH', `/api/v1/projects/${project.id}`, { pitVersionLimit: 2 });
    expect(updated.project.pitVersionLimit).toBe(2);
    const id = await secretWithHistory(project, ['r1', 'r2', 'r3', 'r4']);
    const res = await versionsOf(id);
    expect(res.body.secretVersions.map((v: any) => v.version)).toEqual([4, 3]);
    expect((await rollback(id, 2)).status).toBe(404);
    const old = await kms.call(
      'GET',
      `/api/v3/secrets/raw/DB_PASS${qs({ ...where(project), version: '1' })}`,
      {
        token: kms.adminToken,
      },
    );
    expect(old.status).toBe(404);
    expect((await rollback(id, 3)).body.secret).toMatchObject({ version: 5, secretValue: 'r3' });
  });

  it('defaults to 10 and refuses limits outside 1–100 (422)', async () => {
    const project = await kms.newProject();
    const got = await kms.admin('GET', `/api/v1/projects/${project.id}`);
    expect(got.project.pitVersionLimit).toBe(10);
    for (const bad of [0, 101, 2.5, 'x']) {
      const res = await kms.call('PATCH', `/api/v1/projects/${project.id}`, {
        token: kms.adminToken,
        body: { pitVersionLimit: bad },
      });
      expect(res.status).toBe(422);
    }
  });
});
