/**
 * The PostgreSQL driver behind SqlDatabase: a pg pool, `?` placeholders translated to `$n`,
 * transactions, and the round-trip counter the bench prints.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import {
  postgresDialect,
  rewritePlaceholders,
  type SqlCounters,
  type SqlDatabase,
  type SqlExecutor,
  type SqlParams,
  type SqlStatementOptions,
  type SqlTransaction,
  type SqlTransactionOptions,
} from './database.js';
import { StoreInputError, StoreUnavailableError } from '../contract.js';

/** How to reach PostgreSQL and size the pool. */
export interface PostgresOptions {
  /** `postgres://user:password@host:5432/db?sslmode=require` (libpq's URL parameters: sslmode, sslrootcert...). */
  url: string;
  /** Connections per replica. @default 10 */
  poolSize?: number;
  /** How long a request may wait for a free connection before failing. @default 10000 */
  connectionTimeoutMs?: number;
  /** Called with pool errors of idle connections (a restarted database), which must not crash the process. */
  onPoolError?: (error: Error) => void;
}

/** BIGINT (int8) and NUMERIC come back as numbers: every integer the store keeps fits in 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/** `?` and `@name` placeholders become `$1`, `$2`... (outside quoted literals); cached by SQL text. */
interface Translated {
  text: string;
  /** For named parameters, the name behind each `$n`; undefined for positional ones. */
  names: string[] | undefined;
  /** The name it is prepared under on each connection, once a caller asked (SqlStatementOptions.prepare). */
  prepared?: string;
}

const translations = new Map<string, Translated>();

export function translatePlaceholders(sql: string): Translated {
  const cached = translations.get(sql);
  if (cached) return cached;
  let n = 0;
  const names: string[] = [];
  let named = false;
  const text = rewritePlaceholders(sql, (name) => {
    if (name === undefined) return `$${++n}`;
    named = true;
    let index = names.indexOf(name);
    if (index === -1) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  const result = { text, names: named ? names : undefined };
  if (translations.size > 2000) translations.clear();
  translations.set(sql, result);
  return result;
}

function values(t: Translated, params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params as unknown[];
  const named = params as Record<string, unknown>;
  return (t.names ?? []).map((name) => {
    if (!(name in named)) throw new Error(`missing SQL parameter @${name}`);
    return named[name];
  });
}

const hasNul = (list: unknown[]) => list.some((v) => typeof v === 'string' && v.includes('\u0000'));

/** Connection-level failures (as opposed to a refused statement): the database is unavailable. */
function unavailable(error: unknown): Error {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /^08/.test(code) || // connection exception
    /^57P0[1-3]$/.test(code) || // admin shutdown, crash shutdown, cannot connect now
    code === '53300' || // too many connections
    code === '55000' || // the database does not accept connections now
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code) ||
    /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/.test(
      message,
    )
  )
    return new StoreUnavailableError(`the database is unavailable: ${message || code}`, { cause: error });
  return error as Error;
}

/**
 * A checked-out connection the server terminates between two statements (a transaction running its
 * JS) emits `error` with no pool listener on it: unhandled, that would end the process. Its next
 * statement fails and is mapped to StoreUnavailableError, so the event itself needs no action.
 */
const onCheckedOutError = () => {};

/** A connection from the pool; failing to get one means the database is unavailable. */
async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    const client = await pool.connect();
    if (!client.listeners('error').includes(onCheckedOutError)) client.on('error', onCheckedOutError);
    return client;
  } catch (error) {
    throw new StoreUnavailableError(`the database is unavailable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Runs statements on a checked-out client, or on a connection borrowed from the pool per statement. */
function executor(target: pg.Pool | pg.PoolClient, counters: SqlCounters): SqlExecutor {
  const send = async (text: string, params?: unknown[], prepared?: string) => {
    const client = target instanceof pg.Pool ? await connect(target) : target;
    let broken: Error | undefined;
    try {
      counters.statements++;
      counters.roundTrips++;
      // A named query is parsed and planned by the first run on each connection (pg sends Parse
      // with the name once per client), then only bound and executed.
      if (prepared) return await client.query({ name: prepared, text, values: params ?? [] });
      return await client.query(text, params);
    } catch (error) {
      const mapped = unavailable(error);
      if (mapped instanceof StoreUnavailableError) broken = mapped;
      throw mapped;
    } finally {
      // A connection that failed at the connection level is dropped, not handed out again.
      if (client !== target) (client as pg.PoolClient).release(broken);
    }
  };
  const query = (sql: string, params: SqlParams | undefined, options?: SqlStatementOptions) => {
    const t = translatePlaceholders(sql);
    if (options?.prepare)
      t.prepared ??= `kms_${createHash('sha256').update(t.text).digest('hex').slice(0, 24)}`;
    return send(t.text, values(t, params), options?.prepare ? t.prepared : undefined);
  };
  // PostgreSQL text cannot hold NUL, so no stored value contains one: a lookup by such a value
  // finds nothing (as on SQLite), and a write of one is refused as bad input.
  return {
    dialect: postgresDialect,
    all: async <T>(sql: string, params?: SqlParams, options?: SqlStatementOptions) =>
      params && hasNul(Object.values(params)) ? [] : ((await query(sql, params, options)).rows as T[]),
    one: async <T>(sql: string, params?: SqlParams) =>
      params && hasNul(Object.values(params))
        ? undefined
        : ((await query(sql, params)).rows[0] as T | undefined),
    run: async (sql: string, params?: SqlParams, options?: SqlStatementOptions) => {
      if (params && hasNul(Object.values(params)))
        throw new StoreInputError('text values cannot contain NUL characters (\\u0000)');
      return (await query(sql, params, options)).rowCount ?? 0;
    },
    // No parameters: the simple query protocol, which takes several statements (migrations).
    exec: async (sql: string) => {
      await send(sql);
    },
  };
}

/** Deadlock and serialization failures: the transaction did nothing and may run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/** A lock name as the 64-bit key PostgreSQL's advisory locks take (stable across replicas). */
const LOCK_KEY_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('kms:' || ?, 0))";

/**
 * `BEGIN` and the advisory lock as one simple-protocol query: one round trip, run in order, the
 * lock taken before any statement of the body reads. The name is a literal, hence the check.
 */
function beginWithLock(name: string): string {
  if (!/^[A-Za-z0-9:-]+$/.test(name)) throw new Error(`invalid lock name: ${name}`);
  return `BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('kms:${name}', 0))`;
}

/**
 * PostgreSQL through a `pg` pool. Transactions run at READ COMMITTED on one checked-out
 * connection; every read-modify-write takes a named advisory lock first (SqlTransaction.lock),
 * and single-statement updates carry their own conditions (`... WHERE num_uses < limit`), so
 * replicas sharing the database never lose an update.
 */
export function openPostgres(options: PostgresOptions): SqlDatabase {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    types,
    application_name: 'kms-server',
  });
  pool.on('error', (error) => options.onPoolError?.(error));
  const counters: SqlCounters = { statements: 0, roundTrips: 0 };
  const direct = executor(pool, counters);
  /** A transaction's own statements (BEGIN, COMMIT, ROLLBACK, the lock), counted like the rest. */
  const control = (client: pg.PoolClient, text: string, params?: unknown[]) => {
    counters.statements++;
    counters.roundTrips++;
    return client.query(text, params);
  };
  return {
    ...direct,
    counters,
    async transaction<T>(
      body: (tx: SqlTransaction) => Promise<T>,
      options?: SqlTransactionOptions,
    ): Promise<T> {
      const begin = options?.lock === undefined ? 'BEGIN' : beginWithLock(options.lock);
      for (let attempt = 1; ; attempt++) {
        const client = await connect(pool);
        let broken: Error | undefined;
        try {
          await control(client, begin);
          if (options?.lock !== undefined) counters.statements++; // two statements, one round trip
          const tx: SqlTransaction = {
            ...executor(client, counters),
            lock: async (name: string) => {
              await control(client, translatePlaceholders(LOCK_KEY_SQL).text, [name]);
            },
          };
          const result = await body(tx);
          await control(client, 'COMMIT');
          return result;
        } catch (error) {
          try {
            await control(client, 'ROLLBACK');
          } catch (rollbackError) {
            // The connection is unusable: drop it from the pool instead of handing it out again.
            broken = rollbackError as Error;
          }
          const code = (error as { code?: unknown }).code;
          if (attempt < MAX_ATTEMPTS && typeof code === 'string' && RETRYABLE.has(code)) continue;
          throw error;
        } finally {
          client.release(broken);
        }
      }
    },
    async close() {
      await pool.end();
    },
  };
}
