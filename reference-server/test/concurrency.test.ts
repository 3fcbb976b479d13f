import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
let project: { id: string; slug: string };
beforeAll(async () => {
  kms = await startTestServer();
  project = await kms.createProject('concurrency');
});
afterAll(() => kms.close());

const batch = (method: string, secrets: unknown[], extra: Record<string, unknown> = {}) =>
  kms.call(
    'POST' === method ? 'POST' : method,
    '/api/v3/secrets/batch/raw',
    {
      workspaceId: project.id,
      environment: 'dev',
      secretPath: '/',
      secrets,
      ...extra,
    },
    kms.adminToken,
  );

async function listKeys() {
  const r = await kms.call(
    'GET',
    `/api/v3/secrets/raw?workspaceId=${project.id}&environment=dev&secretPath=/`,
    undefined,
    kms.adminToken,
  );
  return r.body.secrets as { secretKey: string; secretValue: string; version: number }[];
}

describe('parallel batch writes', () => {
  it('applies disjoint batches fully and overlapping ones all-or-nothing', async () => {
    const disjoint = await Promise.all(
      Array.from({ length: 8 }, (_, b) =>
        batch(
          'POST',
          Array.from({ length: 5 }, (_, i) => ({ secretKey: `D${b}_${i}`, secretValue: `v${b}${i}` })),
        ),
      ),
    );
    expect(disjoint.map((r) => r.status)).toEqual(Array(8).fill(200));

    // Every batch shares the key SHARED: exactly one can create it; the others must write nothing.
    const overlapping = await Promise.all(
      Array.from({ length: 6 }, (_, b) =>
        batch('POST', [
          { secretKey: 'SHARED', secretValue: `b${b}` },
          { secretKey: `ONLY_${b}`, secretValue: 'x' },
        ]),
      ),
    );
    const winners = overlapping.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const r of overlapping.filter((r) => r.status !== 200)) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    const keys = (await listKeys()).map((s) => s.secretKey);
    expect(keys.filter((k) => k.startsWith('D'))).toHaveLength(40);
    expect(keys.filter((k) => k.startsWith('ONLY_'))).toHaveLength(1);
  });

  it('never loses an update: parallel upserts of one key each get a distinct version or a clear conflict', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        kms.call(
          'PATCH',
          '/api/v3/secrets/batch/raw',
          {
            workspaceId: project.id,
            environment: 'dev',
            secretPath: '/',
            mode: 'upsert',
            secrets: [{ secretKey: 'COUNTER', secretValue: `write-${i}` }],
          },
          kms.adminToken,
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of results) expect([200, 409]).toContain(r.status);
    const versions = ok.map((r) => r.body.secrets[0].version);
    expect(new Set(versions).size).toBe(versions.length);
    const counter = (await listKeys()).find((s) => s.secretKey === 'COUNTER')!;
    expect(counter.version).toBe(Math.max(...versions));
  });
});
