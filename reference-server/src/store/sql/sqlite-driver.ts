/**
 * The SQLite driver behind SqlDatabase (better-sqlite3, WAL, synchronous=FULL), and the owner-only
 * permissions of the data folder.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Row,
  type SqlCounters,
  type SqlDatabase,
  type SqlParams,
  type SqlTransaction,
  type SqlTransactionOptions,
  rewritePlaceholders,
  sqliteDialect,
} from './database.js';

/** The embedded default engine: one better-sqlite3 connection (`:memory:` for tests). */
export interface SqliteDatabase extends SqlDatabase {
  /** The raw handle, for tests and tools that inspect the file. */
  readonly handle: Database.Database;
}

/**
 * Opens (creating if needed) the SQLite database. File databases run in WAL mode with
 * `synchronous = FULL`, so an acknowledged write survives a crash of the process or the machine.
 * Migrations are not run here (see migrations.ts).
 */
export function openSqlite(path: string): SqliteDatabase {
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
  return new SqliteDriver(db);
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

/** better-sqlite3 takes named parameters as an object and positional ones spread. */
const bind = (params: SqlParams | undefined): unknown[] =>
  params === undefined ? [] : Array.isArray(params) ? params : [params];

/**
 * The statement as SQLite compiles it: every placeholder (`?`, `@name`) outside quoted literals
 * becomes `+?` / `+@name`. The unary plus changes no value and still lets an index serve
 * `column = +?`, but it hides the parameter from SQLite's planner. A bare `?` in an equality of a
 * statement the planner does not short-cut (a join, a non-unique index) is marked as "its value
 * may change the plan" (whereLoopOutputAdjust), and `sqlite3_clear_bindings`, which better-sqlite3
 * calls after every run, expires every statement carrying such a mark. The statement was then
 * compiled again on each run, and better-sqlite3 rebuilt its row builder with `Function()`: the
 * token lookup of every request cost 30-150 µs instead of 2 µs. test/sqlite-statements.test.ts
 * checks that authenticated requests recompile nothing.
 */
export function sqliteStatementText(sql: string): string {
  return rewritePlaceholders(sql, (name) => (name === undefined ? '+?' : `+@${name}`));
}

/**
 * better-sqlite3 is synchronous, so every statement runs at once; the only thing to guard is a
 * transaction whose body awaits between statements: until it ends, statements from other requests
 * wait their turn (they would otherwise run inside it, and roll back with it).
 */
class SqliteDriver implements SqliteDatabase {
  readonly dialect = sqliteDialect;
  /** In-process: statements are counted, round trips stay 0. */
  readonly counters: SqlCounters = { statements: 0, roundTrips: 0 };
  readonly #statements = new Map<string, Database.Statement>();
  /** Callbacks waiting for the open transaction to end, in arrival order. */
  readonly #waiting: (() => void)[] = [];
  #inTransaction = false;

  constructor(readonly handle: Database.Database) {}

  /**
   * Statements are compiled once per SQL text (compiling was the largest cost of a secrets list).
   * A cached statement must not be iterated twice at once; nothing here iterates.
   */
  #prepare(sql: string): Database.Statement {
    this.counters.statements++;
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.handle.prepare(sqliteStatementText(sql));
      if (this.#statements.size >= MAX_CACHED_STATEMENTS)
        this.#statements.delete(this.#statements.keys().next().value as string);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  readonly #direct: SqlTransaction = {
    dialect: sqliteDialect,
    all: async <T>(sql: string, params?: SqlParams) => this.#prepare(sql).all(...bind(params)) as T[],
    one: async <T>(sql: string, params?: SqlParams) =>
      this.#prepare(sql).get(...bind(params)) as T | undefined,
    run: async (sql: string, params?: SqlParams) => this.#prepare(sql).run(...bind(params)).changes,
    exec: async (sql: string) => {
      this.handle.exec(sql);
    },
    lock: async () => {},
  };

  /** Runs `op` now, or once no transaction is open (the common case costs one flag check). */
  #whenFree<T>(op: () => Promise<T>): Promise<T> {
    return this.#inTransaction ? this.#afterTransactions(op) : op();
  }

  async #afterTransactions<T>(op: () => Promise<T>): Promise<T> {
    // Re-checked after every wake-up: another waiting transaction may have begun first.
    while (this.#inTransaction) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return op();
  }

  all<T = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.#whenFree(() => this.#direct.all<T>(sql, params));
  }

  one<T = Row>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.#whenFree(() => this.#direct.one<T>(sql, params));
  }

  run(sql: string, params?: SqlParams): Promise<number> {
    return this.#whenFree(() => this.#direct.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.#whenFree(() => this.#direct.exec(sql));
  }

  /** A write transaction is already exclusive on SQLite: `options.lock` needs nothing here. */
  async transaction<T>(
    body: (tx: SqlTransaction) => Promise<T>,
    _options?: SqlTransactionOptions,
  ): Promise<T> {
    if (this.#inTransaction) return this.#afterTransactions(() => this.transaction(body));
    this.#inTransaction = true;
    try {
      // IMMEDIATE takes the write lock at once: another process on the same file waits (busy_timeout).
      this.counters.statements++;
      this.handle.exec('BEGIN IMMEDIATE');
      try {
        const result = await body(this.#direct);
        this.counters.statements++;
        this.handle.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.handle.inTransaction) this.handle.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.#inTransaction = false;
      // Wake the waiters in order; a waiting transaction re-checks the flag before it begins.
      for (const wake of this.#waiting.splice(0)) wake();
    }
  }

  async close(): Promise<void> {
    if (this.handle.open) this.handle.close();
  }
}
