/**
 * SQL implementation of the audit store: appends chained entries (through the group committer),
 * reads and filters them, and keeps the sealed head record (store/audit-chain.ts holds the chain's rules).
 */
import { AuditChainError, GENESIS_HASH, tailProblem } from '../audit-chain.js';
import type { AttachedTokenUse, AuditStore } from '../contract.js';
import type { AuditChainKey, AuditHead, AuditQuery, AuditRecord } from '../records.js';
import { json, type Row } from '../rows.js';
import { marks, type SqlDatabase, type SqlExecutor } from '../sql/database.js';

const toAudit = (r: Row): AuditRecord => ({
  seq: r.seq as number,
  id: r.id as string,
  orgId: (r.org_id as string | null) ?? null,
  projectId: (r.project_id as string | null) ?? null,
  projectName: (r.project_name as string | null) ?? null,
  eventType: r.event_type as string,
  eventMetadata: json(r.event_metadata, {}),
  actorType: r.actor_type as string,
  actorMetadata: json(r.actor_metadata, {}),
  ipAddress: (r.ip_address as string | null) ?? null,
  userAgent: (r.user_agent as string | null) ?? null,
  userAgentType: (r.user_agent_type as string | null) ?? null,
  createdAt: r.created_at as string,
  expiresAt: r.expires_at as string,
  prevHash: r.prev_hash as string,
  hash: r.hash as string,
  chainVersion: (r.chain_version as number) === 2 ? 2 : 1,
});

/** Entries read per round trip when walking the whole chain. */
const PAGE = 1000;

export class SqlAuditStore implements AuditStore {
  constructor(
    private readonly db: SqlDatabase,
    // The group committer (store/group-commit.ts), by shape: it imports this file's head helpers.
    private readonly commits: {
      appendAudit(
        entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>,
        key: AuditChainKey,
        checkTail: boolean,
        tokenUse?: AttachedTokenUse,
      ): Promise<AuditRecord>;
    },
  ) {}

  async append(
    entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>,
    key: AuditChainKey,
    options: { checkTail?: boolean; tokenUse?: AttachedTokenUse } = {},
  ) {
    // Batched with the other requests' writes (store/group-commit.ts): resolves once committed.
    return this.commits.appendAudit(entry, key, options.checkTail === true, options.tokenUse);
  }

  async head() {
    return readHead(this.db);
  }

  async checkTail(key: AuditChainKey) {
    await this.db.transaction(async (tx) => {
      await tx.lock('audit-chain');
      const head = await readHead(tx);
      const problem = tailProblem(head, await lastEntry(tx), key);
      if (problem) throw new AuditChainError(problem);
      if (!head) await writeHead(tx, { lastSeq: 0, lastHash: GENESIS_HASH, total: 0 }, key);
    });
  }

  async sealHeadless(key: AuditChainKey) {
    return this.db.transaction(async (tx) => {
      await tx.lock('audit-chain');
      if (await readHead(tx)) return undefined;
      const last = await lastEntry(tx);
      const counted = (await tx.one<{ n: number }>('SELECT COUNT(*) AS n FROM audit_logs')) as { n: number };
      const head = { lastSeq: last?.seq ?? 0, lastHash: last?.hash ?? GENESIS_HASH, total: counted.n };
      await writeHead(tx, head, key);
      return head;
    });
  }

  async query(q: AuditQuery) {
    const json = this.db.dialect.jsonText;
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (q.orgId) add('org_id = ?', q.orgId);
    if (q.visibleTo) {
      const { projectIds, actorId } = q.visibleTo;
      const inProjects = projectIds.length ? `project_id IN (${marks(projectIds.length)}) OR ` : '';
      add(
        `(${inProjects}(project_id IS NULL AND ${json('actor_metadata', 'identityId')} = ?))`,
        ...projectIds,
        actorId,
      );
    }
    if (q.projectId) add('project_id = ?', q.projectId);
    if (q.environment) add(`${json('event_metadata', 'environment')} = ?`, q.environment);
    if (q.actorType) add('actor_type = ?', q.actorType);
    if (q.actorId)
      add(
        `COALESCE(${json('actor_metadata', 'identityId')}, ${json('actor_metadata', 'userId')}) = ?`,
        q.actorId,
      );
    if (q.eventTypes?.length) add(`event_type IN (${marks(q.eventTypes.length)})`, ...q.eventTypes);
    if (q.userAgentType) add('user_agent_type = ?', q.userAgentType);
    if (q.secretPath) add(`${json('event_metadata', 'secretPath')} = ?`, q.secretPath);
    if (q.secretKey) add(`${json('event_metadata', 'secretKey')} = ?`, q.secretKey);
    for (const [k, v] of Object.entries(q.eventMetadata ?? {})) {
      add(`${this.db.dialect.jsonTextParam('event_metadata')} = ?`, k, v);
    }
    if (q.startDate) add('created_at >= ?', q.startDate);
    if (q.endDate) add('created_at <= ?', q.endDate);
    const sql = `SELECT * FROM audit_logs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq DESC LIMIT ? OFFSET ?`;
    return (await this.db.all(sql, [...params, q.limit, q.offset])).map(toAudit);
  }

  async *all() {
    for (let after = 0; ; ) {
      const rows = await this.db.all('SELECT * FROM audit_logs WHERE seq > ? ORDER BY seq LIMIT ?', [
        after,
        PAGE,
      ]);
      for (const r of rows) yield toAudit(r);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]?.seq as number;
    }
  }

  async purgeExpired(now: string) {
    // The newest entry stays: the head record names it, so the end of the chain stays checkable.
    return this.db.transaction(async (tx) => {
      // Under the chain lock, so a purge on one replica never races an append on another.
      await tx.lock('audit-chain');
      return tx.run(
        'DELETE FROM audit_logs WHERE expires_at < ? AND seq < (SELECT MAX(seq) FROM audit_logs)',
        [now],
      );
    });
  }
}

/**
 * The sealed head record. `forUpdate` locks its row on PostgreSQL until the transaction ends, so
 * a one-statement append of another replica (store/group-commit.ts) cannot move it meanwhile
 * (SQLite's write transaction is exclusive already).
 */
export async function readHead(
  db: SqlExecutor,
  options: { forUpdate?: boolean } = {},
): Promise<AuditHead | undefined> {
  const lock = options.forUpdate && db.dialect.name === 'postgres' ? ' FOR UPDATE' : '';
  const r = await db.one(`SELECT * FROM audit_head WHERE id = 1${lock}`);
  if (!r) return undefined;
  return {
    lastSeq: r.last_seq as number,
    lastHash: r.last_hash as string,
    total: r.total as number,
    mac: r.mac as string,
  };
}

export async function lastEntry(db: SqlExecutor): Promise<AuditRecord | undefined> {
  const r = await db.one('SELECT * FROM audit_logs ORDER BY seq DESC LIMIT 1');
  return r ? toAudit(r) : undefined;
}

export async function writeHead(tx: SqlExecutor, head: Omit<AuditHead, 'mac'>, key: AuditChainKey) {
  await tx.run(
    `INSERT INTO audit_head (id, last_seq, last_hash, total, mac) VALUES (1, @lastSeq, @lastHash, @total, @mac)
     ON CONFLICT (id) DO UPDATE SET last_seq = @lastSeq, last_hash = @lastHash, total = @total, mac = @mac`,
    { ...head, mac: key.headMac(head) },
  );
}
