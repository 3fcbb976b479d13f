import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenedStore } from '../src/store/store.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

// Regression tests for the defects a probe of the server found; each failed before its fix.
let kms: TestServer;
beforeEach(async () => {
  kms = await startTestServer();
});
afterEach(() => kms.close());

/** A logged-in identity with the given project role. */
async function member(project: { id: string }, role: string, orgRole?: string) {
  const id = await kms.createMachineIdentity({ project: { id: project.id, role } });
  if (orgRole) await kms.admin('PATCH', `/api/v1/identities/${id.identityId}`, { role: orgRole });
  const token = (await kms.login(id.clientId, id.clientSecret)).body.accessToken as string;
  return { ...id, token };
}

const db = () => (kms.store as OpenedStore).sql;

describe('authorization', () => {
  it('a project member cannot make itself or anyone admin, through any membership route', async () => {
    const p = await kms.createProject('escalate');
    const m = await member(p, 'member');
    const other = await kms.createMachineIdentity();
    const admin = [{ role: 'admin', isTemporary: false }];
    const temporaryAdmin = [
      { role: 'viewer', isTemporary: false },
      {
        role: 'admin',
        isTemporary: true,
        temporaryMode: 'relative',
        temporaryRange: '1h',
        temporaryAccessStartTime: new Date(kms.clock.now()).toISOString(),
      },
    ];
    const attempts: [string, string, unknown][] = [
      ['PATCH', `/api/v2/workspace/${p.id}/identity-memberships/${m.identityId}`, { roles: admin }],
      ['PATCH', `/api/v1/projects/${p.id}/memberships/identities/${m.identityId}`, { roles: admin }],
      ['PATCH', `/api/v2/workspace/${p.id}/identity-memberships/${m.identityId}`, { roles: temporaryAdmin }],
      ['POST', `/api/v2/workspace/${p.id}/identity-memberships/${other.identityId}`, { roles: admin }],
      ['POST', `/api/v1/projects/${p.id}/memberships/identities/${other.identityId}`, { role: 'admin' }],
      [
        'POST',
        `/api/v2/workspace/${p.id}/identity-memberships/${other.identityId}`,
        { roles: temporaryAdmin },
      ],
    ];
    for (const [method, path, body] of attempts) {
      const r = await kms.call(method, path, body, m.token);
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    const mine = await kms.admin('GET', `/api/v2/workspace/${p.id}/identity-memberships/${m.identityId}`);
    expect(mine.identityMembership.roles.map((r: { role: string }) => r.role)).toEqual(['member']);
    expect(
      (
        await kms.call(
          'GET',
          `/api/v2/workspace/${p.id}/identity-memberships/${other.identityId}`,
          undefined,
          m.token,
        )
      ).status,
    ).toBe(404);
    // And so it cannot delete the project.
    expect((await kms.call('DELETE', `/api/v1/projects/${p.id}`, undefined, m.token)).status).toBe(403);
  });

  it('nobody changes their own membership, and an admin grant stays within the granter', async () => {
    const p = await kms.createProject('self-change');
    const a = await member(p, 'admin');
    const self = await kms.call(
      'PATCH',
      `/api/v2/workspace/${p.id}/identity-memberships/${a.identityId}`,
      { roles: [{ role: 'viewer' }] },
      a.token,
    );
    expect(self.status).toBe(403);
    expect(self.body.message).toBe("You can't change your own membership");
    // A project admin may still manage others, within its own privileges.
    const v = await kms.createMachineIdentity();
    const added = await kms.call(
      'POST',
      `/api/v2/workspace/${p.id}/identity-memberships/${v.identityId}`,
      { role: 'viewer' },
      a.token,
    );
    expect(added.status).toBe(200);
  });

  it('a viewer granting more than it holds gets the boundary error naming what is missing', async () => {
    const p = await kms.createProject('boundary');
    const v = await member(p, 'viewer');
    const other = await kms.createMachineIdentity();
    const r = await kms.call(
      'POST',
      `/api/v2/workspace/${p.id}/identity-memberships/${other.identityId}`,
      { role: 'member' },
      v.token,
    );
    expect(r.status).toBe(403);
  });

  it('an org member cannot create an org admin, nor change its own org role', async () => {
    const p = await kms.createProject('org-roles');
    const orgAdmin = await member(p, 'viewer', 'admin');
    const self = await kms.call(
      'PATCH',
      `/api/v1/identities/${orgAdmin.identityId}`,
      { role: 'member' },
      orgAdmin.token,
    );
    expect(self.status).toBe(403);
    const orgMember = await member(p, 'viewer', 'member');
    const create = await kms.call(
      'POST',
      '/api/v1/identities',
      { name: 'x', organizationId: kms.orgId, role: 'admin' },
      orgMember.token,
    );
    expect(create.status).toBe(403);
  });

  it('an org member sees only the audit entries of projects it may read, not other projects', async () => {
    const mine = await kms.createProject('mine');
    const theirs = await kms.createProject('theirs');
    await kms.admin('POST', '/api/v3/secrets/raw/HIDDEN_KEY', {
      workspaceId: theirs.id,
      environment: 'dev',
      secretPath: '/',
      secretValue: 'v',
    });
    const m = await member(mine, 'viewer', 'member');
    const r = await kms.call('GET', '/api/v1/organization/audit-logs?limit=1000', undefined, m.token);
    expect(r.status).toBe(200);
    const projects = new Set(r.body.auditLogs.map((e: { projectId: string | null }) => e.projectId));
    expect(projects.has(theirs.id)).toBe(false);
    expect(JSON.stringify(r.body)).not.toContain('HIDDEN_KEY');
    expect(projects.has(mine.id)).toBe(true);
    // The org admin still sees everything.
    const all = await kms.admin('GET', '/api/v1/organization/audit-logs?limit=1000');
    expect(JSON.stringify(all)).toContain('HIDDEN_KEY');
  });

  it('the no-access role reads neither the project nor its environments', async () => {
    const p = await kms.createProject('closed');
    const n = await member(p, 'no-access');
    for (const path of [
      `/api/v1/projects/${p.id}`,
      `/api/v1/workspace/${p.id}`,
      `/api/v2/workspace/${p.id}`.replace(p.id, 'closed'),
      '/api/v1/projects/slug/closed',
      `/api/v1/projects/${p.id}/environments`,
      `/api/v1/workspace/${p.id}/environments`,
    ]) {
      expect((await kms.call('GET', path, undefined, n.token)).status, path).toBe(403);
    }
    const list = await kms.call('GET', '/api/v1/projects', undefined, n.token);
    expect(list.body.projects).toEqual([]);
  });

  it('reports an active lockout in activeLockoutAuthMethods', async () => {
    const id = await kms.createMachineIdentity();
    for (let i = 0; i < 3; i++) await kms.login(id.clientId, 'wrong');
    const got = await kms.admin('GET', `/api/v1/identities/${id.identityId}`);
    expect(got.identity.identity.activeLockoutAuthMethods).toEqual(['universal-auth']);
    kms.clock.advance(301);
    const later = await kms.admin('GET', `/api/v1/identities/${id.identityId}`);
    expect(later.identity.identity.activeLockoutAuthMethods).toEqual([]);
  });
});

describe('rate limits and tokens', () => {
  it('buckets match the normalised path: case and trailing slashes do not open a new budget', async () => {
    const limited = await startTestServer({ rateLimit: { authLimit: 2, globalLimit: 1000 } });
    try {
      const paths = [
        '/api/v1/auth/universal-auth/login',
        '/api/v1/auth/universal-auth/login/',
        '/API/V1/AUTH/universal-auth/login',
      ];
      const statuses = [];
      for (const path of paths)
        statuses.push((await limited.call('POST', path, { clientId: 'x', clientSecret: 'y' })).status);
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await limited.close();
    }
  });

  it('has a global budget across buckets', async () => {
    const limited = await startTestServer({ rateLimit: { globalLimit: 3 } });
    try {
      const statuses = [];
      for (const path of ['/api/v1/projects', '/api/v1/identities', '/api/v3/secrets/raw', '/api/v1/folders'])
        statuses.push((await limited.call('GET', path, undefined, limited.adminToken)).status);
      expect(statuses.slice(3)).toEqual([429]);
      expect((await limited.call('GET', '/api/status')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('accepts exactly "Bearer <token>" and one canonical encoding of the signature', async () => {
    const p = await kms.createProject('bearer');
    const v = await member(p, 'viewer');
    const path = `/api/v1/projects/${p.id}`;
    const as = (authorization: string) => kms.call('GET', path, undefined, undefined, { authorization });
    expect((await as(`Bearer ${v.token}`)).status).toBe(200);
    expect((await as(`bearer ${v.token}`)).status).toBe(200);
    expect((await as(`Basic12${v.token}`)).status).toBe(401);
    expect((await as(`Token  ${v.token}`)).status).toBe(401);
    expect((await as(v.token)).status).toBe(401);
    expect((await as(`Bearer ${v.token}=`)).status).toBe(403);
    // The last signature character carries spare bits: a different character decoding alike is refused.
    const last = v.token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect((await as(`Bearer ${v.token.slice(0, -1)}${twin}`)).status).toBe(403);
  });

  it('revoking a client secret revokes the tokens issued with it', async () => {
    const p = await kms.createProject('revoke-cs');
    const v = await member(p, 'viewer');
    const secrets = await kms.admin(
      'GET',
      `/api/v1/auth/universal-auth/identities/${v.identityId}/client-secrets`,
    );
    const csId = secrets.clientSecretData[0].id;
    expect((await kms.call('GET', `/api/v1/projects/${p.id}`, undefined, v.token)).status).toBe(200);
    await kms.admin(
      'POST',
      `/api/v1/auth/universal-auth/identities/${v.identityId}/client-secrets/${csId}/revoke`,
    );
    const after = await kms.call('GET', `/api/v1/projects/${p.id}`, undefined, v.token);
    expect(after.status).toBe(401);
  });

  it('purges dead token rows at start and keeps live ones', async () => {
    const id = await kms.createMachineIdentity({ ua: { accessTokenTTL: 60, accessTokenMaxTTL: 60 } });
    await kms.login(id.clientId, id.clientSecret);
    const live = await kms.createMachineIdentity({ ua: { accessTokenTTL: 3600, accessTokenMaxTTL: 3600 } });
    await kms.login(live.clientId, live.clientSecret);
    kms.clock.advance(120);
    const count = async () =>
      ((await db().one('SELECT COUNT(*) AS n FROM access_tokens')) as { n: number }).n;
    const before = await count();
    expect(await kms.store.access.purgeDeadAccessTokens(kms.clock.now())).toBe(1);
    expect(await count()).toBe(before - 1);
  });
});

describe('bad input answers 4xx, never 500', () => {
  it('a malformed percent escape in a path parameter is a 400', async () => {
    for (const [method, path] of [
      ['DELETE', '/api/v1/projects/%ZZ'],
      ['GET', '/api/v1/identities/%E0%A4%A'],
      ['PATCH', '/api/v3/secrets/raw/%'],
    ] as const) {
      const r = await kms.call(method, path, method === 'GET' ? undefined : {}, kms.adminToken);
      expect(r.status, path).toBe(400);
      expect(r.body.error).toBe('BadRequest');
    }
  });

  it('bounds temporaryRange', async () => {
    const p = await kms.createProject('range');
    const other = await kms.createMachineIdentity();
    const r = await kms.call(
      'POST',
      `/api/v2/workspace/${p.id}/identity-memberships/${other.identityId}`,
      {
        roles: [
          { role: 'viewer' },
          {
            role: 'member',
            isTemporary: true,
            temporaryMode: 'relative',
            temporaryRange: '9999999999w',
            temporaryAccessStartTime: new Date().toISOString(),
          },
        ],
      },
      kms.adminToken,
    );
    expect(r.status).toBe(400);
  });

  it('validates audit eventMetadata keys', async () => {
    for (const q of ['.%3D1', '%24..a%3D1', 'a..b%3D1', 'a%5B0%5D%3D1']) {
      const r = await kms.call('GET', `/api/v1/audit-logs?eventMetadata=${q}`, undefined, kms.adminToken);
      expect(r.status, q).toBe(422);
    }
    const ok = await kms.call('GET', '/api/v1/audit-logs?eventMetadata=slug%3Dx', undefined, kms.adminToken);
    expect(ok.status).toBe(200);
  });

  it('caps membership roles and trusted-IP ranges', async () => {
    const p = await kms.createProject('caps');
    const other = await kms.createMachineIdentity();
    const roles = await kms.call(
      'POST',
      `/api/v2/workspace/${p.id}/identity-memberships/${other.identityId}`,
      { roles: Array.from({ length: 5000 }, () => ({ role: 'viewer' })) },
      kms.adminToken,
    );
    expect(roles.status).toBe(422);
    const ips = await kms.call(
      'PATCH',
      `/api/v1/auth/universal-auth/identities/${other.identityId}`,
      {
        accessTokenTrustedIps: Array.from({ length: 5001 }, (_, i) => ({
          ipAddress: `10.0.${i >> 8}.${i & 255}`,
        })),
      },
      kms.adminToken,
    );
    expect(ips.status).toBe(422);
  });

  it('applies the folder-name rule to every segment of the parent path', async () => {
    const p = await kms.createProject('segments');
    for (const path of ['/a;b', '/${x}', '/.hidden', '/with space', '/ok/%2e%2e']) {
      const r = await kms.call(
        'POST',
        '/api/v1/folders',
        { workspaceId: p.id, environment: 'dev', path, name: 'leaf' },
        kms.adminToken,
      );
      expect(r.status, path).toBe(422);
    }
    const folders = await kms.admin(
      'GET',
      `/api/v1/folders?workspaceId=${p.id}&environment=dev&recursive=true`,
    );
    expect(folders.folders).toEqual([]);
  });
});

describe('stored data', () => {
  it('seals the secret reminder note; it reads back but is not in the database in plaintext', async () => {
    const p = await kms.createProject('reminder');
    await kms.admin('POST', '/api/v3/secrets/raw/NOTE_KEY', {
      workspaceId: p.id,
      environment: 'dev',
      secretPath: '/',
      secretValue: 'v',
      secretReminderNote: 'rotate-me-note-text',
    });
    const row = await db().one("SELECT * FROM secrets WHERE key = 'NOTE_KEY'");
    expect(JSON.stringify(row)).not.toContain('rotate-me-note-text');
    const got = await kms.admin(
      'GET',
      `/api/v3/secrets/raw/NOTE_KEY?workspaceId=${p.id}&environment=dev&secretPath=/`,
    );
    expect(got.secret.secretReminderNote).toBe('rotate-me-note-text');
  });

  it('covers every stored audit column by the keyed chain, and detects a truncated tail', async () => {
    await kms.createProject('chain-a');
    await kms.createProject('chain-b');
    expect(await kms.verifyAuditLog()).toMatchObject({ ok: true });
    const last = ((await db().one('SELECT MAX(seq) AS n FROM audit_logs')) as { n: number }).n;
    await db().run("UPDATE audit_logs SET project_name = 'renamed' WHERE seq = ?", [last]);
    expect(await kms.verifyAuditLog()).toMatchObject({ ok: false, brokenAt: { seq: last } });
    await db().run("UPDATE audit_logs SET project_name = 'chain-b', user_agent_type = 'web' WHERE seq = ?", [
      last,
    ]);
    expect(await kms.verifyAuditLog()).toMatchObject({ ok: false, brokenAt: { seq: last } });
    await db().run("UPDATE audit_logs SET user_agent_type = 'other' WHERE seq = ?", [last]);
    expect(await kms.verifyAuditLog()).toMatchObject({ ok: true });
    await db().run('DELETE FROM audit_logs WHERE seq = ?', [last]);
    const truncated = await kms.verifyAuditLog();
    expect(truncated.ok).toBe(false);
  });

  it('a chain recomputed without the key (plain SHA-256) does not verify', async () => {
    await kms.createProject('forge');
    const { createHash } = await import('node:crypto');
    // An attacker with database access but no root key rewrites the last entry as an unkeyed one.
    const last = (await db().one('SELECT * FROM audit_logs ORDER BY seq DESC LIMIT 1')) as Record<
      string,
      unknown
    >;
    const forged = createHash('sha256').update('anything').digest('hex');
    await db().run('UPDATE audit_logs SET chain_version = 1, hash = ? WHERE seq = ?', [forged, last.seq]);
    await db().run('UPDATE audit_head SET last_hash = ? WHERE id = 1', [forged]);
    expect((await kms.verifyAuditLog()).ok).toBe(false);
  });
});
