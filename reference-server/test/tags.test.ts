import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qs, type SecretsFixture, startSecretsFixture } from './helpers/secrets-fixture.js';

let kms: SecretsFixture;
beforeAll(async () => {
  kms = await startSecretsFixture();
});
afterAll(() => kms.close());

describe('tags', () => {
  it('CRUD on the projects tree, with the deprecated workspace tree keys', async () => {
    const project = await kms.newProject();
    const base = `/api/v1/projects/${project.id}/tags`;
    const { tag } = await kms.admin('POST', base, { slug: 'backend', color: '#3b82f6', name: 'ignored' });
    expect(Object.keys(tag).sort()).toEqual(
      [
        'color',
        'createdAt',
        'createdBy',
        'createdByActorType',
        'id',
        'projectId',
        'slug',
        'updatedAt',
      ].sort(),
    );
    expect(tag).toMatchObject({ slug: 'backend', projectId: project.id, createdByActorType: 'identity' });
    const dup = await kms.call('POST', base, {
      token: kms.adminToken,
      body: { slug: 'backend', color: '#000' },
    });
    expect(dup.body).toMatchObject({ statusCode: 400, message: 'Tag already exists' });
    expect(
      (await kms.call('POST', base, { token: kms.adminToken, body: { slug: 'Bad Slug', color: '#0' } }))
        .status,
    ).toBe(422);

    const old = await kms.admin('POST', `/api/v1/workspace/${project.id}/tags`, {
      slug: 'frontend',
      color: '#f00',
    });
    expect(old.workspaceTag.slug).toBe('frontend');
    expect((await kms.admin('GET', base)).tags.map((t: any) => t.slug)).toEqual(['backend', 'frontend']);
    expect((await kms.admin('GET', `/api/v1/workspace/${project.id}/tags`)).workspaceTags).toHaveLength(2);
    expect((await kms.admin('GET', `${base}/${tag.id}`)).tag).toMatchObject({ name: 'backend' });
    expect((await kms.admin('GET', `${base}/slug/frontend`)).tag).toMatchObject({ name: 'frontend' });
    expect((await kms.call('GET', `${base}/slug/none`, { token: kms.adminToken })).body.message).toBe(
      "Tag with slug 'none' not found",
    );
    expect((await kms.call('GET', `${base}/nope`, { token: kms.adminToken })).body.message).toBe(
      "Tag with ID 'nope' not found",
    );
    expect(
      (await kms.call('PATCH', `${base}/${tag.id}`, { token: kms.adminToken, body: { slug: 'api' } })).status,
    ).toBe(422);
    const patched = await kms.admin('PATCH', `${base}/${tag.id}`, { slug: 'api', color: '#111' });
    expect(patched.tag).toMatchObject({ slug: 'api', color: '#111' });
    const clash = await kms.call('PATCH', `${base}/${tag.id}`, {
      token: kms.adminToken,
      body: { slug: 'frontend', color: '#111' },
    });
    expect(clash.status).toBe(400);
    const deleted = await kms.admin('DELETE', `/api/v1/workspace/${project.id}/tags/${old.workspaceTag.id}`);
    expect(deleted.workspaceTag.slug).toBe('frontend');
    expect((await kms.admin('GET', base)).tags).toHaveLength(1);

    const viewer = await kms.identityToken(project, 'viewer');
    expect((await kms.call('GET', base, { token: viewer })).status).toBe(200);
    expect((await kms.call('POST', base, { token: viewer, body: { slug: 'v', color: '#1' } })).status).toBe(
      403,
    );
  });

  it('tags secrets, filters the list by tagSlugs (any tag) and shows tags on reads', async () => {
    const project = await kms.newProject();
    const base = `/api/v1/projects/${project.id}/tags`;
    const a = (await kms.admin('POST', base, { slug: 'a', color: '#a' })).tag;
    const b = (await kms.admin('POST', base, { slug: 'b', color: '#b' })).tag;
    const where = { workspaceId: project.id, environment: 'dev' };
    await kms.admin('POST', '/api/v3/secrets/raw/ONLY_A', { ...where, secretValue: '1', tagIds: [a.id] });
    await kms.admin('POST', '/api/v3/secrets/batch/raw', {
      ...where,
      secrets: [
        { secretKey: 'BOTH', secretValue: '2', tagIds: [a.id, b.id] },
        { secretKey: 'NONE', secretValue: '3' },
      ],
    });
    const keys = async (tagSlugs?: string) =>
      (await kms.admin('GET', `/api/v3/secrets/raw${qs({ ...where, tagSlugs })}`)).secrets.map(
        (s: any) => s.secretKey,
      );
    expect(await keys()).toEqual(['ONLY_A', 'BOTH', 'NONE']);
    expect(await keys('a')).toEqual(['ONLY_A', 'BOTH']);
    expect(await keys('b')).toEqual(['BOTH']);
    expect(await keys('b,zzz')).toEqual(['BOTH']);
    expect(await keys('zzz')).toEqual([]);
    const one = await kms.admin('GET', `/api/v3/secrets/raw/BOTH${qs(where)}`);
    expect(one.secret.tags).toEqual([
      { id: a.id, slug: 'a', color: '#a', name: 'a' },
      { id: b.id, slug: 'b', color: '#b', name: 'b' },
    ]);
    // tagIds on update replaces the set; deleting a tag unlinks it.
    await kms.admin('PATCH', '/api/v3/secrets/raw/NONE', { ...where, tagIds: [b.id] });
    expect(await keys('b')).toEqual(['BOTH', 'NONE']);
    await kms.admin('DELETE', `${base}/${b.id}`);
    expect(await keys('b')).toEqual([]);
    const after = await kms.admin('GET', `/api/v3/secrets/raw/BOTH${qs(where)}`);
    expect(after.secret.tags.map((t: any) => t.slug)).toEqual(['a']);
  });
});
