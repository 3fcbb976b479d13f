/**
 * Group commit for the writes every authenticated request makes: one counted use of its access
 * token (auth/access-tokens.ts) and its audit entry (audit/audit-log.ts). The use of an unlimited
 * token may ride with the request's audit entry (an attached use): both commit together.
 *
 * Writes arriving while a commit is in flight wait for it, then all of them go into the next
 * transaction together; when nothing is in flight a write starts its commit at once (no timer).
 * Each caller's promise settles only after the transaction holding its write has committed, so
 * nothing is acknowledged before it is durable, and the cost of a commit (its round trips, the
 * fsync) is shared by the batch. A batch of audit entries continues the chain from the head this
 * process last wrote, in one statement on PostgreSQL (appendAfterKnownHead), and reads the head
 * under the chain lock only when another replica moved it. A batch that fails rejects every write
 * in it with the same error: nothing of it was written. See docs/reference/storage.md#group-commit.
 */
import { AuditChainError, GENESIS_HASH, tailProblem } from './audit-chain.js';
import {
  type AttachedTokenUse,
  StoreInputError,
  StoreUnavailableError,
  TokenUseRefusedError,
} from './contract.js';
import type { AccessTokenRecord, AuditChainKey, AuditHead, AuditRecord } from './records.js';
import { lastEntry, readHead, writeHead } from './repositories/audit.js';
import { toToken } from './repositories/access.js';
import type { SqlDatabase, SqlExecutor, SqlTransaction } from './sql/database.js';

/** An audit entry as the caller builds it; the chain fields are filled in by the batch. */
export type AuditEntryInput = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>;

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface TokenUse extends Pending<AccessTokenRecord | undefined> {
  kind: 'token-use';
  tokenId: string;
  now: string;
}

interface AuditAppend extends Pending<AuditRecord> {
  kind: 'audit';
  entry: AuditEntryInput;
  key: AuditChainKey;
  checkTail: boolean;
  /** An unlimited token's use counted in the same commit (see {@link countAttachedUses}). */
  use: AttachedTokenUse | undefined;
}

type Write = TokenUse | AuditAppend;

/**
 * The conditional update that keeps use counts exact: a use is counted only while one is left,
 * so the last use of a limited token goes to exactly one caller, in a batch as alone.
 */
export const CONSUME_TOKEN_USE_SQL = `UPDATE access_tokens SET num_uses = num_uses + 1, last_used_at = ?
  WHERE id = ? AND is_revoked = 0 AND (num_uses_limit = 0 OR num_uses < num_uses_limit)
  RETURNING *`;

/** Audit rows per INSERT statement (16 parameters each, well under both engines' limits). */
const ROWS_PER_INSERT = 50;

/**
 * The most audit rows the one-statement append sends (16 parameters each: about 16,000 of
 * PostgreSQL's 65,535); a larger batch takes the locked path, which inserts them in chunks.
 */
const MAX_ROWS_ONE_STATEMENT = 1000;

/** The largest batch whose one-statement append is kept prepared (a text per batch size). */
const MAX_PREPARED_ROWS = 16;

/**
 * Called with each batch before it commits (tests inject faults here); a throw fails the batch and
 * writes nothing of it. In a transaction it runs after every statement of the batch, before
 * COMMIT; for a batch sent as one statement (PostgreSQL, audit entries only) it runs just before
 * that statement.
 */
export type BeforeCommitHook = (batch: { tokenUses: number; auditEntries: number }) => void | Promise<void>;

/** The chain head as this process last wrote or read it, and the key that seals it. */
interface KnownHead {
  head: Omit<AuditHead, 'mac'>;
  key: AuditChainKey;
}

/**
 * A batch's entries chained after a head: the stored records, the head that ends them, and the
 * tokens whose attached uses were counted with them.
 */
interface Chained {
  stored: AuditRecord[];
  next: Omit<AuditHead, 'mac'>;
  counted: Set<string>;
}

/** The per-request writes of one store, committed in groups. */
export class GroupCommitter {
  #queue: Write[] = [];
  #committing = false;
  #beforeCommit: BeforeCommitHook | undefined;
  /**
   * The head this process last wrote (or read under the chain lock): a batch continues the chain
   * from it without reading it, and its head update applies only while the stored head is still
   * this one (see {@link appendAfterKnownHead}). Undefined at start and after a failed batch.
   */
  #known: KnownHead | undefined;
  /**
   * How many transactions (or single statements) committed batches, how many writes they held, and
   * how many batches of audit entries had to read the head under the chain lock (a process's first
   * append, or after another replica appended).
   */
  readonly stats = { batches: 0, writes: 0, lockedAppends: 0 };

  constructor(private readonly db: SqlDatabase) {}

  /** Test hook: see {@link BeforeCommitHook}. Pass undefined to remove it. */
  setBeforeCommit(hook: BeforeCommitHook | undefined): void {
    this.#beforeCommit = hook;
  }

  /** Counts one use of a token if one is left; resolves with the updated row after the commit. */
  useAccessToken(tokenId: string, now: string): Promise<AccessTokenRecord | undefined> {
    return new Promise((resolve, reject) =>
      this.#enqueue({ kind: 'token-use', tokenId, now, resolve, reject }),
    );
  }

  /**
   * Appends an audit entry to the chain; resolves with the stored entry after the commit.
   * `checkTail` runs the tail check of a process's first append in the same transaction.
   */
  appendAudit(
    entry: AuditEntryInput,
    key: AuditChainKey,
    checkTail: boolean,
    use?: AttachedTokenUse,
  ): Promise<AuditRecord> {
    // Refused here, for this caller alone: in the batch it would fail every other request's write.
    if (Object.values(entry).some((v) => typeof v === 'string' && v.includes('\u0000')))
      return Promise.reject(new StoreInputError('text values cannot contain NUL characters (\\u0000)'));
    return new Promise((resolve, reject) =>
      this.#enqueue({ kind: 'audit', entry, key, checkTail, use, resolve, reject }),
    );
  }

  #enqueue(write: Write): void {
    this.#queue.push(write);
    if (this.#committing) return;
    this.#committing = true;
    // At the end of this turn of the event loop (setImmediate), not on a timer: the requests whose
    // data arrived in the same turn (their handlers run to this point within it on SQLite, where no
    // statement waits for I/O) join the first batch, and an idle database sees the commit begin
    // as soon as the turn ends.
    setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#commitBatch(batch);
      }
    } finally {
      this.#committing = false;
    }
  }

  async #commitBatch(batch: Write[]): Promise<void> {
    // Token rows are locked in id order, so two replicas' batches never wait on each other in
    // opposite orders (a deadlock); the sort is stable, so uses of one token keep their order.
    const uses = batch
      .filter((w): w is TokenUse => w.kind === 'token-use')
      .sort((a, b) => (a.tokenId < b.tokenId ? -1 : a.tokenId > b.tokenId ? 1 : 0));
    const appends = batch.filter((w): w is AuditAppend => w.kind === 'audit');
    const attached = appends.filter((a) => a.use).length;
    const results = new Map<Write, unknown>();
    let chained: (Chained & { key: AuditChainKey }) | undefined;
    try {
      const only = batch[0] as Write;
      let known = this.#knownFor(appends);
      if (batch.length === 1 && only.kind === 'token-use' && !this.#beforeCommit) {
        // One conditional update alone is its own transaction: no BEGIN/COMMIT round trips.
        results.set(only, await consumeUse(this.db, only));
      } else if (uses.length === 0 && known && this.db.dialect.name === 'postgres') {
        // PostgreSQL, audit entries only, head known: one statement, its own transaction.
        await this.#beforeCommit?.({ tokenUses: attached, auditEntries: appends.length });
        const done = await appendAfterKnownHead(this.db, appends, known);
        if (done) chained = { ...done, key: known.key };
        // Another replica moved the head: this batch reads it under the lock instead.
        else known = undefined;
      }
      if (!chained && !results.has(only)) {
        chained = await this.db.transaction(async (tx) => {
          results.clear(); // PostgreSQL may run the body again after a serialization failure
          // The chain head before any token row: every batch that writes both takes them in that
          // order (the one-statement append too), so two replicas' batches cannot deadlock.
          let done: Chained | undefined;
          if (appends.length > 0) {
            done = known && (await appendAfterKnownHead(tx, appends, known));
            if (!done) {
              this.stats.lockedAppends++;
              done = await appendUnderLock(tx, appends);
            }
          }
          for (const use of uses) results.set(use, await consumeUse(tx, use));
          await this.#beforeCommit?.({ tokenUses: uses.length + attached, auditEntries: appends.length });
          return done && { ...done, key: (appends[0] as AuditAppend).key };
        });
      }
    } catch (error) {
      // Whatever the head is now, it is read again (under the lock) by the next batch.
      this.#known = undefined;
      const failure = batchFailure(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    if (chained) {
      this.#known = { head: chained.next, key: chained.key };
      for (const [i, append] of appends.entries()) results.set(append, chained.stored[i]);
    }
    this.stats.batches++;
    this.stats.writes += batch.length;
    for (const write of batch) {
      // The entry is written either way; a request whose token went meanwhile is refused.
      if (write.kind === 'audit' && write.use && !chained?.counted.has(write.use.tokenId))
        write.reject(new TokenUseRefusedError());
      else (write.resolve as (value: unknown) => void)(results.get(write));
    }
  }

  /** The known head, when this batch of entries may continue from it without the lock. */
  #knownFor(appends: AuditAppend[]): KnownHead | undefined {
    const known = this.#known;
    if (!known || appends.length === 0 || appends.length > MAX_ROWS_ONE_STATEMENT) return undefined;
    // A process's first append checks the stored tail, which only the locked path reads.
    if (appends.some((a) => a.checkTail || a.key !== known.key)) return undefined;
    return known;
  }
}

async function consumeUse(db: SqlExecutor, use: TokenUse): Promise<AccessTokenRecord | undefined> {
  const row = await db.one(CONSUME_TOKEN_USE_SQL, [use.now, use.tokenId]);
  return row && toToken(row);
}

/**
 * The batch's entries continue the chain after `head` in queue order (the order their requests
 * asked): sequence numbers, hashes and the new head are computed here, so both paths below write
 * exactly these.
 */
function chainAfter(
  head: Omit<AuditHead, 'mac'> | undefined,
  appends: AuditAppend[],
  key: AuditChainKey,
): Chained {
  let prevHash = head?.lastHash ?? GENESIS_HASH;
  let seq = head?.lastSeq ?? 0;
  const stored = appends.map(({ entry }): AuditRecord => {
    const hash = key.entryHash(entry, prevHash);
    const record = { ...entry, seq: ++seq, prevHash, hash, chainVersion: 2 as const };
    prevHash = hash;
    return record;
  });
  return {
    stored,
    next: { lastSeq: seq, lastHash: prevHash, total: (head?.total ?? 0) + stored.length },
    counted: new Set(),
  };
}

const AUDIT_COLUMNS = `seq, id, org_id, project_id, project_name, event_type, event_metadata, actor_type,
  actor_metadata, ip_address, user_agent, user_agent_type, created_at, expires_at, prev_hash, hash, chain_version`;

/** One row's VALUES tuple; the sequence number is cast so PostgreSQL types it inside VALUES. */
const AUDIT_ROW = '(CAST(? AS BIGINT), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2)';

/** The same, followed by the row's attached token use (token id and time, or NULLs). */
const AUDIT_ROW_WITH_USE = '(CAST(? AS BIGINT), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2, ?, ?)';

/**
 * The later of a token's last use and this batch's (ISO times compare as text): two replicas'
 * batches may commit in either order, and the time must not go back.
 */
const laterUse = (column: string, at: string) =>
  `CASE WHEN ${column} IS NULL OR ${column} < ${at} THEN ${at} ELSE ${column} END`;

/**
 * An unlimited token's uses in one batch, added at once while it is neither revoked nor limited
 * (parameters: the count, the time twice, the token id).
 */
const COUNT_ATTACHED_USES_SQL = `UPDATE access_tokens SET num_uses = num_uses + ?,
  last_used_at = ${laterUse('last_used_at', '?')}
  WHERE id = ? AND is_revoked = 0 AND num_uses_limit = 0`;

/** The rows' parameters in AUDIT_COLUMNS order, each followed by `extra(i)` when given. */
const auditParams = (rows: AuditRecord[], extra?: (i: number) => unknown[]) =>
  rows.flatMap((e, i) => [
    e.seq,
    e.id,
    e.orgId,
    e.projectId,
    e.projectName,
    e.eventType,
    JSON.stringify(e.eventMetadata),
    e.actorType,
    JSON.stringify(e.actorMetadata),
    e.ipAddress,
    e.userAgent,
    e.userAgentType,
    e.createdAt,
    e.expiresAt,
    e.prevHash,
    e.hash,
    ...(extra ? extra(i) : []),
  ]);

/** Moves the head from `known` to `next` only if it is still `known` (the compare-and-set). */
const HEAD_MOVE = `UPDATE audit_head SET last_seq = ?, last_hash = ?, total = ?, mac = ?
  WHERE id = 1 AND last_seq = ? AND last_hash = ? AND total = ?`;

/**
 * Appends the batch after the head this process knows, without reading it: the head moves only if
 * it is still that head, and the entries are written only if it moved. Returns undefined, having
 * written nothing, when the head is another (another replica appended, the head was removed).
 *
 * On PostgreSQL it is one statement, a data-modifying CTE (one round trip, atomic on its own): the
 * compare-and-set of the head takes its row lock, so a concurrent append of another replica waits
 * and then finds the head moved; an append under the chain lock reads the head `FOR UPDATE`
 * (see {@link appendUnderLock}). SQLite has no data-modifying CTE: the same two writes run in the
 * batch's transaction (which costs no round trip there).
 */
async function appendAfterKnownHead(
  db: SqlExecutor,
  appends: AuditAppend[],
  known: KnownHead,
): Promise<Chained | undefined> {
  const chained = chainAfter(known.head, appends, known.key);
  const { next } = chained;
  const headParams = [
    next.lastSeq,
    next.lastHash,
    next.total,
    known.key.headMac(next),
    known.head.lastSeq,
    known.head.lastHash,
    known.head.total,
  ];
  if (db.dialect.name === 'postgres') {
    // Prepared for the common batch sizes (one text per size): planning it costs more than running it.
    const prepare = chained.stored.length <= MAX_PREPARED_ROWS;
    if (!appends.some((a) => a.use)) {
      const inserted = await db.run(
        `WITH moved AS (${HEAD_MOVE} RETURNING 1)
         INSERT INTO audit_logs (${AUDIT_COLUMNS})
         SELECT * FROM (VALUES ${chained.stored.map(() => AUDIT_ROW).join(', ')}) AS entries
         WHERE EXISTS (SELECT 1 FROM moved)`,
        [...headParams, ...auditParams(chained.stored)],
        { prepare },
      );
      return inserted === 0 ? undefined : chained;
    }
    // With attached uses: each row also names its token (or NULL), and one UPDATE counts them per
    // token, after the head moved (its lock first, as in the batch transaction).
    const [row] = await db.all<{ moved: boolean; counted: string[] }>(
      `WITH moved AS (${HEAD_MOVE} RETURNING 1),
       entries AS (SELECT * FROM (VALUES ${chained.stored.map(() => AUDIT_ROW_WITH_USE).join(', ')})
         AS e(${AUDIT_COLUMNS}, use_token, use_at)),
       used AS (UPDATE access_tokens AS t SET num_uses = t.num_uses + u.n,
         last_used_at = ${laterUse('t.last_used_at', 'u.at')}
         FROM (SELECT use_token, COUNT(*) AS n, MAX(use_at) AS at FROM entries
               WHERE use_token IS NOT NULL GROUP BY use_token) AS u
         WHERE t.id = u.use_token AND t.is_revoked = 0 AND t.num_uses_limit = 0
           AND EXISTS (SELECT 1 FROM moved)
         RETURNING t.id),
       inserted AS (INSERT INTO audit_logs (${AUDIT_COLUMNS})
         SELECT ${AUDIT_COLUMNS} FROM entries WHERE EXISTS (SELECT 1 FROM moved))
       SELECT EXISTS (SELECT 1 FROM moved) AS moved, ARRAY(SELECT id FROM used) AS counted`,
      [
        ...headParams,
        ...auditParams(chained.stored, (i) => {
          const use = (appends[i] as AuditAppend).use;
          return [use?.tokenId ?? null, use?.now ?? null];
        }),
      ],
      { prepare },
    );
    return row?.moved ? { ...chained, counted: new Set(row.counted) } : undefined;
  }
  if ((await db.run(HEAD_MOVE, headParams)) === 0) return undefined;
  await insertEntries(db, chained.stored);
  return { ...chained, counted: await countAttachedUses(db, appends) };
}

/**
 * Counts the attached uses of a batch (unlimited tokens' uses riding with their requests' audit
 * entries): one conditional UPDATE per token, in id order, adding that token's uses in the batch.
 * Returns the tokens counted; a token revoked or deleted since its requests read it is not.
 */
async function countAttachedUses(db: SqlExecutor, appends: AuditAppend[]): Promise<Set<string>> {
  const perToken = new Map<string, { n: number; at: string }>();
  for (const { use } of appends) {
    if (!use) continue;
    const seen = perToken.get(use.tokenId);
    if (!seen) perToken.set(use.tokenId, { n: 1, at: use.now });
    else {
      seen.n++;
      if (use.now > seen.at) seen.at = use.now;
    }
  }
  const counted = new Set<string>();
  for (const tokenId of [...perToken.keys()].sort()) {
    const { n, at } = perToken.get(tokenId) as { n: number; at: string };
    if ((await db.run(COUNT_ATTACHED_USES_SQL, [n, at, at, tokenId], { prepare: true })) === 1)
      counted.add(tokenId);
  }
  return counted;
}

/**
 * The batch's entries continue the chain under the `audit-chain` lock every replica takes, from
 * the head read now (`FOR UPDATE` on PostgreSQL, so a one-statement append of another replica
 * cannot move it meanwhile): one head read, one INSERT per {@link ROWS_PER_INSERT} entries, one
 * head write. Runs the tail check of a process's first append.
 */
async function appendUnderLock(tx: SqlTransaction, appends: AuditAppend[]): Promise<Chained> {
  await tx.lock('audit-chain');
  const head = await readHead(tx, { forUpdate: true });
  const key = (appends[0] as AuditAppend).key;
  // Entries without a head are never sealed by an append: that is how a truncated or recomputed
  // chain would be re-sealed (docs/reference/audit-log.md).
  const problem = appends.some((a) => a.checkTail)
    ? tailProblem(head, await lastEntry(tx), key)
    : head
      ? undefined
      : (await lastEntry(tx)) && 'entries exist but the head record is missing';
  if (problem) throw new AuditChainError(problem);
  const chained = chainAfter(head, appends, key);
  await insertEntries(tx, chained.stored);
  await writeHead(tx, chained.next, key);
  return { ...chained, counted: await countAttachedUses(tx, appends) };
}

async function insertEntries(tx: SqlExecutor, stored: AuditRecord[]): Promise<void> {
  for (let i = 0; i < stored.length; i += ROWS_PER_INSERT) {
    const rows = stored.slice(i, i + ROWS_PER_INSERT);
    await tx.run(
      `INSERT INTO audit_logs (${AUDIT_COLUMNS}) VALUES ${rows.map(() => AUDIT_ROW).join(', ')}`,
      auditParams(rows),
    );
  }
}

/**
 * What every write of a failed batch is rejected with. A broken chain and the database being
 * down keep their own errors (and answers); anything else that rolled the batch back (a refused
 * statement, a failed COMMIT) becomes StoreUnavailableError, so each request in it answers 503:
 * its write was not applied and may be retried.
 */
function batchFailure(error: unknown): Error {
  if (error instanceof AuditChainError || error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(
    'the batch holding this request’s writes did not commit; nothing in it was applied',
    {
      cause: error,
    },
  );
}
