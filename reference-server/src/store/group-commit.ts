/**
 * Group commit for the writes every authenticated request makes: one counted use of its access
 * token (auth/access-tokens.ts) and its audit entry (audit/audit-log.ts).
 *
 * Writes arriving while a commit is in flight wait for it, then all of them go into the next
 * transaction together; when nothing is in flight a write starts its commit at once (no timer).
 * Each caller's promise settles only after the transaction holding its write has committed, so
 * nothing is acknowledged before it is durable, and the cost of a commit (BEGIN, the chain lock,
 * the head read and write, COMMIT, the fsync) is shared by the batch. A batch that fails rejects
 * every write in it with the same error: the transaction rolled back, none of them happened.
 * See docs/reference/storage.md#group-commit.
 */
import { AuditChainError, GENESIS_HASH, tailProblem } from './audit-chain.js';
import { StoreInputError, StoreUnavailableError } from './contract.js';
import type { AccessTokenRecord, AuditChainKey, AuditHead, AuditRecord } from './records.js';
import { lastEntry, readHead, writeHead } from './repositories/audit.js';
import { toToken } from './repositories/access.js';
import type { SqlDatabase, SqlExecutor } from './sql/database.js';

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
 * Called with each batch before it commits (tests inject faults here, after every statement of
 * the batch has run and before COMMIT); a throw rolls the batch back.
 */
export type BeforeCommitHook = (batch: { tokenUses: number; auditEntries: number }) => void | Promise<void>;

/** The per-request writes of one store, committed in groups. */
export class GroupCommitter {
  #queue: Write[] = [];
  #committing = false;
  #beforeCommit: BeforeCommitHook | undefined;
  /** How many transactions (or single statements) committed batches, and how many writes they held. */
  readonly stats = { batches: 0, writes: 0 };

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
  appendAudit(entry: AuditEntryInput, key: AuditChainKey, checkTail: boolean): Promise<AuditRecord> {
    // Refused here, for this caller alone: in the batch it would fail every other request's write.
    if (Object.values(entry).some((v) => typeof v === 'string' && v.includes('\u0000')))
      return Promise.reject(new StoreInputError('text values cannot contain NUL characters (\\u0000)'));
    return new Promise((resolve, reject) =>
      this.#enqueue({ kind: 'audit', entry, key, checkTail, resolve, reject }),
    );
  }

  #enqueue(write: Write): void {
    this.#queue.push(write);
    if (this.#committing) return;
    this.#committing = true;
    // A microtask, not a timer: writes issued in the same tick join the first batch, and an idle
    // database sees the commit begin at once.
    queueMicrotask(() => void this.#drain());
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
    const results = new Map<Write, unknown>();
    try {
      const only = batch[0] as Write;
      if (batch.length === 1 && only.kind === 'token-use' && !this.#beforeCommit) {
        // One conditional update alone is its own transaction: no BEGIN/COMMIT round trips.
        results.set(only, await consumeUse(this.db, only));
      } else {
        // A batch with audit entries takes the chain lock as it begins (with BEGIN on PostgreSQL).
        const begin = appends.length > 0 ? { lock: 'audit-chain' } : {};
        await this.db.transaction(async (tx) => {
          results.clear(); // PostgreSQL may run the body again after a serialization failure
          for (const use of uses) results.set(use, await consumeUse(tx, use));
          if (appends.length > 0) {
            const stored = await appendEntries(tx, appends);
            for (const [i, append] of appends.entries()) results.set(append, stored[i]);
          }
          await this.#beforeCommit?.({ tokenUses: uses.length, auditEntries: appends.length });
        }, begin);
      }
    } catch (error) {
      const failure = batchFailure(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    this.stats.batches++;
    this.stats.writes += batch.length;
    for (const write of batch) (write.resolve as (value: unknown) => void)(results.get(write));
  }
}

async function consumeUse(db: SqlExecutor, use: TokenUse): Promise<AccessTokenRecord | undefined> {
  const row = await db.one(CONSUME_TOKEN_USE_SQL, [use.now, use.tokenId]);
  return row && toToken(row);
}

/**
 * The batch's entries continue the chain in queue order (the order their requests asked), under
 * the chain lock every replica takes: one head read, one INSERT per {@link ROWS_PER_INSERT}
 * entries, one head write. Appends of every replica queue on that lock, so each batch reads the
 * head the previous one wrote.
 */
async function appendEntries(tx: SqlExecutor, appends: AuditAppend[]): Promise<AuditRecord[]> {
  // The transaction began with the `audit-chain` lock (see #commitBatch).
  const head = await readHead(tx);
  const key = (appends[0] as AuditAppend).key;
  // Entries without a head are never sealed by an append: that is how a truncated or recomputed
  // chain would be re-sealed (docs/reference/audit-log.md).
  const problem = appends.some((a) => a.checkTail)
    ? tailProblem(head, await lastEntry(tx), key)
    : head
      ? undefined
      : (await lastEntry(tx)) && 'entries exist but the head record is missing';
  if (problem) throw new AuditChainError(problem);
  let prevHash = head?.lastHash ?? GENESIS_HASH;
  const chained = appends.map(({ entry }) => {
    const hash = key.entryHash(entry, prevHash);
    const record = { ...entry, prevHash, hash };
    prevHash = hash;
    return record;
  });
  const stored: AuditRecord[] = [];
  for (let i = 0; i < chained.length; i += ROWS_PER_INSERT) {
    const rows = chained.slice(i, i + ROWS_PER_INSERT);
    const values = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2)').join(', ');
    const inserted = await tx.all<{ id: string; seq: number }>(
      `INSERT INTO audit_logs (id, org_id, project_id, project_name, event_type, event_metadata, actor_type,
       actor_metadata, ip_address, user_agent, user_agent_type, created_at, expires_at, prev_hash, hash, chain_version)
       VALUES ${values} RETURNING id, seq`,
      rows.flatMap((e) => [
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
      ]),
    );
    const seqById = new Map(inserted.map((r) => [r.id, r.seq]));
    for (const e of rows) {
      const seq = seqById.get(e.id) as number;
      // The chain is walked by seq: the entries must take their sequence numbers in chain order.
      const previousSeq = stored.at(-1)?.seq ?? head?.lastSeq ?? 0;
      if (!(seq > previousSeq)) throw new Error('audit entries of a batch were numbered out of chain order');
      stored.push({ ...e, seq, chainVersion: 2 });
    }
  }
  const last = stored.at(-1) as AuditRecord;
  const next: Omit<AuditHead, 'mac'> = {
    lastSeq: last.seq,
    lastHash: last.hash,
    total: (head?.total ?? 0) + stored.length,
  };
  await writeHead(tx, next, key);
  return stored;
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
