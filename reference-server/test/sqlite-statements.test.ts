// SQLite statements are compiled once and then only run (src/store/sql/sqlite-driver.ts,
// sqliteStatementText). A statement SQLite recompiles on every run is invisible in results but
// costs up to ~150 µs per request; better-sqlite3 rebuilds its row builder with `Function()` each
// time it notices a recompiled statement, so counting those builds counts recompiles exactly.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite, sqliteStatementText } from '../src/store/sql/sqlite-driver.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** Counts better-sqlite3 row-builder compiles (`return (v0,v1) => ({...})`) while `body` runs. */
async function rowBuilderCompiles(body: () => Promise<void>): Promise<number> {
  const original = globalThis.Function;
  let compiles = 0;
  const counting = function (this: unknown, ...args: string[]) {
    if (/^return \(.*\) => \(\{/.test(args.at(-1) ?? '')) compiles++;
    return original(...args);
  } as unknown as FunctionConstructor;
  globalThis.Function = counting;
  try {
    await body();
  } finally {
    globalThis.Function = original;
  }
  return compiles;
}

it('runs a join with new parameters without recompiling it, and keeps its index', async () => {
  const db = openSqlite(':memory:');
  db.handle.exec(`CREATE TABLE a (id TEXT PRIMARY KEY, b_id TEXT); CREATE TABLE b (id TEXT PRIMARY KEY, y TEXT);
    INSERT INTO a VALUES ('a1', 'b1'), ('a2', 'b2'); INSERT INTO b VALUES ('b1', 'one'), ('b2', 'two');`);
  const sql = 'SELECT a.id, b.y FROM a JOIN b ON b.id = a.b_id WHERE a.id = ?';
  await db.one(sql, ['a1']);
  const compiles = await rowBuilderCompiles(async () => {
    for (let i = 0; i < 20; i++)
      expect(await db.one(sql, [i % 2 ? 'a1' : 'a2'])).toEqual(
        i % 2 ? { id: 'a1', y: 'one' } : { id: 'a2', y: 'two' },
      );
  });
  expect(compiles).toBe(0);
  const plan = db.handle.prepare(`EXPLAIN QUERY PLAN ${sqliteStatementText(sql)}`).all('a1') as {
    detail: string;
  }[];
  expect(plan.map((r) => r.detail).join(' | ')).toMatch(/SEARCH a USING INDEX/);
  // The same statement with a bare `?` is recompiled on every run: what the rewrite avoids.
  const bare = db.handle.prepare(sql);
  bare.get('a1');
  expect(await rowBuilderCompiles(async () => void [1, 2, 3].map((n) => bare.get(`a${n % 2 ? 1 : 2}`)))).toBe(
    3,
  );
  await db.close();
});

let kms: TestServer;
beforeEach(async () => {
  kms = await startTestServer();
});
afterEach(() => kms.close());

it('authenticated requests recompile no statement once warm', async () => {
  const p = await kms.createProject('statements');
  await kms.admin('POST', '/api/v3/secrets/batch/raw', {
    workspaceId: p.id,
    environment: 'dev',
    secretPath: '/',
    secrets: [
      { secretKey: 'A', secretValue: 'a' },
      { secretKey: 'B', secretValue: 'b' },
    ],
  });
  const key = await kms.admin('POST', '/api/v1/kms/keys', { projectId: p.id, name: 'payloads' });
  const id = await kms.createMachineIdentity({ project: { id: p.id, role: 'admin' } });
  const token = (await kms.login(id.clientId, id.clientSecret)).body.accessToken as string;
  const requests = async () => {
    const list = await kms.call(
      'GET',
      `/api/v3/secrets/raw?workspaceId=${p.id}&environment=dev&secretPath=/`,
      undefined,
      token,
    );
    expect(list.status).toBe(200);
    const read = await kms.call(
      'GET',
      `/api/v3/secrets/raw/A?workspaceId=${p.id}&environment=dev&secretPath=/`,
      undefined,
      token,
    );
    expect(read.status).toBe(200);
    const keyId = key.key.id as string;
    const sealed = await kms.call('POST', `/api/v1/kms/keys/${keyId}/encrypt`, { plaintext: 'aGk=' }, token);
    expect(sealed.status).toBe(200);
    const opened = await kms.call(
      'POST',
      `/api/v1/kms/keys/${keyId}/decrypt`,
      { ciphertext: sealed.body.ciphertext },
      token,
    );
    expect(opened.body.plaintext).toBe('aGk=');
  };
  await requests();
  await requests();
  expect(
    await rowBuilderCompiles(async () => {
      for (let i = 0; i < 5; i++) await requests();
    }),
  ).toBe(0);
});
