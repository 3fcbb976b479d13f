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
  await kms.admin('POST', '/api/v1/folders', { workspaceId: project.id, environment: 'dev', name: 'app', path: '/' });
  return project;
}

function list(project: TestProject, params: Record<string, string | undefined> = {}, token = kms.adminToken) {
  return kms.call('GET', `/api/v3/secrets/raw${qs({ workspaceId: project.id, environment: 'dev', ...params })}`, { token });
}

describe('provisioning sequence (api-management §12 steps 4, 5, 11)', () => {
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
