import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalKeyManager } from '../src/crypto/key-manager.js';
import { toDataKey } from '../src/crypto/value-cipher.js';
import { SEALED_PREFIX, sealSecretLegacy } from '../src/domains/secrets/secret-crypto.js';
import { startServer } from '../src/server.js';
import { createSqliteStore } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'kms-reseal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function call(url: string, token: string | null, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('migration 3: one sealed ciphertext per secret row', () => {
  it('converts legacy three-ciphertext rows (secrets and versions) at start, leaving a tampered row as it is', async () => {
    const rootEncryptionKey = randomBytes(32).toString('base64');
    const options = { dataDir: dir, rootEncryptionKey, rateLimit: false as const };
    let kms = await startServer(options);
    const boot = await call(kms.url, null, 'POST', '/api/v1/admin/bootstrap', {
      email: 'a@reseal.test',
      password: 'test-admin-password',
      organization: 'reseal',
    });
    let token = boot.body.identity.credentials.token as string;
    const { project } = (
      await call(kms.url, token, 'POST', '/api/v2/workspace', { projectName: 'reseal', slug: 'reseal-test' })
    ).body;
    const where = `workspaceId=${project.id}&environment=dev&secretPath=/`;
    const metadata = [{ key: 'owner', value: 'team-a', isEncrypted: false }];
    await call(kms.url, token, 'POST', '/api/v3/secrets/raw/A', {
      workspaceId: project.id,
      environment: 'dev',
      secretValue: 'a1',
      secretComment: 'comment-a',
      secretMetadata: metadata,
    });
    await call(kms.url, token, 'PATCH', '/api/v3/secrets/raw/A', {
      workspaceId: project.id,
      environment: 'dev',
      secretValue: 'a2',
    });
    await call(kms.url, token, 'POST', '/api/v3/secrets/raw/B', {
      workspaceId: project.id,
      environment: 'dev',
      secretValue: 'b1',
    });
    await kms.close();

    // Rewrite every row in the legacy form, as a server before migration 3 stored it.
    const store = await createSqliteStore(join(dir, 'kms.db'));
    const stored = await store.projects.getProject(project.id);
    const dataKey = toDataKey(
      await new LocalKeyManager(Buffer.from(rootEncryptionKey, 'base64')).unwrapDataKey(stored!.dataKey),
    );
    const plain: Record<string, { value: string; comment: string; metadata: typeof metadata }> = {
      'A:1': { value: 'a1', comment: 'comment-a', metadata },
      'A:2': { value: 'a2', comment: 'comment-a', metadata },
      'B:1': { value: 'b1', comment: '', metadata: [] },
    };
    for (const table of ['secrets', 'secret_versions']) {
      const rows = store.db
        .prepare(
          `SELECT t.rowid AS r, t.key, t.version, t.folder_id, f.env_id FROM ${table} t JOIN folders f ON f.id = t.folder_id`,
        )
        .all() as { r: number; key: string; version: number; folder_id: string; env_id: string }[];
      for (const row of rows) {
        const sealed = sealSecretLegacy(
          dataKey,
          {
            projectId: project.id,
            envId: row.env_id,
            folderId: row.folder_id,
            key: row.key,
            version: row.version,
          },
          plain[`${row.key}:${row.version}`]!,
        );
        store.db
          .prepare(
            `UPDATE ${table} SET value_ciphertext = ?, comment_ciphertext = ?, metadata = ? WHERE rowid = ?`,
          )
          .run(sealed.valueCiphertext, sealed.commentCiphertext, sealed.metadataCiphertext, row.r);
      }
    }
    // B's current row is tampered with (A's value ciphertext): it must stay legacy and keep failing closed.
    store.db
      .prepare(
        `UPDATE secrets SET value_ciphertext = (SELECT value_ciphertext FROM secrets WHERE key = 'A') WHERE key = 'B'`,
      )
      .run();
    await store.close();

    kms = await startServer(options);
    try {
      token = (await kms.issueAdminToken())!;
      const check = await createSqliteStore(join(dir, 'kms.db'));
      const rows = check.db
        .prepare(
          'SELECT key, version, value_ciphertext AS v, comment_ciphertext AS c, metadata AS m FROM secrets UNION ALL SELECT key, version, value_ciphertext, comment_ciphertext, metadata FROM secret_versions',
        )
        .all() as { key: string; version: number; v: string; c: string; m: string }[];
      await check.close();
      for (const row of rows) {
        const tampered = row.key === 'B' && !row.v.startsWith(SEALED_PREFIX) && row.c !== '';
        if (tampered) continue;
        expect(row.v.startsWith(SEALED_PREFIX)).toBe(true);
        expect([row.c, row.m]).toEqual(['', '']);
      }
      expect(rows.filter((r) => !r.v.startsWith(SEALED_PREFIX))).toHaveLength(1);

      const a = await call(kms.url, token, 'GET', `/api/v3/secrets/raw/A?${where}`);
      expect(a.body.secret).toMatchObject({ secretValue: 'a2', secretComment: 'comment-a', version: 2 });
      const a1 = await call(kms.url, token, 'GET', `/api/v3/secrets/raw/A?${where}&version=1`);
      expect(a1.body.secret).toMatchObject({ secretValue: 'a1', secretComment: 'comment-a', version: 1 });
      const b = await call(kms.url, token, 'GET', `/api/v3/secrets/raw/B?${where}`);
      expect(b.status).toBe(500);
      expect(b.body.error).toBe('SecretIntegrityError');
      await call(kms.url, token, 'DELETE', '/api/v3/secrets/raw/B', {
        workspaceId: project.id,
        environment: 'dev',
      });
      const list = await call(kms.url, token, 'GET', `/api/v3/secrets/raw?${where}`);
      expect(list.body.secrets).toHaveLength(1);
      expect(list.body.secrets[0]).toMatchObject({
        secretKey: 'A',
        secretValue: 'a2',
        secretMetadata: metadata,
      });
    } finally {
      await kms.close();
    }
  });
});
