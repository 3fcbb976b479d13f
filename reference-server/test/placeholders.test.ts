// The shared SQL's placeholders as each driver writes them (store/sql/database.ts,
// rewritePlaceholders): `$n` for PostgreSQL, a unary plus for SQLite; quoted literals untouched.
import { expect, it } from 'vitest';
import { translatePlaceholders } from '../src/store/sql/postgres-driver.js';
import { sqliteStatementText } from '../src/store/sql/sqlite-driver.js';

it('numbers positional placeholders and gives a repeated name one number on PostgreSQL', () => {
  expect(translatePlaceholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?")).toEqual({
    text: "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2",
    names: undefined,
  });
  expect(translatePlaceholders("UPDATE t SET x = @x, y = @y WHERE x <> @x AND z = 'a@b'")).toEqual({
    text: "UPDATE t SET x = $1, y = $2 WHERE x <> $1 AND z = 'a@b'",
    names: ['x', 'y'],
  });
});

it('puts a unary plus before every SQLite placeholder outside quoted literals', () => {
  expect(sqliteStatementText("SELECT * FROM t WHERE a = ? AND b = '?' AND c = @name AND d = 'x@y'")).toBe(
    "SELECT * FROM t WHERE a = +? AND b = '?' AND c = +@name AND d = 'x@y'",
  );
  expect(sqliteStatementText("SELECT 'it''s ?' || ?")).toBe("SELECT 'it''s ?' || +?");
});
