// Behaviours that follow upstream's sources exactly; each test names the upstream file it follows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
beforeEach(async () => {
  kms = await startTestServer();
});
afterEach(() => kms.close());

const UA = '/api/v1/auth/universal-auth';

describe('environment positions', () => {
  // Upstream: backend/src/services/project-env/project-env-service.ts (createEnvironment,
  // updateEnvironment) and project-env-dal.ts (shiftPositions, updateAllPosition, closePositionGap):
  // a taken position shifts the others, so positions stay the sequence 1..n.
  const order = async (projectId: string) =>
    (
      (await kms.admin('GET', `/api/v1/projects/${projectId}/environments`)).environments as {
        slug: string;
        position: number;
      }[]
    ).map((e) => `${e.position}:${e.slug}`);

  it('shift on create, move and delete, and a later create goes after the last', async () => {
    const project = await kms.createProject('positions');
    const base = `/api/v1/workspace/${project.id}/environments`;
    expect(await order(project.id)).toEqual(['1:dev', '2:staging', '3:prod']);

    const qa = (await kms.admin('POST', base, { name: 'QA', slug: 'qa', position: 2 })).environment;
    expect(qa.position).toBe(2);
    expect(await order(project.id)).toEqual(['1:dev', '2:qa', '3:staging', '4:prod']);

    const envs = (await kms.admin('GET', base)).environments as { id: string; slug: string }[];
    const idOf = (slug: string) => envs.find((e) => e.slug === slug)!.id;
    await kms.admin('PATCH', `${base}/${idOf('prod')}`, { position: 1 });
    expect(await order(project.id)).toEqual(['1:prod', '2:dev', '3:qa', '4:staging']);
    await kms.admin('PATCH', `${base}/${idOf('dev')}`, { position: 4 });
    expect(await order(project.id)).toEqual(['1:prod', '2:qa', '3:staging', '4:dev']);

    const perf = (await kms.admin('POST', base, { name: 'Perf', slug: 'perf' })).environment;
    expect(perf.position).toBe(5);
    await kms.admin('DELETE', `${base}/${qa.id}`);
    expect(await order(project.id)).toEqual(['1:prod', '2:staging', '3:dev', '4:perf']);
  });

  it("answer upstream's messages, and never touch another project's environments", async () => {
    const project = await kms.createProject('env-words');
    const other = await kms.createProject('env-other');
    const base = `/api/v1/workspace/${project.id}/environments`;
    const taken = await kms.call('POST', base, { name: 'Dev', slug: 'dev' }, kms.adminToken);
    expect(taken.status).toBe(400);
    expect(taken.body).toMatchObject({
      error: 'CreateEnvironment',
      message: 'Environment with slug already exist',
    });

    const otherDev = (await kms.admin('GET', `/api/v1/projects/${other.id}/environments`)).environments[0];
    const read = await kms.call('GET', `${base}/${otherDev.id}`, undefined, kms.adminToken);
    expect(read.status).toBe(404);
    expect(read.body.message).toBe(`Environment with ID '${otherDev.id}' not found`);
    const move = await kms.call('PATCH', `${base}/${otherDev.id}`, { position: 3 }, kms.adminToken);
    expect(move.status).toBe(404);
    expect(move.body.message).toBe(
      `Environment with id '${otherDev.id}' in project with ID '${project.id}' not found`,
    );
    expect(await order(other.id)).toEqual(['1:dev', '2:staging', '3:prod']);
  });

  it("a missing environment keeps upstream's message; details.didYouMean names the project's closest slug", async () => {
    const project = await kms.createProject('env-near');
    const list = (environment: string) =>
      kms.call(
        'GET',
        `/api/v3/secrets/raw?workspaceId=${project.id}&environment=${environment}`,
        undefined,
        kms.adminToken,
      );
    const near = await list('production');
    expect(near.status).toBe(404);
    expect(near.body).toMatchObject({
      message: `Environment with slug 'production' in project with ID ${project.id} not found`,
      details: { didYouMean: 'prod' },
    });
    const far = await list('zzz');
    expect(far.status).toBe(404);
    expect(far.body.details).toBeUndefined();
  });
});

describe('client-secret use limits', () => {
  // Upstream: backend/src/services/identity-ua/identity-ua-service.ts (`login`): a secret whose uses
  // are spent is refused with "Access denied due to client secret usage limit reached". Upstream
  // also marks it revoked at that first refusal; here it stays listed as used up (decision D16 of
  // docs/reference/api.md), so every refusal of a burst gives the same answer.
  it('mint exactly the limit under 20 concurrent logins; every refusal names the limit; the secret stays listed', async () => {
    const id = await kms.createMachineIdentity({ clientSecret: { numUsesLimit: 3 } });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => kms.login(id.clientId, id.clientSecret)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(17);
    for (const r of refused) {
      expect(r.status).toBe(401);
      expect(r.body.message).toBe('Access denied due to client secret usage limit reached');
    }
    const later = await kms.login(id.clientId, id.clientSecret);
    expect(later.body.message).toBe('Access denied due to client secret usage limit reached');

    const [secret] = (await kms.admin('GET', `${UA}/identities/${id.identityId}/client-secrets`))
      .clientSecretData;
    expect(secret).toMatchObject({
      clientSecretNumUses: 3,
      clientSecretNumUsesLimit: 3,
      isClientSecretRevoked: false,
    });
    // The refusals were no wrong guesses: the method is not locked out, a new secret logs in.
    const { clientSecret } = await kms.admin('POST', `${UA}/identities/${id.identityId}/client-secrets`, {});
    expect((await kms.login(id.clientId, clientSecret)).status).toBe(200);
  });
});

describe('lockouts in identity listings', () => {
  // Upstream: backend/src/services/identity/identity-fns.ts (getIdentityActiveLockoutAuthMethods)
  // and the identity schemas of backend/src/server/routes (identity and identity-membership
  // listings): `activeLockoutAuthMethods` names the locked methods; the client id is never shown.
  it('report the locked-out methods in project and organization listings, [] otherwise', async () => {
    const project = await kms.createProject('lockouts');
    const id = await kms.createMachineIdentity({ project: { id: project.id, role: 'viewer' } });
    const memberships = async () =>
      (await kms.admin('GET', `/api/v2/workspace/${project.id}/identity-memberships`))
        .identityMemberships as {
        identity: { id: string; activeLockoutAuthMethods: string[]; authMethods: string[] };
      }[];
    const listed = async () => (await memberships()).find((m) => m.identity.id === id.identityId)!.identity;

    expect(await listed()).toMatchObject({ authMethods: ['universal-auth'], activeLockoutAuthMethods: [] });
    for (let i = 0; i < 3; i++) expect((await kms.login(id.clientId, 'wrong-secret')).status).toBe(401);
    expect((await listed()).activeLockoutAuthMethods).toEqual(['universal-auth']);
    const single = await kms.admin(
      'GET',
      `/api/v1/projects/${project.id}/memberships/identities/${id.identityId}`,
    );
    expect(single.identityMembership.identity.activeLockoutAuthMethods).toEqual(['universal-auth']);
    const inOrg = await kms.admin('GET', `/api/v1/identities/${id.identityId}`);
    expect(inOrg.identity.identity.activeLockoutAuthMethods).toEqual(['universal-auth']);
    expect(JSON.stringify(await memberships())).not.toContain(id.clientId);

    kms.clock.advance(301);
    expect((await listed()).activeLockoutAuthMethods).toEqual([]);
    for (let i = 0; i < 3; i++) await kms.login(id.clientId, 'wrong-secret');
    expect((await listed()).activeLockoutAuthMethods).toEqual(['universal-auth']);
    await kms.admin('POST', `${UA}/identities/${id.identityId}/clear-lockouts`);
    expect((await listed()).activeLockoutAuthMethods).toEqual([]);
  });
});

describe('audit-log date range', () => {
  // Upstream: backend/src/server/routes/v1/organization-router.ts (GET /audit-logs querystring):
  // the end may not precede the start, nor lie more than three months after it; 422 with its words.
  const query = (range: string) => kms.call('GET', `/api/v1/audit-logs?${range}`, undefined, kms.adminToken);
  const messages = (body: { message: { message: string; path: string[] }[] }) =>
    body.message.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

  it("refuses an end before the start and a range over three months, in upstream's words", async () => {
    const backwards = await query('startDate=2026-02-01T00:00:00Z&endDate=2026-01-01T00:00:00Z');
    expect(backwards.status).toBe(422);
    expect(messages(backwards.body)).toEqual(['query.endDate: End date cannot be before start date']);

    const tooLong = await query('startDate=2026-01-01T00:00:00Z&endDate=2026-04-01T00:00:01Z');
    expect(tooLong.status).toBe(422);
    expect(messages(tooLong.body)).toEqual(['query.endDate: Dates must be within 3 months']);
    for (const path of ['/api/v1/organization/audit-logs', '/api/v1/audit-logs']) {
      const r = await kms.call(
        'GET',
        `${path}?startDate=2026-01-01T00:00:00Z&endDate=2026-05-01T00:00:00Z`,
        undefined,
        kms.adminToken,
      );
      expect(r.status).toBe(422);
    }
  });

  it('answers a range of exactly three months', async () => {
    await kms.createProject('audit-range');
    const created = (await kms.admin('GET', '/api/v1/audit-logs?eventType=create-project')).auditLogs[0];
    const end = new Date(created.createdAt);
    const start = new Date(end);
    start.setUTCMonth(start.getUTCMonth() - 3);
    const r = await query(`startDate=${start.toISOString()}&endDate=${end.toISOString()}`);
    expect(r.status).toBe(200);
    expect(r.body.auditLogs.map((e: { id: string }) => e.id)).toContain(created.id);
  });
});

describe('secrets: validation messages', () => {
  // Upstream: backend/src/server/routes/v3/deprecated-secret-router.ts (GET /raw metadataFilter,
  // POST and PATCH /raw/:secretName secretReminderNote): 422 with upstream's words.
  const issues = (body: { message: { message: string }[] }) => body.message.map((issue) => issue.message);

  it("answers upstream's words for a metadata filter over ten fields or missing a part, and a long reminder note", async () => {
    const project = await kms.createProject('wire-secrets');
    const list = (metadataFilter: string) =>
      kms.call(
        'GET',
        `/api/v3/secrets/raw?${new URLSearchParams({ workspaceId: project.id, environment: 'dev', metadataFilter })}`,
        undefined,
        kms.adminToken,
      );
    const eleven = Array.from({ length: 11 }, (_, i) => `key=k${i},value=v`).join('|');
    const tooMany = await list(eleven);
    expect(tooMany.status).toBe(422);
    expect(issues(tooMany.body)).toEqual(['You can only filter by up to 10 metadata fields']);
    const ten = await list(Array.from({ length: 10 }, (_, i) => `key=k${i},value=v`).join('|'));
    expect(ten.status).toBe(200);
    const half = await list('key=owner');
    expect(half.status).toBe(422);
    expect(issues(half.body)[0]).toMatch(/^Invalid secretMetadata format, key or value must be provided/);

    const at = { workspaceId: project.id, environment: 'dev' };
    const note = 'n'.repeat(1025);
    const created = await kms.call(
      'POST',
      '/api/v3/secrets/raw/NOTE',
      { ...at, secretValue: 'v', secretReminderNote: note },
      kms.adminToken,
    );
    expect(created.status).toBe(422);
    expect(issues(created.body)).toEqual(['Secret reminder note cannot exceed 1024 characters']);
    await kms.admin('POST', '/api/v3/secrets/raw/NOTE', {
      ...at,
      secretValue: 'v',
      secretReminderNote: 'n'.repeat(1024),
    });
    const updated = await kms.call(
      'PATCH',
      '/api/v3/secrets/raw/NOTE',
      { ...at, secretReminderNote: note },
      kms.adminToken,
    );
    expect(updated.status).toBe(422);
    expect(issues(updated.body)).toEqual(['Secret reminder note cannot exceed 1024 characters']);
  });
});

describe('identity project memberships', () => {
  // Upstream: backend/src/services/identity-project/identity-project-service.ts
  // (getProjectIdentityByIdentityId): a missing membership is 404 in its words, unclosed quote included.
  it("answers upstream's 404 for an identity that is not a member, on both route trees", async () => {
    const project = await kms.createProject('wire-members');
    const other = await kms.createProject('wire-members-other');
    const outsider = await kms.createMachineIdentity({ project: { id: other.id, role: 'viewer' } });
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const identityId of [outsider.identityId, unknown]) {
      for (const path of [
        `/api/v2/workspace/${project.id}/identity-memberships/${identityId}`,
        `/api/v1/projects/${project.id}/memberships/identities/${identityId}`,
      ]) {
        const r = await kms.call('GET', path, undefined, kms.adminToken);
        expect(r.status).toBe(404);
        expect(r.body.message).toBe(
          `Project membership for identity with ID '${identityId} in project with ID '${project.id}' not found`,
        );
      }
    }
    const member = await kms.call(
      'GET',
      `/api/v1/projects/${other.id}/memberships/identities/${outsider.identityId}`,
      undefined,
      kms.adminToken,
    );
    expect(member.status).toBe(200);
    expect(member.body.identityMembership.identity.id).toBe(outsider.identityId);
  });
});

describe('project slugs', () => {
  // Upstream: backend/src/services/project/project-service.ts (updateProject): a taken slug is 400
  // in its words.
  it("refuses to rename a project to a taken slug in upstream's words", async () => {
    const taken = await kms.createProject('wire-taken');
    const project = await kms.createProject('wire-rename');
    const message = `Failed to update project. A project with the slug "${taken.slug}" already exists in your organization. Please choose a different slug.`;
    for (const path of [`/api/v1/projects/${project.id}`, `/api/v1/workspace/${project.id}`]) {
      const r = await kms.call('PATCH', path, { slug: taken.slug }, kms.adminToken);
      expect(r.status).toBe(400);
      expect(r.body.message).toBe(message);
    }
    const renamed = await kms.call(
      'PATCH',
      `/api/v1/projects/${project.id}`,
      { slug: 'wire-renamed' },
      kms.adminToken,
    );
    expect(renamed.status).toBe(200);
  });
});

describe('tags under another project', () => {
  // Upstream: backend/src/services/secret-tag/secret-tag-service.ts finds a tag by id alone, whatever
  // project the path names; here a tag is found only under its own project (docs/reference/api.md, D23).
  it("answers upstream's not-found for a tag addressed through another project", async () => {
    const owner = await kms.createProject('wire-tags-owner');
    const other = await kms.createProject('wire-tags-other');
    const { tag } = await kms.admin('POST', `/api/v1/projects/${owner.id}/tags`, {
      slug: 'pci',
      color: '#f00',
    });
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { slug: 'moved', color: '#0f0' }],
      ['DELETE', undefined],
    ] as const) {
      const r = await kms.call(method, `/api/v1/projects/${other.id}/tags/${tag.id}`, body, kms.adminToken);
      expect(r.status).toBe(404);
      expect(r.body.message).toBe(`Tag with ID '${tag.id}' not found`);
    }
    const bySlug = await kms.call(
      'GET',
      `/api/v1/projects/${other.id}/tags/slug/pci`,
      undefined,
      kms.adminToken,
    );
    expect(bySlug.body).toMatchObject({ statusCode: 404, message: "Tag with slug 'pci' not found" });
    const own = await kms.admin('GET', `/api/v1/projects/${owner.id}/tags/${tag.id}`);
    expect(own.tag).toMatchObject({ id: tag.id, slug: 'pci', name: 'pci' });
  });
});
