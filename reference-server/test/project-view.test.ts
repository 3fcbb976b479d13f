// ProjectStore.getProjectView (src/store/repositories/projects.ts) on both engines: the one
// statement a project-scoped request starts with returns exactly what the separate reads return
// (project, membership with roles, environment, folders, a secret's rows, tags), for members and
// non-members, by id and by slug, and never a project of another organization.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { OpenedStore } from '../src/store/store.js';
import { createDatabase } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const engines = ['sqlite', 'postgres'] as const;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const byId = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));

describe.each(engines)('the project view on %s', (engine) => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  async function fixture() {
    let options: Parameters<typeof startTestServer>[0];
    if (engine === 'postgres') options = { databaseUrl: await createDatabase(inject('postgresAdminUrl')) };
    else {
      const dir = mkdtempSync(join(tmpdir(), 'kms-project-view-'));
      dirs.push(dir);
      options = { dataDir: dir };
    }
    const server = await startTestServer(options);
    s = server;
    const store = server.store as OpenedStore;
    const project = await server.createProject(`pv-${randomBytes(3).toString('hex')}`);
    const where = { workspaceId: project.id, environment: 'dev' };
    for (const [name, path] of [
      ['a', '/'],
      ['b', '/a'],
      ['c', '/'],
    ])
      await server.admin('POST', '/api/v1/folders', { ...where, name, path });
    const tags = `/api/v1/projects/${project.id}/tags`;
    const red = (await server.admin('POST', tags, { slug: 'red', color: '#f00' })).tag;
    await server.admin('POST', tags, { slug: 'blue', color: '#00f' });
    await server.admin('POST', '/api/v3/secrets/raw/SHARED', {
      ...where,
      secretValue: 'v-root',
      tagIds: [red.id],
    });
    await server.admin('POST', '/api/v3/secrets/raw/SHARED', {
      ...where,
      secretPath: '/a/b',
      secretValue: 'v-b',
    });
    await server.admin('POST', '/api/v3/secrets/raw/OTHER', { ...where, secretValue: 'o' });
    const member = await server.createMachineIdentity({ project: { id: project.id, role: 'viewer' } });
    // Two roles (a permanent and a temporary one) on a membership of an environment with four folders:
    // the view's rows must not multiply them.
    const membership = await store.projects.getMembership(project.id, member.identityId);
    const now = new Date().toISOString();
    const role = (name: string, temporary: boolean) => ({
      id: randomUUID(),
      role: name,
      isTemporary: temporary,
      temporaryMode: temporary ? 'relative' : null,
      temporaryRange: temporary ? '1h' : null,
      temporaryAccessStartTime: temporary ? now : null,
      temporaryAccessEndTime: temporary ? new Date(Date.now() + 3_600_000).toISOString() : null,
      createdAt: now,
      updatedAt: now,
    });
    await store.projects.replaceMembershipRoles(
      membership?.id as string,
      [role('viewer', false), role('member', true)],
      now,
    );
    const outsider = await server.createMachineIdentity();
    return { server, store, project, member, outsider, red: red.id as string };
  }

  it('returns what the separate reads return, by id and by slug, with and without a secret', async () => {
    const { server, store, project, member, red } = await fixture();
    const env = await store.projects.getEnvironmentBySlug(project.id, 'dev');
    if (!env) throw new Error('no dev environment');
    const folders = await store.secrets.listFolders(env.id);
    expect(folders).toHaveLength(4);
    const membership = await store.projects.getMembership(project.id, member.identityId);
    expect(membership?.roles).toHaveLength(2);
    const secretRows = (
      await Promise.all(folders.map((f) => store.secrets.getSecret(f.id, 'SHARED', 'shared')))
    ).filter((x) => x !== undefined);
    expect(secretRows).toHaveLength(2);
    const expectedProject = await store.projects.getProject(project.id);

    for (const ref of [{ id: project.id }, { orgId: server.orgId, slug: project.slug }]) {
      const plain = await store.projects.getProjectView(ref, member.identityId);
      expect(plain).toEqual({
        project: expectedProject,
        membership,
        environment: undefined,
        secret: undefined,
      });

      const withEnv = await store.projects.getProjectView(ref, member.identityId, { environment: 'dev' });
      expect(withEnv?.membership).toEqual(membership);
      expect(withEnv?.environment).toEqual({ record: env, folders });
      expect(withEnv?.secret).toBeUndefined();

      const withSecret = await store.projects.getProjectView(ref, member.identityId, {
        environment: 'dev',
        secretKey: 'SHARED',
      });
      expect(withSecret?.membership).toEqual(membership);
      expect(withSecret?.environment).toEqual({ record: env, folders });
      expect(withSecret?.secret?.key).toBe('SHARED');
      expect(byId(withSecret?.secret?.rows ?? [])).toEqual(byId(secretRows));
      const root = folders.find((f) => f.parentId === null);
      expect(withSecret?.secret?.rows.find((r) => r.folderId === root?.id)?.tagIds).toEqual([red]);
      expect(withSecret?.secret?.tags).toEqual(await store.secrets.listTags(project.id));
      expect(withSecret?.secret?.tags.map((t) => t.slug)).toEqual(['red', 'blue']);

      const none = await store.projects.getProjectView(ref, member.identityId, {
        environment: 'dev',
        secretKey: 'MISSING',
      });
      expect(none?.secret).toMatchObject({ key: 'MISSING', rows: [] });
      expect(none?.environment?.folders).toEqual(folders);
    }
  });

  it('reads the project for a non-member (no membership), and no environment for an unknown slug', async () => {
    const { store, project, outsider, member } = await fixture();
    const view = await store.projects.getProjectView({ id: project.id }, outsider.identityId, {
      environment: 'dev',
    });
    expect(view?.project.id).toBe(project.id);
    expect(view?.membership).toBeUndefined();
    const missing = await store.projects.getProjectView({ id: project.id }, member.identityId, {
      environment: 'nope',
      secretKey: 'SHARED',
    });
    expect(missing?.membership?.roles).toHaveLength(2);
    expect(missing?.environment).toBeUndefined();
    expect(missing?.secret?.rows).toEqual([]);
  });

  it('reads a token with the view in one statement: the same rows as the token lookup and the view alone', async () => {
    const { server, store, project, member, outsider } = await fixture();
    const tokenIdOf = async (identity: { clientId: string; clientSecret: string }) => {
      const jwt = (await server.login(identity.clientId, identity.clientSecret)).body.accessToken as string;
      return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString())
        .identityAccessTokenId as string;
    };
    for (const [identity, tokenId] of [
      [member, await tokenIdOf(member)],
      [outsider, await tokenIdOf(outsider)],
    ] as const) {
      const token = await store.access.getAccessTokenForRequest(tokenId);
      expect(token?.identity?.id).toBe(identity.identityId);
      for (const [ref, orgRef] of [
        [{ id: project.id }, { id: project.id }],
        [{ slug: project.slug }, { orgId: server.orgId, slug: project.slug }],
      ] as const) {
        for (const request of [
          {},
          { environment: 'dev' },
          { environment: 'dev', secretKey: 'SHARED' },
          { environment: 'nope', secretKey: 'SHARED' },
        ]) {
          const both = await store.projects.getProjectViewForToken(tokenId, ref, request);
          expect(both?.token).toEqual(token);
          expect(both?.view).toEqual(
            await store.projects.getProjectView(orgRef, identity.identityId, request),
          );
        }
      }
    }
    const memberToken = await tokenIdOf(member);
    // No such project: the token, and no view. No such token: nothing.
    expect(await store.projects.getProjectViewForToken(memberToken, { id: randomUUID() })).toEqual({
      token: await store.access.getAccessTokenForRequest(memberToken),
      view: undefined,
    });
    expect(
      (
        await store.projects.getProjectViewForToken(
          memberToken,
          { slug: 'no-such-slug' },
          { environment: 'dev' },
        )
      )?.view,
    ).toBeUndefined();
    expect(await store.projects.getProjectViewForToken(randomUUID(), { id: project.id })).toBeUndefined();
  });

  it('finds no project by an unknown id, or by its slug in another organization', async () => {
    const { store, project, member } = await fixture();
    expect(await store.projects.getProjectView({ id: randomUUID() }, member.identityId)).toBeUndefined();
    expect(
      await store.projects.getProjectView({ orgId: randomUUID(), slug: project.slug }, member.identityId, {
        environment: 'dev',
      }),
    ).toBeUndefined();
  });

  it('over HTTP: a token read with the project answers as a token read alone, before anything of the project', async () => {
    const { server, store, project } = await fixture();
    const list = (query: string, token: string) =>
      server.call('GET', `/api/v3/secrets/raw?${query}&secretPath=/`, undefined, token);
    const read = (query: string, token: string) =>
      server.call('GET', `/api/v3/secrets/raw/SHARED?${query}&secretPath=/`, undefined, token);
    const loggedIn = async (ua: Record<string, unknown> = {}) => {
      const identity = await server.createMachineIdentity({
        ua,
        project: { id: project.id, role: 'viewer' },
      });
      const jwt = (await server.login(identity.clientId, identity.clientSecret)).body.accessToken as string;
      const tokenId = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString())
        .identityAccessTokenId as string;
      return { jwt, tokenId };
    };
    const queries = [
      `workspaceId=${project.id}&environment=dev`,
      `workspaceSlug=${project.slug}&environment=dev`,
      `workspaceId=${randomUUID()}&environment=dev`, // no such project
      `workspaceId=${project.id}&environment=dev&recursive=maybe`, // invalid query: 422 for a good token
      'environment=dev', // no project: 400 for a good token
    ];
    // Revoked: 401 whatever the query and the project.
    const revoked = await loggedIn();
    await store.access.revokeAccessToken(revoked.tokenId, new Date().toISOString());
    for (const call of [list, read])
      for (const q of queries) {
        const r = await call(q, revoked.jwt);
        expect(r.status, q).toBe(401);
        expect(r.body.message).toBe('No identity access token found');
      }
    // From an address the token does not trust: 403, whatever the query.
    const untrusted = await loggedIn({ accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    for (const q of queries) {
      const r = await list(q, untrusted.jwt);
      expect(r.status, q).toBe(403);
      expect(r.body.message).toBe('You are not allowed to access this resource from the current IP address');
    }
    // A limited token: each request counts one use, whatever its answer, until none is left.
    const limited = await loggedIn({ accessTokenNumUsesLimit: queries.length + 1 });
    const statuses = [];
    for (const q of [...queries, queries[0] as string, queries[0] as string])
      statuses.push((await list(q, limited.jwt)).status);
    expect(statuses).toEqual([200, 200, 404, 422, 400, 200, 401]);
    // A good unlimited token: the same answers, each request counted once.
    const good = await loggedIn();
    const answers = [];
    for (const q of queries) answers.push((await list(q, good.jwt)).status);
    expect(answers).toEqual([200, 200, 404, 422, 400]);
    expect((await store.access.getAccessToken(good.tokenId))?.numUses).toBe(queries.length);
  });

  it('over HTTP: a non-member gets 403, another organization 404, an unknown environment 404 with a suggestion', async () => {
    const { server, project, outsider } = await fixture();
    const login = await server.login(outsider.clientId, outsider.clientSecret);
    const token = login.body.accessToken as string;
    const list = (query: string, t = server.adminToken) =>
      server.call('GET', `/api/v3/secrets/raw?${query}&secretPath=/`, undefined, t);
    const read = (query: string, t = server.adminToken) =>
      server.call('GET', `/api/v3/secrets/raw/SHARED?${query}&secretPath=/`, undefined, t);
    for (const call of [list, read]) {
      const denied = await call(`workspaceId=${project.id}&environment=dev`, token);
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ statusCode: 403, error: 'PermissionDenied' });
      expect(JSON.stringify(denied.body)).not.toContain('v-root');
      const unknown = await call(`workspaceId=${randomUUID()}&environment=dev`);
      expect(unknown.status).toBe(404);
      const env = await call(`workspaceId=${project.id}&environment=deev`);
      expect(env.status).toBe(404);
      expect(env.body.details).toEqual({ didYouMean: 'dev' });
    }
    const ok = await read(`workspaceSlug=${project.slug}&environment=dev`);
    expect(ok.status).toBe(200);
    expect(ok.body.secret).toMatchObject({
      secretKey: 'SHARED',
      secretValue: 'v-root',
      tags: [{ slug: 'red' }],
    });
  });
});
