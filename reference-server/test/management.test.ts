import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
beforeEach(async () => {
  kms = await startTestServer();
});
afterEach(() => kms.close());

describe('status and bootstrap', () => {
  it('answers health and config without auth, and refuses a second bootstrap', async () => {
    expect((await kms.call('GET', '/api/status')).body.message).toBe('Ok');
    expect((await kms.call('GET', '/api/v1/admin/config')).body.config.initialized).toBe(true);
    const again = await kms.call('POST', '/api/v1/admin/bootstrap', {
      email: 'b@example.test',
      password: 'second-admin-password',
      organization: 'o',
    });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'BadRequest', message: 'Instance has already been set up' });
  });

  it('reports initialized=false before bootstrap and validates the bootstrap body', async () => {
    const fresh = await startTestServer({ bootstrap: false });
    try {
      expect((await fresh.call('GET', '/api/v1/admin/config')).body.config.initialized).toBe(false);
      const bad = await fresh.call('POST', '/api/v1/admin/bootstrap', {
        email: 'not-an-email',
        password: '',
        organization: 'o',
      });
      expect(bad.status).toBe(422);
      expect(bad.body.message.map((i: any) => i.path.at(-1))).toEqual(['email', 'password']);
      // A password shorter than 12 characters, or a placeholder copied from a guide, is refused by name.
      for (const [password, message] of [
        ['short-pw', 'must be at least 12 characters'],
        ['…', 'looks like a placeholder from a guide; choose a real password'],
        ['<admin password here>', 'looks like a placeholder from a guide; choose a real password'],
      ]) {
        const weak = await fresh.call('POST', '/api/v1/admin/bootstrap', {
          email: 'a@example.test',
          password,
          organization: 'o',
        });
        expect(weak.status).toBe(422);
        expect(weak.body.message).toEqual([expect.objectContaining({ path: ['body', 'password'], message })]);
        expect(JSON.stringify(weak.body)).not.toContain(password);
      }
      const ok = await fresh.call('POST', '/api/v1/admin/bootstrap', {
        email: 'A@Example.test ',
        password: 'a-long-enough-password',
        organization: 'dog',
      });
      expect(ok.body).toMatchObject({
        message: 'Successfully bootstrapped instance',
        user: {
          email: 'a@example.test',
          username: 'a@example.test',
          firstName: 'Admin',
          lastName: 'User',
          superAdmin: true,
        },
        organization: { name: 'dog', slug: expect.stringMatching(/^dog-[a-z0-9]{4}$/) },
        identity: { name: 'Instance Admin Identity', credentials: { token: expect.any(String) } },
      });
    } finally {
      await fresh.close();
    }
  });
});

describe('identities and auth-method configuration', () => {
  it('creates, reads, lists, updates and deletes an identity', async () => {
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'svc',
      organizationId: kms.orgId,
      role: 'member',
    });
    expect(identity).toMatchObject({
      name: 'svc',
      orgId: kms.orgId,
      authMethods: [],
      hasDeleteProtection: false,
    });
    const got = await kms.admin('GET', `/api/v1/identities/${identity.id}`);
    expect(got.identity).toMatchObject({ role: 'member', identity: { id: identity.id, authMethods: [] } });
    const list = await kms.admin('GET', `/api/v1/identities?orgId=${kms.orgId}`);
    expect(list.totalCount).toBe(2);
    const patched = await kms.admin('PATCH', `/api/v1/identities/${identity.id}`, {
      name: 'svc2',
      hasDeleteProtection: true,
    });
    expect(patched.identity).toMatchObject({ name: 'svc2', hasDeleteProtection: true });
    const protectedDelete = await kms.call(
      'DELETE',
      `/api/v1/identities/${identity.id}`,
      undefined,
      kms.adminToken,
    );
    expect(protectedDelete.body).toMatchObject({
      statusCode: 400,
      message: 'Identity has delete protection',
    });
    await kms.admin('PATCH', `/api/v1/identities/${identity.id}`, { hasDeleteProtection: false });
    await kms.admin('DELETE', `/api/v1/identities/${identity.id}`);
    expect(
      (await kms.call('GET', `/api/v1/identities/${identity.id}`, undefined, kms.adminToken)).status,
    ).toBe(404);
  });

  it('rejects an unknown org role, a foreign org and a bad identity id', async () => {
    expect(
      (
        await kms.call(
          'POST',
          '/api/v1/identities',
          { name: 'x', organizationId: kms.orgId, role: 'owner' },
          kms.adminToken,
        )
      ).status,
    ).toBe(422);
    expect(
      (await kms.call('POST', '/api/v1/identities', { name: 'x', organizationId: 'other' }, kms.adminToken))
        .status,
    ).toBe(404);
    expect((await kms.call('GET', '/api/v1/identities/not-a-uuid', undefined, kms.adminToken)).status).toBe(
      422,
    );
  });

  it('attaches universal auth once, with bounds checked, and reads, updates and removes it', async () => {
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'svc',
      organizationId: kms.orgId,
    });
    const path = `/api/v1/auth/universal-auth/identities/${identity.id}`;
    expect((await kms.call('GET', path, undefined, kms.adminToken)).status).toBe(404);
    const tooLong = await kms.call(
      'POST',
      path,
      { accessTokenTTL: 100, accessTokenMaxTTL: 50 },
      kms.adminToken,
    );
    expect(tooLong.status).toBe(422);
    expect((await kms.call('POST', path, { lockoutThreshold: 31 }, kms.adminToken)).status).toBe(422);
    const attached = await kms.admin('POST', path, { accessTokenTTL: 60 });
    expect(attached.identityUniversalAuth).toMatchObject({
      clientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      accessTokenTTL: 60,
      accessTokenMaxTTL: 2592000,
      accessTokenNumUsesLimit: 0,
      lockoutEnabled: true,
      lockoutThreshold: 3,
      lockoutDurationSeconds: 300,
      lockoutCounterResetSeconds: 30,
      accessTokenTrustedIps: [
        { ipAddress: '0.0.0.0', type: 'ipv4', prefix: 0 },
        { ipAddress: '::', type: 'ipv6', prefix: 0 },
      ],
    });
    const twice = await kms.call('POST', path, {}, kms.adminToken);
    expect(twice.body.message).toBe('Failed to add universal auth to already configured identity');
    const patched = await kms.admin('PATCH', path, { accessTokenNumUsesLimit: 5 });
    expect(patched.identityUniversalAuth).toMatchObject({ accessTokenTTL: 60, accessTokenNumUsesLimit: 5 });
    const secret = await kms.admin('POST', `${path}/client-secrets`, { description: 'ci' });
    expect(secret.clientSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(secret.clientSecretData.clientSecretPrefix).toBe(secret.clientSecret.slice(0, 4));
    const listed = await kms.admin('GET', `${path}/client-secrets`);
    expect(JSON.stringify(listed)).not.toContain(secret.clientSecret);
    expect(
      (await kms.admin('GET', `/api/v1/identities/${identity.id}`)).identity.identity.authMethods,
    ).toEqual(['universal-auth']);
    await kms.admin('DELETE', path);
    expect((await kms.login(attached.identityUniversalAuth.clientId, secret.clientSecret)).status).toBe(401);
  });

  it('protects the instance-admin identity from other identities', async () => {
    const project = await kms.createProject('guarded');
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'org-admin',
      organizationId: kms.orgId,
      role: 'admin',
    });
    await kms.admin('POST', `/api/v1/auth/token-auth/identities/${identity.id}`, {});
    const { accessToken } = await kms.admin(
      'POST',
      `/api/v1/auth/token-auth/identities/${identity.id}/tokens`,
      { name: 't' },
    );
    const config = await kms.call('GET', '/api/v1/admin/config');
    const adminId = config.body.config.adminIdentityIds[0];
    const r = await kms.call('PATCH', `/api/v1/identities/${adminId}`, { name: 'pwned' }, accessToken);
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/instance admin identity/);
    void project;
  });

  it('lets an organization admin mint a client secret for any identity that is not an instance admin, and act as it (as upstream)', async () => {
    const project = await kms.createProject('minted');
    const { identity: orgAdmin } = await kms.admin('POST', '/api/v1/identities', {
      name: 'org-admin-minter',
      organizationId: kms.orgId,
      role: 'admin',
    });
    await kms.admin('POST', `/api/v1/auth/token-auth/identities/${orgAdmin.id}`, {});
    const { accessToken } = await kms.admin(
      'POST',
      `/api/v1/auth/token-auth/identities/${orgAdmin.id}/tokens`,
      { name: 't' },
    );
    const workload = await kms.createMachineIdentity({ project: { id: project.id, role: 'viewer' } });
    const minted = await kms.call(
      'POST',
      `/api/v1/auth/universal-auth/identities/${workload.identityId}/client-secrets`,
      {},
      accessToken,
    );
    expect(minted.status).toBe(200);
    const login = await kms.login(workload.clientId, minted.body.clientSecret);
    expect(login.status).toBe(200);
    const asWorkload = await kms.call(
      'GET',
      `/api/v1/workspace/${project.id}`,
      undefined,
      login.body.accessToken,
    );
    expect(asWorkload.status).toBe(200);
    // The instance admin identity is the exception.
    const adminId = (await kms.call('GET', '/api/v1/admin/config')).body.config.adminIdentityIds[0];
    const refused = await kms.call(
      'POST',
      `/api/v1/auth/universal-auth/identities/${adminId}/client-secrets`,
      {},
      accessToken,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/instance admin identity/);
  });

  it('issues, lists, renames and revokes token-auth tokens', async () => {
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'tok',
      organizationId: kms.orgId,
    });
    const base = `/api/v1/auth/token-auth/identities/${identity.id}`;
    expect((await kms.call('POST', `${base}/tokens`, {}, kms.adminToken)).body.message).toBe(
      'The identity does not have Token Auth',
    );
    await kms.admin('POST', base, { accessTokenTTL: 120, accessTokenMaxTTL: 120 });
    const issued = await kms.admin('POST', `${base}/tokens`, { name: 'first' });
    expect(issued).toMatchObject({
      expiresIn: 120,
      accessTokenMaxTTL: 120,
      tokenType: 'Bearer',
      tokenData: { name: 'first', authMethod: 'token-auth' },
    });
    const { tokens } = await kms.admin('GET', `${base}/tokens`);
    expect(tokens).toHaveLength(1);
    const renamed = await kms.admin('PATCH', `/api/v1/auth/token-auth/tokens/${issued.tokenData.id}`, {
      name: 'second',
    });
    expect(renamed.token.name).toBe('second');
    expect(await kms.admin('POST', `/api/v1/auth/token-auth/tokens/${issued.tokenData.id}/revoke`)).toEqual({
      message: 'Successfully revoked access token',
    });
    expect((await kms.call('GET', '/api/v1/identities/details', undefined, issued.accessToken)).status).toBe(
      401,
    );
    expect(
      (
        await kms.call(
          'POST',
          `/api/v1/auth/token-auth/tokens/${issued.tokenData.id}/revoke`,
          undefined,
          kms.adminToken,
        )
      ).status,
    ).toBe(404);
  });
});

describe('projects, environments and memberships', () => {
  it('creates a project with dev/staging/prod and serves it in both route trees', async () => {
    const project = await kms.admin('POST', '/api/v2/workspace', {
      projectName: 'E2E Project',
      slug: 'e2e-project',
    });
    expect(project.project.environments).toEqual([
      { name: 'Development', slug: 'dev', id: expect.any(String) },
      { name: 'Staging', slug: 'staging', id: expect.any(String) },
      { name: 'Production', slug: 'prod', id: expect.any(String) },
    ]);
    const id = project.project.id;
    expect((await kms.admin('GET', `/api/v1/workspace/${id}`)).workspace.slug).toBe('e2e-project');
    expect((await kms.admin('GET', `/api/v1/projects/${id}`)).project.slug).toBe('e2e-project');
    expect((await kms.admin('GET', '/api/v2/workspace/e2e-project')).id).toBe(id);
    expect((await kms.admin('GET', '/api/v1/workspace')).workspaces).toHaveLength(1);
    const dup = await kms.call(
      'POST',
      '/api/v2/workspace',
      { projectName: 'x', slug: 'e2e-project' },
      kms.adminToken,
    );
    expect(dup.body.message).toMatch(/already exists in your organization/);
    const badSlug = await kms.call(
      'POST',
      '/api/v2/workspace',
      { projectName: 'x', slug: 'Bad Slug!' },
      kms.adminToken,
    );
    expect(badSlug.status).toBe(422);
    expect(JSON.stringify(project)).not.toMatch(/dataKey|wrapped/);
  });

  it('creates, updates and deletes environments', async () => {
    const p = await kms.createProject('envs-project');
    const base = `/api/v1/workspace/${p.id}/environments`;
    const created = await kms.admin('POST', base, { name: 'QA', slug: 'qa' });
    expect(created).toMatchObject({
      message: 'Successfully created new environment',
      workspace: p.id,
      environment: { slug: 'qa', position: 4 },
    });
    const updated = await kms.admin('PATCH', `${base}/${created.environment.id}`, { name: 'Quality' });
    expect(updated.environment.name).toBe('Quality');
    expect((await kms.call('POST', base, { name: 'dup', slug: 'qa' }, kms.adminToken)).status).toBe(400);
    await kms.admin('DELETE', `${base}/${created.environment.id}`);
    expect(
      (await kms.call('GET', `${base}/${created.environment.id}`, undefined, kms.adminToken)).status,
    ).toBe(404);
  });

  it('applies the role matrix: viewer reads, cannot manage; non-members get 403', async () => {
    const p = await kms.createProject('roles-project');
    const viewer = await kms.createMachineIdentity({ project: { id: p.id, role: 'viewer' } });
    const outsider = await kms.createMachineIdentity();
    const viewerToken = (await kms.login(viewer.clientId, viewer.clientSecret)).body.accessToken;
    const outsiderToken = (await kms.login(outsider.clientId, outsider.clientSecret)).body.accessToken;
    expect((await kms.call('GET', `/api/v1/workspace/${p.id}`, undefined, viewerToken)).status).toBe(200);
    const denied = await kms.call(
      'POST',
      `/api/v1/workspace/${p.id}/environments`,
      { name: 'x', slug: 'x' },
      viewerToken,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe('PermissionDenied');
    const add = await kms.call(
      'POST',
      `/api/v2/workspace/${p.id}/identity-memberships/${outsider.identityId}`,
      { role: 'viewer' },
      viewerToken,
    );
    expect(add.status).toBe(403);
    const foreign = await kms.call('GET', `/api/v1/workspace/${p.id}`, undefined, outsiderToken);
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toMatch(/not a member of the specified project/);
  });

  it('manages identity memberships with role sets (docs/reference/api.md, provisioning step 10)', async () => {
    const p = await kms.createProject('members-project');
    const { identity } = await kms.admin('POST', '/api/v1/identities', {
      name: 'm',
      organizationId: kms.orgId,
    });
    const base = `/api/v2/workspace/${p.id}/identity-memberships/${identity.id}`;
    const temporaryOnly = await kms.call(
      'POST',
      base,
      {
        roles: [
          {
            role: 'viewer',
            isTemporary: true,
            temporaryMode: 'relative',
            temporaryRange: '1h',
            temporaryAccessStartTime: new Date().toISOString(),
          },
        ],
      },
      kms.adminToken,
    );
    expect(temporaryOnly.body.message).toBe('Identity must have at least one permanent role');
    expect(
      (await kms.call('POST', base, { roles: [{ role: 'developer' }] }, kms.adminToken)).body.message,
    ).toBe('One or more custom roles not found');
    expect(
      (await kms.admin('POST', base, { roles: [{ role: 'viewer', isTemporary: false }] })).identityMembership
        .identityId,
    ).toBe(identity.id);
    expect((await kms.call('POST', base, { role: 'viewer' }, kms.adminToken)).body.message).toBe(
      'Identity is already a member',
    );
    const got = await kms.admin('GET', base);
    expect(got.identityMembership.roles[0].role).toBe('viewer');
    const patched = await kms.admin('PATCH', base, { roles: [{ role: 'member' }] });
    expect(patched.roles.map((r: any) => r.role)).toEqual(['member']);
    expect((await kms.admin('GET', `/api/v2/workspace/${p.id}/identity-memberships`)).totalCount).toBe(2);
    await kms.admin('DELETE', base);
    expect((await kms.call('DELETE', base, undefined, kms.adminToken)).body.message).toBe(
      "Identity doesn't have membership",
    );
    const v1 = await kms.admin('POST', `/api/v1/projects/${p.id}/memberships/identities/${identity.id}`, {
      roles: [{ role: 'admin' }],
    });
    expect(v1.identityMembership.projectId).toBe(p.id);
  });

  it('deletes a project unless delete protection is on', async () => {
    const p = await kms.admin('POST', '/api/v2/workspace', {
      projectName: 'keep',
      slug: 'keep-me',
      hasDeleteProtection: true,
    });
    const refused = await kms.call('DELETE', '/api/v2/workspace/keep-me', undefined, kms.adminToken);
    expect(refused.body).toMatchObject({ statusCode: 403, message: 'Project delete protection is enabled' });
    await kms.admin('PATCH', '/api/v2/workspace/keep-me', { hasDeleteProtection: false });
    await kms.admin('DELETE', `/api/v1/workspace/${p.project.id}`);
    expect((await kms.call('GET', '/api/v2/workspace/keep-me', undefined, kms.adminToken)).status).toBe(404);
  });
});
