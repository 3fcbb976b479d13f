import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenedStore } from '../src/store/store.js';
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
