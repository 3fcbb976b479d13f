/**
 * The SQL the repositories run, once, for both engines.
 *
 * Every query in `store/repositories/` is one SQL text in the subset SQLite and PostgreSQL share
 * (`ON CONFLICT`, `RETURNING`, `WITH RECURSIVE`, `COALESCE`...), with `?` or `@name` parameters.
 * The few spots where the engines differ (JSON fields, string aggregation, SQLite's implicit
 * rowid) go through {@link SqlDialect}; the drivers (`sqlite-driver.ts`, `postgres-driver.ts`)
 * only execute. Why not a query builder: docs/reference/storage.md.
 */

/** A row as the driver returns it (column name to value; integers are numbers on both engines). */
export type Row = Record<string, unknown>;

/** Positional (`?`) or named (`@name`) parameters; booleans are stored as 0/1. */
export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;

/** How one statement runs. */
export interface SqlStatementOptions {
  /**
   * Keep the statement prepared on each PostgreSQL connection, so it is parsed and planned once
   * per connection instead of on every run: for the few statements every request sends whose
   * planning costs more than running them (a join with subqueries: ~750 µs unprepared, ~200 µs
   * prepared). Only for a bounded set of texts, none selecting `*` (a prepared statement may not
   * change its result columns, as a migration adding a column would). SQLite keeps every
   * statement compiled already (`sqlite-driver.ts`) and ignores it.
   */
  prepare?: boolean;
}

/** Runs statements on one connection (inside a transaction) or on the pool. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  all<T = Row>(sql: string, params?: SqlParams, options?: SqlStatementOptions): Promise<T[]>;
  one<T = Row>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Runs a write; returns the number of rows it changed. */
  run(sql: string, params?: SqlParams, options?: SqlStatementOptions): Promise<number>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** What a transaction body gets: the executor plus named locks held until commit. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Serializes this transaction with every other one taking the same lock name, on every replica
   * (PostgreSQL advisory transaction lock). On SQLite a write transaction is already exclusive.
   * Take it first, before reading what the transaction then writes (a read-modify-write).
   */
  lock(name: string): Promise<void>;
}

/**
 * What a database has sent since it was opened: every statement (BEGIN and COMMIT included), and
 * on PostgreSQL every round trip to the server (SQLite runs in-process: none). bench/list-secrets.mjs
 * prints their growth per request, so a change to the statements a route runs shows in figures.
 */
export interface SqlCounters {
  statements: number;
  roundTrips: number;
}

/** How a transaction begins. */
export interface SqlTransactionOptions {
  /**
   * A lock (as {@link SqlTransaction.lock}) taken as the transaction begins: on PostgreSQL sent
   * with `BEGIN` in one round trip. Letters, digits, `:` and `-` only (it is sent as a literal).
   */
  lock?: string;
}

export interface SqlDatabase extends SqlExecutor {
  /** Statements and round trips sent so far (counted, never reset). */
  readonly counters: SqlCounters;
  /**
   * Runs `body` in one transaction: committed when it resolves, rolled back when it throws.
   * The body must only touch the database through `tx` (it may be retried on PostgreSQL).
   */
  transaction<T>(body: (tx: SqlTransaction) => Promise<T>, options?: SqlTransactionOptions): Promise<T>;
  /** Closes the connection (SQLite) or ends the pool (PostgreSQL). */
  close(): Promise<void>;
}

/** The engine-specific fragments of otherwise shared SQL. */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** A text field of a JSON object stored in a TEXT column (`key` a literal identifier). */
  jsonText(column: string, key: string): string;
  /** Same, with the key as a bound parameter (`?`). */
  jsonTextParam(column: string): string;
  /** Comma-joined values of a text column in a group (`group_concat` / `string_agg`). */
  joinText(column: string): string;
  /** A column giving rows in insertion order (SQLite's rowid; an identity column on PostgreSQL). */
  rowOrder(alias?: string): string;
}

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  jsonText: (column, key) => `json_extract(${column}, '$.${key}')`,
  jsonTextParam: (column) => `CAST(json_extract(${column}, '$.' || ?) AS TEXT)`,
  joinText: (column) => `group_concat(${column})`,
  rowOrder: (alias) => (alias ? `${alias}.rowid` : 'rowid'),
};

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  jsonText: (column, key) => `(${column}::jsonb ->> '${key}')`,
  jsonTextParam: (column) => `(${column}::jsonb ->> ?)`,
  joinText: (column) => `string_agg(${column}, ',')`,
  rowOrder: (alias) => (alias ? `${alias}._rowid` : '_rowid'),
};

/**
 * Rewrites each placeholder of `sql` (`?`, or `@name` for a named parameter), leaving quoted
 * literals as they are: `replace` gets the name (undefined for `?`) and returns the text to put
 * instead. Both drivers write their engine's form of the shared SQL with it.
 */
export function rewritePlaceholders(sql: string, replace: (name: string | undefined) => string): string {
  let text = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'") {
      const end = sql.indexOf("'", i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      text += replace(undefined);
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = (/^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1)) as RegExpExecArray)[0];
      text += replace(name);
      i += name.length;
    } else {
      text += c;
    }
  }
  return text;
}

/** Whether a write was refused by a constraint (unique name, key or reference). */
export function isConstraintViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = String((error as { code: unknown }).code);
  // SQLite: SQLITE_CONSTRAINT_*; PostgreSQL: class 23 (integrity constraint violation).
  return code.startsWith('SQLITE_CONSTRAINT') || /^23\d{3}$/.test(code);
}

/** `?, ?, ?` for an IN list of `n` values. */
export const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** IN lists are chunked to stay well under both engines' bound-parameter limits. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
