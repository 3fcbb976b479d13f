import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverSigningSecret } from '../src/app.js';
import { type AuditCheckpoint, auditChainKey, parseCheckpoint } from '../src/audit/audit-log.js';
import { LocalKeyManager, parseRootKey } from '../src/crypto/key-manager.js';
import { type OpenedStore, openStore, type StoreLocation } from '../src/store/store.js';
import { newTestDatabaseUrl, onPostgres } from './helpers/replicas.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
beforeEach(async () => {
  kms = await startTestServer();
});
afterEach(() => kms.close());

describe('audit log', () => {
  it('records who, what, when and from where, and filters by project, event type and actor', async () => {
    const p = await kms.createProject('audited');
    const id = await kms.createMachineIdentity({ project: { id: p.id, role: 'viewer' } });
    await kms.login(id.clientId, id.clientSecret);
    const all = (await kms.admin('GET', '/api/v1/organization/audit-logs?limit=100')).auditLogs;
    const login = all.find((e: any) => e.event.type === 'login-identity-universal-auth');
    expect(login).toMatchObject({
      ipAddress: '127.0.0.1',
      userAgent: expect.any(String),
      orgId: kms.orgId,
      actor: { type: 'identity', metadata: { identityId: id.identityId } },
      event: { metadata: { identityId: id.identityId } },
    });
    expect(Date.parse(login.expiresAt) - Date.parse(login.createdAt)).toBe(365 * 86_400_000);

    const byProject = (await kms.admin('GET', `/api/v1/audit-logs?projectId=${p.id}`)).auditLogs;
    expect(byProject.map((e: any) => e.event.type)).toEqual([
      'create-identity-project-membership',
      'create-project',
    ]);
    const byType = (await kms.admin('GET', '/api/v1/audit-logs?eventType=create-project,create-identity'))
      .auditLogs;
    expect(new Set(byType.map((e: any) => e.event.type))).toEqual(
      new Set(['create-project', 'create-identity']),
    );
    const byActor = (await kms.admin('GET', `/api/v1/audit-logs?actor=${id.identityId}`)).auditLogs;
    expect(byActor.every((e: any) => e.actor.metadata.identityId === id.identityId)).toBe(true);
    const paged = (await kms.admin('GET', '/api/v1/audit-logs?limit=2&offset=1')).auditLogs;
    expect(paged).toHaveLength(2);
    expect(paged[0].id).toBe(all[1].id);
    const badDates = await kms.call(
      'GET',
      '/api/v1/audit-logs?startDate=2026-02-01T00:00:00Z&endDate=2026-01-01T00:00:00Z',
      undefined,
      kms.adminToken,
    );
    expect(badDates.status).toBe(422);
  });

  it('lets a project viewer read its project audit log but not the organization-wide one', async () => {
    const p = await kms.createProject('viewer-audit');
    const id = await kms.createMachineIdentity({ project: { id: p.id, role: 'viewer' } });
    const token = (await kms.login(id.clientId, id.clientSecret)).body.accessToken;
    expect((await kms.call('GET', `/api/v1/audit-logs?projectId=${p.id}`, undefined, token)).status).toBe(
      200,
    );
    expect((await kms.call('GET', '/api/v1/audit-logs', undefined, token)).status).toBe(403);
  });

  it('chains entries by hash so that editing, deleting or reordering one is detected', async () => {
    await kms.createProject('chain-one');
    await kms.createProject('chain-two');
    await kms.createProject('chain-three');
    const db = (kms.store as OpenedStore).sql;
    const verify = () => kms.verifyAuditLog();
    const intact = await verify();
    expect(intact).toMatchObject({ ok: true });
    expect(intact.entries).toBeGreaterThanOrEqual(3);

    await db.run('UPDATE audit_logs SET event_metadata = \'{"slug":"forged"}\' WHERE seq = 2');
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAt: { seq: 2, reason: 'content does not match its hash' },
    });
  });

  it('detects a deleted entry in the middle of the chain', async () => {
    await kms.createProject('chain-one');
    await kms.createProject('chain-two');
    await kms.createProject('chain-three');
    const db = (kms.store as OpenedStore).sql;
    await db.run('DELETE FROM audit_logs WHERE seq = 2');
    expect(await kms.verifyAuditLog()).toMatchObject({ ok: false, brokenAt: { seq: 3 } });
  });

  it('keeps verifying after expired entries are purged from the front', async () => {
    await kms.createProject('chain-one');
    kms.clock.advance(366 * 86400);
    await kms.createProject('chain-two');
    const purged = await kms.store.audit.purgeExpired(new Date(kms.clock.now()).toISOString());
    expect(purged).toBeGreaterThan(0);
    expect(await kms.verifyAuditLog()).toMatchObject({ ok: true });
  });
});

/**
 * The rows of docs/reference/audit-log.md's table that need a restart or a checkpoint: each test
 * makes the change someone with database access but no root key can make, on a store of its own.
 */
describe('a chain a restart cannot re-seal', () => {
  const started: TestServer[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.close();
  });

  async function ownStore() {
    const rootEncryptionKey = randomBytes(32).toString('base64');
    const where = onPostgres
      ? { databaseUrl: await newTestDatabaseUrl() }
      : { dataDir: mkdtempSync(join(tmpdir(), 'kms-audit-')) };
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const start = async (bootstrap = false) => {
      const s = await startTestServer({
        ...where,
        rootEncryptionKey,
        logger,
        bootstrap,
        auditCheckpointSeconds: 0.05,
      });
      started.push(s);
      return s;
    };
    const stop = async (s: TestServer) => {
      started.splice(started.indexOf(s), 1);
      await s.close();
    };
    /** The newest checkpoint line logged for an entry at or after `seq`. */
    const checkpointAt = async (seq: number) => {
      for (;;) {
        const line = lines.findLast((l) => (parseCheckpoint(l)?.seq ?? -1) >= seq);
        if (line) return line;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const chainKey = async (s: TestServer) =>
      auditChainKey(await serverSigningSecret(s.store, new LocalKeyManager(parseRootKey(rootEncryptionKey))));
    const location: StoreLocation = onPostgres
      ? { postgres: { url: (where as { databaseUrl: string }).databaseUrl } }
      : { sqlite: join((where as { dataDir: string }).dataDir, 'kms.db') };
    return { start, stop, lines, checkpointAt, chainKey, location };
  }

  const sql = (s: TestServer) => (s.store as OpenedStore).sql;
  const lastSeq = async (s: TestServer) =>
    ((await sql(s).one('SELECT MAX(seq) AS n FROM audit_logs')) as { n: number | null }).n ?? 0;

  it('refuses to start when the newest entries and the head record were deleted', async () => {
    const { start, stop } = await ownStore();
    const first = await start(true);
    await first.createProject('kept');
    const keep = await lastSeq(first);
    await first.createProject('deleted');
    await sql(first).run('DELETE FROM audit_logs WHERE seq > ?', [keep]);
    await sql(first).run('DELETE FROM audit_head');
    await stop(first);
    await expect(start()).rejects.toThrow(
      /head record is missing.*will not seal a chain it has not checked.*kms-server audit verify/,
    );
  });

  it('refuses to start when the chain was recomputed as an unkeyed one, with or without the head', async () => {
    const { start, stop, location } = await ownStore();
    const first = await start(true);
    await first.createProject('original');
    await sql(first).run('UPDATE audit_logs SET event_metadata = \'{"forged":true}\' WHERE seq = 2');
    let prev = '0'.repeat(64);
    for await (const e of first.store.audit.all()) {
      const hash = createHash('sha256')
        .update(
          JSON.stringify([
            prev,
            e.id,
            e.orgId,
            e.projectId,
            e.eventType,
            e.seq === 2 ? { forged: true } : e.eventMetadata,
            e.actorType,
            e.actorMetadata,
            e.ipAddress,
            e.userAgent,
            e.createdAt,
            e.expiresAt,
          ]),
        )
        .digest('hex');
      await sql(first).run('UPDATE audit_logs SET chain_version = 1, prev_hash = ?, hash = ? WHERE seq = ?', [
        prev,
        hash,
        e.seq,
      ]);
      prev = hash;
    }
    await stop(first);
    await expect(start()).rejects.toThrow(/the last entry \(\d+\) is not the one the head record names/);
    // Without the head record too: the recomputed chain is consistent, but never sealed.
    const offline = await openStore(location);
    await offline.sql.run('DELETE FROM audit_head');
    await offline.close();
    await expect(start()).rejects.toThrow(
      /entries exist up to \d+ but the head record is missing.*audit verify/,
    );
  });

  it('refuses the first append of a process when the log was truncated after start-up', async () => {
    const { start, stop } = await ownStore();
    const first = await start(true);
    await first.createProject('one');
    await stop(first);
    const second = await start();
    const before = await lastSeq(second);
    await sql(second).run('DELETE FROM audit_logs WHERE seq = ?', [before]);
    const refused = await second.call(
      'POST',
      '/api/v2/workspace',
      { projectName: 'two', slug: 'two' },
      first.adminToken,
    );
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: 'AuditLogUnavailable' });
    expect(refused.body.message).toMatch(/kms-server audit verify/);
    expect(await lastSeq(second)).toBe(before - 1);
  });

  it('a replayed head passes the start-up check, and a later checkpoint proves the rollback', async () => {
    const { start, stop, checkpointAt } = await ownStore();
    const first = await start(true);
    await first.createProject('before');
    const head = (await sql(first).one('SELECT * FROM audit_head WHERE id = 1')) as Record<string, unknown>;
    const kept = head.last_seq as number;
    const older = await checkpointAt(kept);
    await first.createProject('after-one');
    await first.createProject('after-two');
    const line = await checkpointAt(await lastSeq(first));
    await sql(first).run('DELETE FROM audit_logs WHERE seq > ?', [kept]);
    await sql(first).run(
      'UPDATE audit_head SET last_seq = ?, last_hash = ?, total = ?, mac = ? WHERE id = 1',
      [head.last_seq, head.last_hash, head.total, head.mac],
    );
    await stop(first);
    const second = await start();
    expect(await second.verifyAuditLog()).toMatchObject({ ok: true });
    expect(await second.verifyAuditLog(parseCheckpoint(line))).toMatchObject({
      ok: false,
      brokenAt: { reason: expect.stringMatching(/the log was rolled back/) },
    });
    // Not detected: a checkpoint from before the rollback point (the table in the docs says so).
    expect(parseCheckpoint(older)?.seq).toBeLessThanOrEqual(kept);
    expect(await second.verifyAuditLog(parseCheckpoint(older))).toMatchObject({ ok: true });
    // A checkpoint whose MAC was not made with this store's key proves nothing.
    const forged = { ...(parseCheckpoint(line) as AuditCheckpoint), mac: 'f'.repeat(64) };
    expect(await second.verifyAuditLog(forged)).toMatchObject({
      ok: false,
      brokenAt: { reason: "the checkpoint was not written with this store's key" },
    });
  });

  it('not detected: a chain recomputed by someone who holds the root key', async () => {
    const { start, stop, chainKey } = await ownStore();
    const first = await start(true);
    await first.createProject('rewritten');
    const key = await chainKey(first);
    let prev = '0'.repeat(64);
    let last = 0;
    for await (const e of first.store.audit.all()) {
      const edited = e.eventType === 'create-project' ? { ...e, ipAddress: '10.9.9.9' } : e;
      const hash = key.entryHash(edited, prev);
      await sql(first).run('UPDATE audit_logs SET ip_address = ?, prev_hash = ?, hash = ? WHERE seq = ?', [
        edited.ipAddress,
        prev,
        hash,
        e.seq,
      ]);
      prev = hash;
      last = e.seq;
    }
    const total = (await first.store.audit.head())?.total as number;
    const head = { lastSeq: last, lastHash: prev, total };
    await sql(first).run('UPDATE audit_head SET last_hash = ?, mac = ? WHERE id = 1', [
      prev,
      key.headMac(head),
    ]);
    await stop(first);
    const second = await start();
    expect(await second.verifyAuditLog()).toMatchObject({ ok: true });
  });
});
