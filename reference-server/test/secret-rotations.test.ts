// Dual-phase PostgreSQL credential rotation (/api/v2/secret-rotations/postgres-credentials) over
// real HTTP against a real PostgreSQL: the first credentials on create, two users alternating so the
// previous password stays valid for one more rotation, on-demand and scheduled rotations, status and
// last error, rights, cross-project refusal, audit without credentials, bad input as 4xx.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { folderSecrets, identityToken } from './helpers/rotation-fixture.js';
import { createRotationTarget, type RotationTarget } from './helpers/rotation-target.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const PATH = '/api/v2/secret-rotations/postgres-credentials';
let kms: TestServer;
let target: RotationTarget;
let project: { id: string; slug: string };
let other: { id: string; slug: string };
let connectionId: string;
const tokens: Record<string, string> = {};

function createBody(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    projectId: project.id,
    connectionId,
    environment: 'dev',
    secretPath: '/',
    rotationInterval: 30,
    rotateAtUtc: { hours: 3, minutes: 15 },
    parameters: { username1: target.usernames[0], username2: target.usernames[1] },
    secretsMapping: {
      username: `${name.toUpperCase().replace(/-/g, '_')}_USER`,
      password: `${name.toUpperCase().replace(/-/g, '_')}_PASSWORD`,
    },
    ...extra,
  };
}

async function superuserQuery(sql: string) {
  const url = new URL(inject('postgresAdminUrl'));
  url.pathname = `/${target.database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  kms = await startTestServer({ settings: { rotations: { pollIntervalMs: 100 } } });
  target = await createRotationTarget(inject('postgresAdminUrl'));
  project = await kms.createProject('rotations');
  other = await kms.createProject('rotations-other');
  connectionId = (
    await kms.admin('POST', '/api/v1/app-connections/postgres', target.connectionBody('rotation-db'))
  ).appConnection.id;
  tokens.member = (await identityToken(kms, 'member', { id: project.id, role: 'member' })).token;
  tokens.viewer = (await identityToken(kms, 'member', { id: project.id, role: 'viewer' })).token;
  tokens.orgNoAccess = (await identityToken(kms, 'no-access', { id: project.id, role: 'admin' })).token;
  tokens.outsider = (await identityToken(kms, 'member', { id: other.id, role: 'admin' })).token;
}, 60_000);
afterAll(() => kms?.close());

describe('PostgreSQL credential rotation', () => {
  let rotationId: string;

  it('creates a rotation: the first user gets a new password, written into the mapped secrets', async () => {
    const r = await kms.call('POST', PATH, createBody('main'), tokens.member);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const rotation = r.body.secretRotation;
    rotationId = rotation.id;
    expect(rotation).toMatchObject({
      name: 'main',
      type: 'postgres-credentials',
      projectId: project.id,
      connectionId,
      connection: { app: 'postgres', name: 'rotation-db', id: connectionId },
      environment: { slug: 'dev' },
      folder: { path: '/' },
      isAutoRotationEnabled: true,
      rotationInterval: 30,
      rotateAtUtc: { hours: 3, minutes: 15 },
      activeIndex: 0,
      rotationStatus: 'success',
      isLastRotationManual: true,
      parameters: { username1: target.usernames[0], username2: target.usernames[1] },
      secretsMapping: { username: 'MAIN_USER', password: 'MAIN_PASSWORD' },
    });
    // The next rotation is 30 days later at 03:15 UTC.
    const next = new Date(rotation.nextRotationAt);
    expect(next.getTime() - Date.parse(rotation.lastRotatedAt)).toBeGreaterThan(29 * 86_400_000);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([3, 15]);
    const secrets = await folderSecrets(kms, project.id, 'dev', '/');
    expect(secrets.MAIN_USER).toBe(target.usernames[0]);
    expect(secrets.MAIN_PASSWORD).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await target.canLogin(target.usernames[0], secrets.MAIN_PASSWORD!)).toBe(true);
    expect(JSON.stringify(r.body)).not.toContain(secrets.MAIN_PASSWORD);
  });

  it('rotates on demand, alternating the users: the previous password stays valid for one more rotation', async () => {
    const first = await folderSecrets(kms, project.id, 'dev', '/');
    const r1 = await kms.call('POST', `${PATH}/${rotationId}/rotate-secrets`, undefined, tokens.member);
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body.secretRotation).toMatchObject({
      activeIndex: 1,
      rotationStatus: 'success',
      isLastRotationManual: true,
    });
    const second = await folderSecrets(kms, project.id, 'dev', '/');
    expect(second.MAIN_USER).toBe(target.usernames[1]);
    expect(await target.canLogin(target.usernames[1], second.MAIN_PASSWORD!)).toBe(true);
    expect(await target.canLogin(target.usernames[0], first.MAIN_PASSWORD!)).toBe(true);

    const r2 = await kms.call('POST', `${PATH}/${rotationId}/rotate-secrets`, undefined, tokens.member);
    expect(r2.body.secretRotation.activeIndex).toBe(0);
    const third = await folderSecrets(kms, project.id, 'dev', '/');
    expect(third.MAIN_USER).toBe(target.usernames[0]);
    expect(third.MAIN_PASSWORD).not.toBe(first.MAIN_PASSWORD);
    expect(await target.canLogin(target.usernames[0], third.MAIN_PASSWORD!)).toBe(true);
    expect(await target.canLogin(target.usernames[1], second.MAIN_PASSWORD!)).toBe(true);
    expect(await target.canLogin(target.usernames[0], first.MAIN_PASSWORD!)).toBe(false);

    const generated = await kms.call(
      'GET',
      `${PATH}/${rotationId}/generated-credentials`,
      undefined,
      tokens.member,
    );
    expect(generated.status).toBe(200);
    expect(generated.body).toMatchObject({
      activeIndex: 0,
      rotationId,
      type: 'postgres-credentials',
      generatedCredentials: [
        { username: target.usernames[0], password: third.MAIN_PASSWORD },
        { username: target.usernames[1], password: second.MAIN_PASSWORD },
      ],
    });
  });

  it('refuses hand-made updates and deletes of the secrets the rotation writes', async () => {
    const before = await folderSecrets(kms, project.id, 'dev', '/');
    const where = { workspaceId: project.id, environment: 'dev', secretPath: '/' };
    const attempts = [
      ['PATCH', '/api/v3/secrets/raw/MAIN_PASSWORD', { ...where, secretValue: 'by-hand' }],
      ['PATCH', '/api/v3/secrets/raw/MAIN_USER', { ...where, newSecretName: 'RENAMED' }],
      ['DELETE', '/api/v3/secrets/raw/MAIN_USER', where],
      [
        'PATCH',
        '/api/v3/secrets/batch/raw',
        { ...where, secrets: [{ secretKey: 'MAIN_PASSWORD', secretValue: 'x' }] },
      ],
      ['DELETE', '/api/v3/secrets/batch/raw', { ...where, secrets: [{ secretKey: 'MAIN_PASSWORD' }] }],
    ] as const;
    for (const [method, path, body] of attempts) {
      const r = await kms.call(method, path, body, tokens.member);
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.body.message).toMatch(
        /^Cannot (update|delete) rotated secret MAIN_(USER|PASSWORD): it is managed by the secret rotation main$/,
      );
    }
    expect(await folderSecrets(kms, project.id, 'dev', '/')).toEqual(before);
  });

  it('reads by id, by name and in lists; updates the schedule', async () => {
    const byId = await kms.call('GET', `${PATH}/${rotationId}`, undefined, tokens.viewer);
    expect(byId.status).toBe(200);
    expect(byId.body.secretRotation.id).toBe(rotationId);
    const byName = await kms.call(
      'GET',
      `${PATH}/rotation-name/main?projectId=${project.id}&environment=dev&secretPath=/`,
      undefined,
      tokens.viewer,
    );
    expect(byName.body.secretRotation.id).toBe(rotationId);
    for (const path of [
      `${PATH}?projectId=${project.id}`,
      `/api/v2/secret-rotations?projectId=${project.id}`,
    ]) {
      const list = await kms.call('GET', path, undefined, tokens.viewer);
      expect(list.body.secretRotations.map((r: { id: string }) => r.id)).toContain(rotationId);
    }
    const updated = await kms.call(
      'PATCH',
      `${PATH}/${rotationId}`,
      { rotationInterval: 7, rotateAtUtc: { hours: 22, minutes: 5 }, description: 'weekly' },
      tokens.member,
    );
    expect(updated.status).toBe(200);
    const rotation = updated.body.secretRotation;
    expect(rotation).toMatchObject({
      rotationInterval: 7,
      description: 'weekly',
      rotateAtUtc: { hours: 22, minutes: 5 },
    });
    const next = new Date(rotation.nextRotationAt);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([22, 5]);
    expect(next.getTime() - Date.parse(rotation.lastRotatedAt)).toBeGreaterThan(6 * 86_400_000);
  });

  it('reports a failed rotation (status and last error) without touching the secrets, and recovers', async () => {
    const before = await folderSecrets(kms, project.id, 'dev', '/');
    await superuserQuery(`REVOKE ${target.usernames[1]} FROM ${target.admin.username}`);
    const failed = await kms.call('POST', `${PATH}/${rotationId}/rotate-secrets`, undefined, tokens.member);
    expect(failed.status).toBe(400);
    expect(failed.body.message).toMatch(/^Failed to rotate secrets: .*permission denied/i);
    const status = (await kms.admin('GET', `${PATH}/${rotationId}`)).secretRotation;
    expect(status).toMatchObject({ rotationStatus: 'failed', activeIndex: 0 });
    expect(status.lastRotationMessage).toMatch(/permission denied/i);
    expect(await folderSecrets(kms, project.id, 'dev', '/')).toEqual(before);

    await superuserQuery(`GRANT ${target.usernames[1]} TO ${target.admin.username} WITH ADMIN OPTION`);
    const ok = await kms.call('POST', `${PATH}/${rotationId}/rotate-secrets`, undefined, tokens.member);
    expect(ok.status).toBe(200);
    expect(ok.body.secretRotation).toMatchObject({
      rotationStatus: 'success',
      activeIndex: 1,
      lastRotationMessage: null,
    });
  });

  it('rotates when due, as the platform, on the scheduler', async () => {
    const before = (await kms.admin('GET', `${PATH}/${rotationId}`)).secretRotation;
    kms.clock.t = Date.parse(before.nextRotationAt) + 1000;
    let after = before;
    for (let i = 0; i < 100 && after.activeIndex === before.activeIndex; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await kms.admin('GET', `${PATH}/${rotationId}`)).secretRotation;
    }
    expect(after).toMatchObject({ activeIndex: 0, rotationStatus: 'success', isLastRotationManual: false });
    expect(Date.parse(after.nextRotationAt)).toBeGreaterThan(kms.clock.t);
    const secrets = await folderSecrets(kms, project.id, 'dev', '/');
    expect(await target.canLogin(secrets.MAIN_USER!, secrets.MAIN_PASSWORD!)).toBe(true);
    const logs = (
      await kms.admin(
        'GET',
        `/api/v1/audit-logs?projectId=${project.id}&eventType=secret-rotation-rotate-secrets&limit=100`,
      )
    ).auditLogs as { actor: { type: string }; event: { metadata: { isManual: boolean } } }[];
    expect(logs.some((l) => l.actor.type === 'platform' && l.event.metadata.isManual === false)).toBe(true);
  });

  it('refuses bad input with 4xx and the API error body', async () => {
    const cases: [Record<string, unknown>, number][] = [
      [createBody('bad', { parameters: { username1: 'a', username2: 'a' } }), 422],
      [createBody('bad', { parameters: { username1: 'a' } }), 422],
      [createBody('bad', { secretsMapping: { username: 'SAME', password: 'SAME' } }), 422],
      [createBody('bad', { secretsMapping: { username: 'HAS SPACE', password: 'P' } }), 422],
      [createBody('bad', { rotationInterval: 0 }), 422],
      [createBody('bad', { rotateAtUtc: { hours: 24, minutes: 0 } }), 422],
      [createBody('Bad Name'), 422],
      [createBody('bad', { connectionId: 'nope' }), 422],
      [createBody('bad', { connectionId: '3f1c0f4e-8c7a-4a53-9d0e-0f0b0c1d2e3f' }), 404],
      [
        createBody('bad', { parameters: { username1: 'no_such_user_x', username2: target.usernames[1] } }),
        400,
      ],
      [createBody('bad', { environment: 'nope' }), 404],
      [createBody('bad', { secretPath: '/missing' }), 404],
      [createBody('main'), 400],
      [createBody('dup', { secretsMapping: { username: 'MAIN_USER', password: 'OTHER_PASSWORD' } }), 400],
    ];
    for (const [body, status] of cases) {
      const r = await kms.call('POST', PATH, body, tokens.member);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body).toMatchObject({
        statusCode: status,
        error: expect.any(String),
        reqId: expect.any(String),
      });
    }
    expect((await kms.call('GET', `${PATH}/not-a-uuid`, undefined, tokens.member)).status).toBe(422);
    expect(
      (await kms.call('GET', `${PATH}/3f1c0f4e-8c7a-4a53-9d0e-0f0b0c1d2e3f`, undefined, tokens.member))
        .status,
    ).toBe(404);
    expect(
      (await kms.call('PATCH', `${PATH}/${rotationId}`, { rotationInterval: 'x' }, tokens.member)).status,
    ).toBe(422);
    expect(
      (await kms.call('DELETE', `${PATH}/${rotationId}?deleteSecrets=maybe`, undefined, tokens.member))
        .status,
    ).toBe(422);
  });

  it('gives rights as upstream: viewers read, members and admins rotate; other projects are refused', async () => {
    for (const [method, path] of [
      ['POST', `${PATH}/${rotationId}/rotate-secrets`],
      ['GET', `${PATH}/${rotationId}/generated-credentials`],
      ['PATCH', `${PATH}/${rotationId}`],
      ['DELETE', `${PATH}/${rotationId}`],
    ] as const) {
      const r = await kms.call(
        method,
        path,
        method === 'PATCH' ? { description: 'x' } : undefined,
        tokens.viewer,
      );
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error).toBe('PermissionDenied');
    }
    expect((await kms.call('POST', PATH, createBody('by-viewer'), tokens.viewer)).status).toBe(403);
    // A project admin whose organization role may not use connections cannot create one.
    const noConnect = await kms.call('POST', PATH, createBody('no-connect'), tokens.orgNoAccess);
    expect(noConnect.status).toBe(403);
    // Another project's admin reaches nothing of this project's rotations.
    for (const [method, path] of [
      ['GET', `${PATH}/${rotationId}`],
      ['POST', `${PATH}/${rotationId}/rotate-secrets`],
      ['GET', `${PATH}/${rotationId}/generated-credentials`],
      ['DELETE', `${PATH}/${rotationId}`],
      ['GET', `${PATH}?projectId=${project.id}`],
      ['GET', `${PATH}/rotation-name/main?projectId=${project.id}&environment=dev&secretPath=/`],
    ] as const) {
      expect((await kms.call(method, path, undefined, tokens.outsider)).status, `${method} ${path}`).toBe(
        403,
      );
    }
    const own = await kms.call('GET', `${PATH}?projectId=${other.id}`, undefined, tokens.outsider);
    expect(own.body.secretRotations).toEqual([]);
    // Nor can it create one in this project.
    expect((await kms.call('POST', PATH, createBody('cross'), tokens.outsider)).status).toBe(403);
  });

  it('audits every step with upstream names and never a credential', async () => {
    const generated = (await kms.admin('GET', `${PATH}/${rotationId}/generated-credentials`))
      .generatedCredentials as {
      password: string;
    }[];
    const logs = (await kms.admin('GET', `/api/v1/audit-logs?projectId=${project.id}&limit=1000`))
      .auditLogs as {
      event: { type: string };
    }[];
    const types = new Set(logs.map((l) => l.event.type));
    for (const type of [
      'create-secret-rotation',
      'secret-rotation-rotate-secrets',
      'get-secret-rotation',
      'get-secret-rotations',
      'update-secret-rotation',
      'get-secret-rotation-generated-credentials',
    ]) {
      expect(types, type).toContain(type);
    }
    const text = JSON.stringify(logs);
    for (const { password } of generated) expect(text).not.toContain(password);
    expect(text).not.toContain(target.admin.password);
  });

  it('deletes a rotation with its secrets; the connection can then be deleted', async () => {
    expect(
      (
        await kms.call(
          'DELETE',
          `/api/v1/app-connections/postgres/${connectionId}`,
          undefined,
          kms.adminToken,
        )
      ).status,
    ).toBe(400);
    const r = await kms.call('DELETE', `${PATH}/${rotationId}?deleteSecrets=true`, undefined, tokens.member);
    expect(r.status).toBe(200);
    expect(r.body.secretRotation.id).toBe(rotationId);
    const secrets = await folderSecrets(kms, project.id, 'dev', '/');
    expect(secrets).not.toHaveProperty('MAIN_USER');
    expect((await kms.call('GET', `${PATH}/${rotationId}`, undefined, tokens.member)).status).toBe(404);
    const logs = (
      await kms.admin('GET', `/api/v1/audit-logs?projectId=${project.id}&eventType=delete-secret-rotation`)
    ).auditLogs;
    expect(logs).toHaveLength(1);
    expect(
      (
        await kms.call(
          'DELETE',
          `/api/v1/app-connections/postgres/${connectionId}`,
          undefined,
          kms.adminToken,
        )
      ).status,
    ).toBe(200);
  });
});
