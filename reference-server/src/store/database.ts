import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations } from './migrations.js';

/** The embedded SQLite handle every SQLite repository shares. */
export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the SQLite database and brings its schema up to date.
 * File databases run in WAL mode with `synchronous = FULL`, so an acknowledged write
 * survives a crash of the process or the machine.
 */
export function openDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') secureDataDir(dirname(path));
  const db = new Database(path);
  if (path !== ':memory:') {
    // Only the server's user may read the store (the WAL and SHM files inherit this mode).
    chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  memoizeStatements(db);
  return db;
}

/**
 * Creates the folder holding the store with mode 0700, or tightens an existing one that other
 * users could read or enter (the WAL and journal files appear there). Returns the mode it had
 * when it was tightened, so the CLI can say so; undefined when nothing changed.
 */
export function secureDataDir(dir: string): number | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  chmodSync(dir, mode & 0o700);
  return mode;
}

const MAX_CACHED_STATEMENTS = 500;

/**
 * better-sqlite3 compiles SQL on every `prepare()`. The repositories call `prepare()` inline,
 * next to their SQL, for readability; this makes the handle reuse compiled statements by SQL
 * text instead (it was the largest cost of a secrets list in the benchmark). A cached
 * statement must not be iterated twice at once; the one iterating caller (audit verify)
 * runs alone.
 */
function memoizeStatements(db: SqliteDatabase): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = compile(sql);
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
    }
    return statement;
  }) as SqliteDatabase['prepare'];
}

function migrate(db: SqliteDatabase): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      if (m.sql) db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
  }
}
