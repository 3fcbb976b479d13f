import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { orderBy } from '../src/store/rows.js';

describe('in-memory ORDER BY of the store', () => {
  it('orders text like SQLite (BINARY collation, UTF-8 bytes) and keeps ties in scan order', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (created_at TEXT, name TEXT, n INTEGER)');
    const names = ['b', 'a', 'B', 'é', '\uFFFD', '😀', 'ab', 'a', '\uE000', 'Z', '', 'a😀', 'a\uFFFF'];
    const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?)');
    for (const [i, name] of names.entries()) {
      insert.run(i % 3 === 0 ? '2026-01-01T00:00:00.000Z' : '2025-12-31T23:59:59.999Z', name, i);
    }
    const sql = db.prepare('SELECT * FROM t ORDER BY created_at, name').all() as Record<string, unknown>[];
    const js = orderBy(
      db.prepare('SELECT * FROM t').all() as Record<string, unknown>[],
      'created_at',
      'name',
    );
    expect(js.map((r) => r.n)).toEqual(sql.map((r) => r.n));
    db.close();
  });
});
