import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { auditChainKey, verifyAuditChain } from '../src/audit/audit-log.js';
import { newTokenRecord } from '../src/auth/access-tokens.js';
import type {
  AccessTokenSettings,
  AuditRecord,
  EnvironmentRecord,
  MembershipRecord,
  ProjectRecord,
  SecretImportRecord,
  SecretRecord,
} from '../src/store/records.js';
import { StoreConflictError } from '../src/store/contract.js';
import { migrations } from '../src/store/sql/migrations.js';
import { type OpenedStore, openStore, type Store, type StoreLocation } from '../src/store/store.js';
import { createDatabase } from './helpers/postgres.js';

/**
 * One repository suite, run against both engines. On PostgreSQL each test opens two stores (two
 * pools) on one database, as two replicas would, and races them where the contract promises an
 * exact result. SQLite is one process's store (one connection; better-sqlite3 waits for a file
 * lock synchronously, so two connections in one process would block each other), so there the
 * "replicas" are one store raced by concurrent requests.
 */

const engines = ['sqlite', 'postgres'] as const;
type Engine = (typeof engines)[number];

const sqliteDirs: string[] = [];
afterAll(() => {
  for (const dir of sqliteDirs) rmSync(dir, { recursive: true, force: true });
});

async function newLocation(engine: Engine): Promise<StoreLocation> {
  if (engine === 'postgres') return { postgres: { url: await createDatabase(inject('postgresAdminUrl')) } };
  const dir = mkdtempSync(join(tmpdir(), 'kms-store-'));
  sqliteDirs.push(dir);
  return { sqlite: join(dir, 'kms.db') };
}

const settings: AccessTokenSettings = {
  accessTokenTTL: 3600,
  accessTokenMaxTTL: 7200,
  accessTokenNumUsesLimit: 0,
  accessTokenPeriod: 0,
  accessTokenTrustedIps: [],
};

const iso = (ms = Date.now()) => new Date(ms).toISOString();

/** Bootstraps an instance (org, admin identity with Token Auth) and returns what tests build on. */
async function bootstrap(store: Store) {
  await store.access.initConfig({
    initialized: false,
    adminIdentityIds: [],
    jwtSecret: { wrapped: 'wrapped-signing-secret', keyId: 'test' },
  });
  const now = Date.now();
  const org = { id: randomUUID(), name: 'Org', slug: 'org', createdAt: iso(now), updatedAt: iso(now) };
  const identity = {
    id: randomUUID(),
    name: 'admin',
    orgId: org.id,
    orgRole: 'admin',
    hasDeleteProtection: false,
    metadata: [],
    lastLoginAuthMethod: null,
    lastLoginTime: null,
    createdAt: iso(now),
    updatedAt: iso(now),
  };
  const tokenAuth = {
    id: randomUUID(),
    identityId: identity.id,
    method: 'token-auth' as const,
    clientId: null,
    config: settings,
    createdAt: iso(now),
    updatedAt: iso(now),
  };
  const token = newTokenRecord(identity.id, 'token-auth', settings, now);
  const ok = await store.access.bootstrap({
    org,
    user: {
      id: randomUUID(),
      email: 'a@example.test',
      passwordHash: 'x',
      superAdmin: true,
      orgId: org.id,
      createdAt: iso(now),
      updatedAt: iso(now),
    },
    identity,
    tokenAuth,
    token,
  });
  expect(ok).toBe(true);
  return { org, identity, tokenAuth, token };
}

/** A project with one environment; returns the root folder id too. */
async function newProject(store: Store, orgId: string, identityId: string) {
  const now = iso();
  const project: ProjectRecord = {
    id: randomUUID(),
    orgId,
    name: 'P',
    slug: `p-${randomBytes(3).toString('hex')}`,
    description: null,
    type: 'secret-manager',
    autoCapitalization: false,
    hasDeleteProtection: false,
    dataKey: { wrapped: `wrapped-${randomUUID()}`, keyId: 'root-1' },
    contentVersion: 1,
    pitVersionLimit: 10,
    createdAt: now,
    updatedAt: now,
  };
  const env: EnvironmentRecord = {
    id: randomUUID(),
    projectId: project.id,
    name: 'Development',
    slug: 'dev',
    position: 1,
    createdAt: now,
    updatedAt: now,
  };
  const membership: MembershipRecord = {
    id: randomUUID(),
    projectId: project.id,
    identityId,
    roles: [
      {
        id: randomUUID(),
        role: 'admin',
        isTemporary: false,
        temporaryMode: null,
        temporaryRange: null,
        temporaryAccessStartTime: null,
        temporaryAccessEndTime: null,
        createdAt: now,
        updatedAt: now,
      },
    ],
    createdAt: now,
    updatedAt: now,
  };
  const rootFolderId = randomUUID();
  await store.projects.createProject({
    project,
    environments: [env],
    rootFolderIds: [rootFolderId],
    creatorMembership: membership,
  });
  return { project, env, rootFolderId, membership };
}

function secret(folderId: string, envId: string, key: string, createdAt = iso()): SecretRecord {
  return {
    id: randomUUID(),
    folderId,
    envId,
    key,
    type: 'shared',
    version: 1,
    valueCiphertext: `sealed:${key}`,
    commentCiphertext: '',
    metadataCiphertext: '',
    skipMultilineEncoding: false,
    reminderNote: null,
    reminderRepeatDays: null,
    actor: null,
    tagIds: [],
    createdAt,
    updatedAt: createdAt,
  };
}

describe.each(engines)('store contract on %s', (engine) => {
  const open: Store[] = [];
  /** Two stores on one new database: replica A and replica B. */
  async function replicas(): Promise<[Store, Store]> {
    const location = await newLocation(engine);
    const a = await openStore(location);
    const b = engine === 'postgres' ? await openStore(location) : a;
    open.push(...new Set([a, b]));
    return [a, b];
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('reports its engine and answers a ping', async () => {
    const [a] = await replicas();
    expect(a.engine).toBe(engine);
    await expect(a.ping()).resolves.toBeUndefined();
  });

  it('migrates an empty database once when several replicas start together', async () => {
    const location = await newLocation(engine);
    const starts = engine === 'postgres' ? 4 : 1;
    const stores = await Promise.all(Array.from({ length: starts }, () => openStore(location)));
    open.push(...stores);
    const a = stores[0] as OpenedStore;
    // Every replica came up; the schema answers and each migration is recorded exactly once.
    await expect(a.access.getConfig()).resolves.toBeUndefined();
    const versions = await a.sql.all<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(versions.map((v) => v.version)).toEqual(migrations.map((m) => m.version));
    const again = await openStore(location);
    open.push(again);
    await expect(again.access.getConfig()).resolves.toBeUndefined();
  });

  it('keeps the first config when two replicas initialize it at the same moment', async () => {
    const [a, b] = await replicas();
    const [first, second] = await Promise.all([
      a.access.initConfig({
        initialized: false,
        adminIdentityIds: [],
        jwtSecret: { wrapped: 'A', keyId: 'k' },
      }),
      b.access.initConfig({
        initialized: false,
        adminIdentityIds: [],
        jwtSecret: { wrapped: 'B', keyId: 'k' },
      }),
    ]);
    expect(first.jwtSecret.wrapped).toBe(second.jwtSecret.wrapped);
    expect((await a.access.getConfig())?.jwtSecret.wrapped).toBe(first.jwtSecret.wrapped);
  });

  it('bootstraps once: a second bootstrap (another replica) changes nothing', async () => {
    const [a, b] = await replicas();
    const { org } = await bootstrap(a);
    const again = await b.access.bootstrap({
      org: { ...org, id: randomUUID(), slug: 'other' },
      user: {
        id: randomUUID(),
        email: 'b@example.test',
        passwordHash: 'x',
        superAdmin: true,
        orgId: org.id,
        createdAt: iso(),
        updatedAt: iso(),
      },
      identity: {
        id: randomUUID(),
        name: 'x',
        orgId: org.id,
        orgRole: 'admin',
        hasDeleteProtection: false,
        metadata: [],
        lastLoginAuthMethod: null,
        lastLoginTime: null,
        createdAt: iso(),
        updatedAt: iso(),
      },
      tokenAuth: {
        id: randomUUID(),
        identityId: randomUUID(),
        method: 'token-auth',
        clientId: null,
        config: settings,
        createdAt: iso(),
        updatedAt: iso(),
      },
      token: newTokenRecord(randomUUID(), 'token-auth', settings, Date.now()),
    });
    expect(again).toBe(false);
    expect(await b.access.getOrganizationBySlug('other')).toBeUndefined();
  });

  it('counts token uses exactly: replicas racing on the last uses, exactly the limit wins', async () => {
    const [a, b] = await replicas();
    const { identity } = await bootstrap(a);
    const token = newTokenRecord(
      identity.id,
      'token-auth',
      { ...settings, accessTokenNumUsesLimit: 3 },
      Date.now(),
    );
    await a.access.insertAccessToken(token);
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).access.consumeAccessTokenUse(token.id, iso())),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
    expect((await b.access.getAccessToken(token.id))?.numUses).toBe(3);
  });

  it('counts client-secret uses exactly across replicas', async () => {
    const [a, b] = await replicas();
    const { identity } = await bootstrap(a);
    const method = {
      id: randomUUID(),
      identityId: identity.id,
      method: 'universal-auth' as const,
      clientId: randomUUID(),
      config: {
        ...settings,
        clientSecretTrustedIps: [],
        lockoutEnabled: true,
        lockoutThreshold: 3,
        lockoutDurationSeconds: 300,
        lockoutCounterResetSeconds: 30,
      },
      createdAt: iso(),
      updatedAt: iso(),
    };
    await a.access.insertAuthMethod(method);
    const cs = {
      id: randomUUID(),
      authMethodId: method.id,
      description: '',
      prefix: 'abcd',
      secretHash: 'h',
      ttl: 0,
      numUses: 0,
      numUsesLimit: 2,
      isRevoked: false,
      createdAt: iso(),
      updatedAt: iso(),
    };
    await a.access.insertClientSecret(cs);
    const used = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).access.consumeClientSecretUse(cs.id, iso())),
    );
    expect(used.filter(Boolean)).toHaveLength(2);
  });

  it('counts every concurrent failed login in the shared lockout', async () => {
    const [a, b] = await replicas();
    const { identity } = await bootstrap(a);
    const methodId = randomUUID();
    await a.access.insertAuthMethod({
      id: methodId,
      identityId: identity.id,
      method: 'universal-auth',
      clientId: randomUUID(),
      config: settings,
      createdAt: iso(),
      updatedAt: iso(),
    });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).access.updateLockout(methodId, (current) => ({
          authMethodId: methodId,
          failures: (current?.failures ?? 0) + 1,
          windowStartedAt: current?.windowStartedAt ?? 1,
          lockedUntil: null,
        })),
      ),
    );
    expect((await a.access.getLockout(methodId))?.failures).toBe(12);
    expect(await b.access.clearLockouts(methodId)).toBe(1);
    expect(await a.access.getLockout(methodId)).toBeUndefined();
  });

  it('never lets a renewal undo a revocation, and renames without touching uses', async () => {
    const [a, b] = await replicas();
    const { identity } = await bootstrap(a);
    const token = newTokenRecord(
      identity.id,
      'token-auth',
      { ...settings, accessTokenNumUsesLimit: 5 },
      Date.now(),
    );
    await a.access.insertAccessToken(token);
    await a.access.consumeAccessTokenUse(token.id, iso());
    await b.access.renameAccessToken(token.id, 'renamed', iso());
    expect(await a.access.getAccessToken(token.id)).toMatchObject({ name: 'renamed', numUses: 1 });
    expect(await b.access.revokeAccessToken(token.id, iso())).toBe(true);
    expect(await a.access.renewAccessToken(token.id, Date.now(), iso())).toBe(false);
    expect(await a.access.revokeAccessToken(token.id, iso())).toBe(false);
    expect((await b.access.getAccessToken(token.id))?.isRevoked).toBe(true);
    expect(await a.access.consumeAccessTokenUse(token.id, iso())).toBeUndefined();
  });

  it('purges dead token rows and keeps live ones', async () => {
    const [a, b] = await replicas();
    const { identity } = await bootstrap(a);
    const now = Date.now();
    const expired = newTokenRecord(
      identity.id,
      'token-auth',
      { ...settings, accessTokenTTL: 1 },
      now - 60_000,
    );
    const live = newTokenRecord(identity.id, 'token-auth', settings, now);
    await a.access.insertAccessToken(expired);
    await a.access.insertAccessToken(live);
    const purged = await Promise.all([
      a.access.purgeDeadAccessTokens(now),
      b.access.purgeDeadAccessTokens(now),
    ]);
    expect(purged[0] + purged[1]).toBe(1);
    expect(await a.access.getAccessToken(expired.id)).toBeUndefined();
    expect(await a.access.getAccessToken(live.id)).toBeDefined();
  });

  it('serializes audit appends from several replicas into one chain that verifies', async () => {
    const [a, b] = await replicas();
    const key = auditChainKey(randomBytes(32));
    await a.audit.checkTail(key);
    const entry = (i: number): Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'> => ({
      id: randomUUID(),
      orgId: null,
      projectId: null,
      projectName: null,
      eventType: 'get-secrets',
      eventMetadata: { environment: i % 2 ? 'dev' : 'prod', n: i },
      actorType: 'identity',
      actorMetadata: { identityId: i % 3 ? 'id-a' : 'id-b' },
      ipAddress: '127.0.0.1',
      userAgent: null,
      userAgentType: null,
      createdAt: iso(),
      expiresAt: iso(Date.now() + 86_400_000),
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).audit.append(entry(i), key)));
    const verified = await verifyAuditChain(b.audit.all(), { key, head: await b.audit.head() });
    expect(verified).toMatchObject({ ok: true, entries: 40 });
    expect((await a.audit.head())?.total).toBe(40);
    // JSON filters answer the same on both engines.
    const dev = await a.audit.query({ environment: 'dev', offset: 0, limit: 100 });
    expect(dev).toHaveLength(20);
    expect(await b.audit.query({ actorId: 'id-b', offset: 0, limit: 100 })).toHaveLength(14);
    expect(await b.audit.query({ eventMetadata: { n: '7' }, offset: 0, limit: 100 })).toHaveLength(1);
    expect(
      await a.audit.query({ visibleTo: { projectIds: [], actorId: 'id-a' }, offset: 0, limit: 100 }),
    ).toHaveLength(26);
  });

  it('purges expired audit entries but keeps the newest, and the rest still verifies', async () => {
    const [a] = await replicas();
    const key = auditChainKey(randomBytes(32));
    await a.audit.checkTail(key);
    for (let i = 0; i < 5; i++) {
      await a.audit.append(
        {
          id: randomUUID(),
          orgId: null,
          projectId: null,
          projectName: null,
          eventType: 'x',
          eventMetadata: {},
          actorType: 'identity',
          actorMetadata: {},
          ipAddress: null,
          userAgent: null,
          userAgentType: null,
          createdAt: iso(),
          expiresAt: iso(Date.now() - 1000),
        },
        key,
      );
    }
    expect(await a.audit.purgeExpired(iso())).toBe(4);
    const verified = await verifyAuditChain(a.audit.all(), { key, head: await a.audit.head() });
    expect(verified).toMatchObject({ ok: true, entries: 1 });
  });

  it('lets exactly one of two concurrent updates of a secret version win', async () => {
    const [a, b] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { env, rootFolderId } = await newProject(a, org.id, identity.id);
    const s = secret(rootFolderId, env.id, 'API_KEY');
    await a.secrets.writeSecrets({ inserts: [s], updates: [], deletes: [] });
    const next = (value: string) => ({ ...s, version: 2, valueCiphertext: value });
    const outcomes = await Promise.allSettled([
      a.secrets.writeSecrets({
        inserts: [],
        updates: [{ secret: next('A'), previousVersion: 1 }],
        deletes: [],
      }),
      b.secrets.writeSecrets({
        inserts: [],
        updates: [{ secret: next('B'), previousVersion: 1 }],
        deletes: [],
      }),
    ]);
    const rejected = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(StoreConflictError);
    // A stale write fails with "stale", or (PostgreSQL) on the version row's unique key: both are conflicts.
    const stored = await b.secrets.getSecret(rootFolderId, 'API_KEY', 'shared');
    expect(stored?.version).toBe(2);
    expect(await a.secrets.getSecretVersion(s.id, 2)).toMatchObject({
      valueCiphertext: stored?.valueCiphertext,
    });
  });

  it('refuses a taken name with a StoreConflictError of kind unique', async () => {
    const [a, b] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { project, env, rootFolderId } = await newProject(a, org.id, identity.id);
    const tag = {
      id: randomUUID(),
      projectId: project.id,
      slug: 'prod',
      color: '#fff',
      createdBy: null,
      createdByActorType: null,
      createdAt: iso(),
      updatedAt: iso(),
    };
    await a.secrets.insertTag(tag);
    await expect(b.secrets.insertTag({ ...tag, id: randomUUID() })).rejects.toMatchObject({
      name: 'StoreConflictError',
      kind: 'unique',
    });
    const s = secret(rootFolderId, env.id, 'DUP');
    await a.secrets.writeSecrets({ inserts: [s], updates: [], deletes: [] });
    await expect(
      b.secrets.writeSecrets({ inserts: [{ ...s, id: randomUUID() }], updates: [], deletes: [] }),
    ).rejects.toMatchObject({ kind: 'unique' });
  });

  it('gives concurrent imports of one folder distinct positions, and closes gaps on delete', async () => {
    const [a, b] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { env, rootFolderId } = await newProject(a, org.id, identity.id);
    const base = {
      folderId: rootFolderId,
      importEnvId: env.id,
      isReplication: false,
      version: 1,
      createdAt: iso(),
      updatedAt: iso(),
    };
    const stored = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).secrets.insertImport({ ...base, id: randomUUID(), importPath: `/p${i}` }),
      ),
    );
    expect(stored.map((s) => s.position).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const third = stored.find((s) => s.position === 3);
    await Promise.all([
      a.secrets.deleteImport(third?.id as string),
      b.secrets.deleteImport(third?.id as string),
    ]);
    const positions = (await a.secrets.listImports([rootFolderId])).map((i) => i.position);
    expect(positions).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const moved = await b.secrets.updateImport({
      ...(stored.find((s) => s.position === 8) as SecretImportRecord),
      position: 1,
    });
    expect(moved.position).toBe(1);
    expect((await a.secrets.listImports([rootFolderId])).map((i) => i.position)).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
  });

  it('sorts the same way on both engines: byte order for text, insertion order for ties', async () => {
    const [a] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { env, rootFolderId } = await newProject(a, org.id, identity.id);
    // Later than the project's root folder, whatever the clock's resolution.
    const at = iso(Date.now() + 1000);
    const keys = ['b', 'B', 'a', '_x', 'Z', 'é', '10', '9'];
    await a.secrets.writeSecrets({
      inserts: keys.map((k) => secret(rootFolderId, env.id, k, at)),
      updates: [],
      deletes: [],
    });
    // Same created_at: insertion order.
    expect((await a.secrets.listSecrets([rootFolderId])).map((s) => s.key)).toEqual(keys);
    const folders = ['beta', 'Alpha', 'alpha', 'Émile'].map((name) => ({
      id: randomUUID(),
      envId: env.id,
      parentId: rootFolderId,
      name,
      description: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    }));
    await a.secrets.insertFolders(folders);
    const names = (await a.secrets.listFolders(env.id)).map((f) => f.name);
    // By creation time (the root folder first), then byte order of the name.
    expect(names).toEqual(['root', 'Alpha', 'alpha', 'beta', 'Émile']);
  });

  it('deletes a folder subtree with its secrets and versions', async () => {
    const [a] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { env, rootFolderId } = await newProject(a, org.id, identity.id);
    const parent = {
      id: randomUUID(),
      envId: env.id,
      parentId: rootFolderId,
      name: 'app',
      description: null,
      version: 1,
      createdAt: iso(),
      updatedAt: iso(),
    };
    const child = { ...parent, id: randomUUID(), parentId: parent.id, name: 'db' };
    await a.secrets.insertFolders([parent, child]);
    const s = secret(child.id, env.id, 'PASSWORD');
    await a.secrets.writeSecrets({ inserts: [s], updates: [], deletes: [] });
    await a.secrets.deleteFolder(parent.id);
    expect(await a.secrets.getFolder(child.id)).toBeUndefined();
    expect(await a.secrets.getSecretVersion(s.id, 1)).toBeUndefined();
  });

  it('re-wraps every key in one transaction; the other replica reads the new wrapped keys', async () => {
    const [a, b] = await replicas();
    await a.access.initConfig({
      initialized: false,
      adminIdentityIds: [],
      jwtSecret: { wrapped: 'jwt-old', keyId: 'root-1' },
    });
    const { org, identity } = await bootstrap(b).catch(() => bootstrap(a));
    const { project } = await newProject(a, org.id, identity.id);
    const count = await a.rewrapKeys(async (key) =>
      key.keyId === 'root-2' ? undefined : { wrapped: `${key.wrapped}+2`, keyId: 'root-2' },
    );
    expect(count).toBe(2);
    expect((await b.projects.getProject(project.id))?.dataKey).toEqual({
      wrapped: `${project.dataKey.wrapped}+2`,
      keyId: 'root-2',
    });
    expect((await b.access.getConfig())?.jwtSecret.keyId).toBe('root-2');
    expect(await b.rewrapKeys(async () => undefined)).toBe(0);
  });

  it('searches KMS keys by name without regard to ASCII case, and pages', async () => {
    const [a] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { project } = await newProject(a, org.id, identity.id);
    for (const name of ['Payments', 'payments-eu', 'orders', 'pay_100%']) {
      const id = randomUUID();
      await a.kmsKeys.insertKey(
        {
          id,
          projectId: project.id,
          orgId: org.id,
          name,
          description: '',
          isDisabled: false,
          keyUsage: 'encrypt-decrypt',
          encryptionAlgorithm: 'aes-256-gcm',
          isExportable: false,
          version: 1,
          createdAt: iso(),
          updatedAt: iso(),
        },
        { keyId: id, version: 1, sealedMaterial: 's', publicKey: null, createdAt: iso() },
      );
    }
    const found = await a.kmsKeys.listKeys({
      projectId: project.id,
      offset: 0,
      limit: 10,
      orderDirection: 'asc',
      search: 'PAY',
    });
    expect(found.keys.map((k) => k.name)).toEqual(['Payments', 'pay_100%', 'payments-eu']);
    expect(
      (
        await a.kmsKeys.listKeys({
          projectId: project.id,
          offset: 0,
          limit: 10,
          orderDirection: 'asc',
          search: '_1',
        })
      ).totalCount,
    ).toBe(1);
  });

  it('rotates a KMS key exactly once when two replicas race for the same version', async () => {
    const [a, b] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { project } = await newProject(a, org.id, identity.id);
    const id = randomUUID();
    const key = {
      id,
      projectId: project.id,
      orgId: org.id,
      name: 'rotating',
      description: '',
      isDisabled: false,
      keyUsage: 'encrypt-decrypt' as const,
      encryptionAlgorithm: 'aes-256-gcm' as const,
      isExportable: false,
      version: 1,
      createdAt: iso(),
      updatedAt: iso(),
    };
    await a.kmsKeys.insertKey(key, {
      keyId: id,
      version: 1,
      sealedMaterial: 's1',
      publicKey: null,
      createdAt: iso(),
    });
    const next = (material: string) => ({
      keyId: id,
      version: 2,
      sealedMaterial: material,
      publicKey: null,
      createdAt: iso(),
    });
    const results = await Promise.allSettled([
      a.kmsKeys.rotateKey({ ...key, version: 2 }, next('from-a')),
      b.kmsKeys.rotateKey({ ...key, version: 2 }, next('from-b')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(StoreConflictError);
    expect((await a.kmsKeys.getKey(id))?.version).toBe(2);
    expect((await a.kmsKeys.listVersions(id)).map((v) => v.version)).toEqual([2, 1]);
  });

  it('replaces membership roles atomically when two replicas replace them at once', async () => {
    const [a, b] = await replicas();
    const { org, identity } = await bootstrap(a);
    const { membership } = await newProject(a, org.id, identity.id);
    const role = (name: string) => ({
      ...(membership.roles[0] as MembershipRecord['roles'][0]),
      id: randomUUID(),
      role: name,
    });
    await Promise.all([
      a.projects.replaceMembershipRoles(membership.id, [role('viewer'), role('member')], iso()),
      b.projects.replaceMembershipRoles(membership.id, [role('admin')], iso()),
    ]);
    const roles = (await a.projects.getMembershipById(membership.id))?.roles.map((r) => r.role);
    expect([['viewer', 'member'], ['admin']]).toContainEqual(roles);
  });
});
