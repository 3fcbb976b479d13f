// Database round trips per authenticated request on PostgreSQL, counted by the store's own counter
// (src/store/sql/database.ts, SqlCounters; docs/reference/storage.md, "Statements and round trips
// per request"). Counting is deterministic: no timing is measured here.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditChainKey } from '../src/audit/audit-log.js';
import { type OpenedStore, openStore } from '../src/store/store.js';
import { createDatabase } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * The token lookup with the project view, the audit append with the token's use (an unlimited
 * token's): docs/reference/storage.md, "Statements and round trips per request".
 */
const MAX_ROUND_TRIPS = 2;

describe('round trips per authenticated request on PostgreSQL', () => {
  let s: TestServer;
  let project: { id: string; slug: string };
  beforeAll(async () => {
    s = await startTestServer({ databaseUrl: await createDatabase(inject('postgresAdminUrl')) });
    project = await s.createProject(`rt-${randomBytes(3).toString('hex')}`);
    await s.admin('POST', '/api/v3/secrets/batch/raw', {
      workspaceId: project.id,
      environment: 'dev',
      secretPath: '/',
      secrets: Array.from({ length: 100 }, (_, i) => ({
        secretKey: `S_${String(i).padStart(3, '0')}`,
        secretValue: `value-${i}`,
      })),
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  /**
   * The round trips of each of several sequential requests (each one's writes commit alone, nothing
   * shares them), after two to warm up (the process's first audit append checks the chain's tail).
   * The median: a statement of a background job (token purge, rotation poll) landing during one
   * request cannot move it.
   */
  async function roundTripsOf(
    path: string,
    check: (body: any) => void,
    token = s.adminToken,
  ): Promise<number> {
    const { counters } = (s.store as OpenedStore).sql;
    const counts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = counters.roundTrips;
      const r = await s.call('GET', path, undefined, token);
      const used = counters.roundTrips - before;
      expect(r.status).toBe(200);
      check(r.body);
      if (i >= 2) counts.push(used);
    }
    return counts.sort((a, b) => a - b)[Math.floor(counts.length / 2)] as number;
  }

  const refs = () => [`workspaceId=${project.id}`, `workspaceSlug=${project.slug}`];

  it(`lists 100 secrets in at most ${MAX_ROUND_TRIPS} round trips, project by id and by slug`, async () => {
    for (const ref of refs()) {
      const used = await roundTripsOf(`/api/v3/secrets/raw?${ref}&environment=dev&secretPath=/`, (body) =>
        expect(body.secrets).toHaveLength(100),
      );
      expect(used).toBeGreaterThan(0);
      expect(used).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
    }
  });

  it(`lists in at most ${MAX_ROUND_TRIPS + 1} with a limited token (its use commits first, alone)`, async () => {
    const { clientId, clientSecret } = await s.createMachineIdentity({
      ua: { accessTokenNumUsesLimit: 50 },
      project: { id: project.id, role: 'viewer' },
    });
    const token = (await s.login(clientId, clientSecret)).body.accessToken as string;
    const used = await roundTripsOf(
      `/api/v3/secrets/raw?workspaceId=${project.id}&environment=dev&secretPath=/`,
      (body) => expect(body.secrets).toHaveLength(100),
      token,
    );
    expect(used).toBe(MAX_ROUND_TRIPS + 1);
  });

  it(`reads one secret in at most ${MAX_ROUND_TRIPS} round trips, project by id and by slug`, async () => {
    for (const ref of refs()) {
      const used = await roundTripsOf(
        `/api/v3/secrets/raw/S_042?${ref}&environment=dev&secretPath=/`,
        (body) => expect(body.secret).toMatchObject({ secretKey: 'S_042', secretValue: 'value-42' }),
      );
      expect(used).toBeGreaterThan(0);
      expect(used).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
    }
  });
});

describe('statements kept prepared on PostgreSQL', () => {
  it('prepares the project view, the one-statement audit append and the token lookup once per connection', async () => {
    // One connection, so the statements this test sends all run where the earlier ones were prepared.
    const store = await openStore({
      postgres: { url: await createDatabase(inject('postgresAdminUrl')), poolSize: 1 },
    });
    try {
      const prepared = async () =>
        (await store.sql.all<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).map(
          (r) => r.name,
        );
      expect(await prepared()).toEqual([]);
      await store.projects.getProjectView({ id: randomUUID() }, randomUUID(), { environment: 'dev' });
      const afterView = await prepared();
      expect(afterView).toHaveLength(1);
      expect(afterView[0]).toMatch(/^kms_[0-9a-f]{24}$/);
      // The same shape again reuses it; another shape is one more.
      await store.projects.getProjectView({ id: randomUUID() }, randomUUID(), { environment: 'prod' });
      expect(await prepared()).toEqual(afterView);
      await store.projects.getProjectView({ id: randomUUID() }, randomUUID());
      expect(await prepared()).toHaveLength(2);
      // The audit append after the known head: the first append reads the head under the lock
      // (nothing prepared), the next ones are the one statement, prepared once per batch size.
      const key = auditChainKey(randomBytes(32));
      await store.audit.checkTail(key);
      const entry = () => ({
        id: randomUUID(),
        orgId: null,
        projectId: null,
        projectName: null,
        eventType: 'get-secrets',
        eventMetadata: {},
        actorType: 'identity',
        actorMetadata: {},
        ipAddress: null,
        userAgent: null,
        userAgentType: null,
        createdAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
      await store.audit.append(entry(), key, { checkTail: true });
      expect(await prepared()).toHaveLength(2);
      for (let i = 0; i < 3; i++) await store.audit.append(entry(), key);
      expect(await prepared()).toHaveLength(3);
      expect(store.commits.stats.lockedAppends).toBe(1);
      // The token lookup every authenticated request sends.
      await store.access.getAccessTokenForRequest(randomUUID());
      expect(await prepared()).toHaveLength(4);
    } finally {
      await store.close();
    }
  });
});
