import type Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qs, type SecretsFixture, startSecretsFixture } from './helpers/secrets-fixture.js';

/** These tests read the SQLite file itself (what is on disk), so they run on SQLite only. */
const sqliteOf = (fixture: SecretsFixture) => (fixture.store as unknown as { db: Database.Database }).db;

let kms: SecretsFixture;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kms-secrets-'));
  kms = await startSecretsFixture({ dbPath: join(dir, 'kms.db') });
});
afterAll(async () => {
  await kms.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('encryption at rest', () => {
  it('never writes a value, comment or metadata value in plaintext to the database files', async () => {
    const project = await kms.newProject();
    const where = { workspaceId: project.id, environment: 'dev' };
    const value = 'PLAINTEXT-CANARY-value-7f3a9c';
    const comment = 'PLAINTEXT-CANARY-comment-51be';
    const meta = 'PLAINTEXT-CANARY-meta-0d44';
    await kms.admin('POST', '/api/v3/secrets/raw/CANARY', {
      ...where,
      secretValue: value,
      secretComment: comment,
      secretMetadata: [{ key: 'm', value: meta, isEncrypted: true }],
    });
    await kms.admin('PATCH', '/api/v3/secrets/raw/CANARY', { ...where, secretValue: `${value}-v2` });
    await kms.admin('PATCH', '/api/v3/secrets/raw/CANARY', { ...where, newSecretName: 'RENAMED_CANARY' });
    const got = await kms.admin('GET', `/api/v3/secrets/raw/RENAMED_CANARY${qs(where)}`);
    expect(got.secret).toMatchObject({ secretValue: `${value}-v2`, secretComment: comment, version: 3 });
    sqliteOf(kms).pragma('wal_checkpoint(FULL)');
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
    expect(files.length).toBeGreaterThan(0);
    for (const bytes of files) {
      for (const canary of [value, comment, meta]) {
        expect(bytes.includes(Buffer.from(canary))).toBe(false);
        expect(bytes.includes(Buffer.from(canary, 'utf16le'))).toBe(false);
      }
    }
    // The key name itself is stored in the clear (it is an identifier, not a secret).
    expect(files.some((b) => b.includes(Buffer.from('RENAMED_CANARY')))).toBe(true);
  });

  it('a ciphertext copied onto another row fails its integrity check instead of decrypting', async () => {
    const project = await kms.newProject();
    const where = { workspaceId: project.id, environment: 'dev' };
    await kms.admin('POST', '/api/v3/secrets/batch/raw', {
      ...where,
      secrets: [
        { secretKey: 'SOURCE', secretValue: 'source-value' },
        { secretKey: 'TARGET', secretValue: 'target-value' },
      ],
    });
    sqliteOf(kms)
      .prepare(
        `UPDATE secrets SET value_ciphertext = (SELECT value_ciphertext FROM secrets WHERE key = 'SOURCE' AND id IN
           (SELECT s.id FROM secrets s JOIN folders f ON f.id = s.folder_id JOIN environments e ON e.id = f.env_id WHERE e.project_id = @p))
         WHERE key = 'TARGET' AND id IN
           (SELECT s.id FROM secrets s JOIN folders f ON f.id = s.folder_id JOIN environments e ON e.id = f.env_id WHERE e.project_id = @p)`,
      )
      .run({ p: project.id });
    const one = await kms.call('GET', `/api/v3/secrets/raw/TARGET${qs(where)}`, { token: kms.adminToken });
    expect(one.status).toBe(500);
    expect(one.body).toMatchObject({ error: 'SecretIntegrityError' });
    expect(one.body.message).toContain("secret 'TARGET' failed its integrity check");
    expect(JSON.stringify(one.body)).not.toContain('source-value');
    const all = await kms.call('GET', `/api/v3/secrets/raw${qs(where)}`, { token: kms.adminToken });
    expect(all.status).toBe(500);
    expect(all.body.error).toBe('SecretIntegrityError');
    // The untouched row still reads.
    const source = await kms.admin('GET', `/api/v3/secrets/raw/SOURCE${qs(where)}`);
    expect(source.secret.secretValue).toBe('source-value');
    // An update needs the old fields and fails closed too; a delete stays possible (the way out).
    const update = await kms.call('PATCH', '/api/v3/secrets/raw/TARGET', {
      token: kms.adminToken,
      body: { ...where, secretValue: 'fresh' },
    });
    expect(update.status).toBe(500);
    const removed = await kms.admin('DELETE', '/api/v3/secrets/raw/TARGET', where);
    expect(removed.secret).toMatchObject({ secretKey: 'TARGET', secretValue: '' });
    await kms.admin('POST', '/api/v3/secrets/raw/TARGET', { ...where, secretValue: 'fresh' });
    expect((await kms.admin('GET', `/api/v3/secrets/raw${qs(where)}`)).secrets).toHaveLength(2);
  });
});

describe('versions follow their secret', () => {
  it('removes kept versions when the secret, its folder or its project goes away', async () => {
    const project = await kms.newProject();
    const where = { workspaceId: project.id, environment: 'dev' };
    await kms.admin('POST', '/api/v1/folders', { ...where, name: 'f', path: '/' });
    await kms.admin('POST', '/api/v3/secrets/raw/A', { ...where, secretPath: '/f', secretValue: '1' });
    await kms.admin('PATCH', '/api/v3/secrets/raw/A', { ...where, secretPath: '/f', secretValue: '2' });
    await kms.admin('POST', '/api/v3/secrets/raw/B', { ...where, secretValue: '1' });
    const count = () =>
      (sqliteOf(kms).prepare('SELECT COUNT(*) AS n FROM secret_versions').get() as { n: number }).n;
    const before = count();
    await kms.admin('DELETE', '/api/v1/folders/f', { ...where, path: '/' });
    expect(count()).toBe(before - 2);
    await kms.admin('DELETE', `/api/v1/workspace/${project.id}`);
    expect(count()).toBe(before - 3);
  });
});
