import type { AuditChainKey, AuditHead } from '../../audit/audit-log.js';
import type { SqliteDatabase } from '../database.js';
import type { AuditRecord } from '../records.js';
import { json, type Row } from './rows.js';

/** Filters of the audit-log query API (all optional; dates are ISO strings). */
export interface AuditQuery {
  /** Restricts to these projects' entries plus organization-level entries of this actor. */
  visibleTo?: { projectIds: string[]; actorId: string } | undefined;
  orgId?: string;
  projectId?: string;
  environment?: string;
  actorType?: string;
  actorId?: string;
  eventTypes?: string[];
  userAgentType?: string;
  secretPath?: string;
  secretKey?: string;
  eventMetadata?: Record<string, string>;
  startDate?: string;
  endDate?: string;
  offset: number;
  limit: number;
}

/** The append-only, hash-chained audit log. */
export interface AuditStore {
  /**
   * Appends an entry: reads the previous entry's hash, inserts the new one and moves the sealed
   * head record in one transaction, so the chain has no gaps or forks under concurrency.
   */
  append(
    entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>,
    key: AuditChainKey,
  ): Promise<AuditRecord>;
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /** Every entry in chain order (for verification). */
  all(): Iterable<AuditRecord>;
  /** The sealed head record, if one was written. */
  head(): Promise<AuditHead | undefined>;
  /** Writes the head record for the chain as it stands when there is none (a new or upgraded store). */
  ensureHead(key: AuditChainKey): Promise<void>;
  /** Deletes entries whose expiry has passed, always keeping the newest; returns how many. */
  purgeExpired(now: string): Promise<number>;
}

export const GENESIS_HASH = '0'.repeat(64);

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

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly db: SqliteDatabase) {}

  async append(entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>, key: AuditChainKey) {
    return this.db
      .transaction(() => {
        // The head record names the end of the chain; a store without one yet (created without
        // startServer's ensureHead) starts it from the last entry.
        const head = this.db.prepare('SELECT last_hash, total FROM audit_head WHERE id = 1').get() as
          | { last_hash: string; total: number }
          | undefined;
        const last = head
          ? undefined
          : (this.db.prepare('SELECT hash, seq FROM audit_logs ORDER BY seq DESC LIMIT 1').get() as
              | { hash: string; seq: number }
              | undefined);
        const prevHash = head?.last_hash ?? last?.hash ?? GENESIS_HASH;
        const total = head?.total ?? last?.seq ?? 0;
        const entryHash = key.entryHash(entry, prevHash);
        const info = this.db
          .prepare(
            `INSERT INTO audit_logs (id, org_id, project_id, project_name, event_type, event_metadata, actor_type, actor_metadata,
           ip_address, user_agent, user_agent_type, created_at, expires_at, prev_hash, hash, chain_version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2)`,
          )
          .run(
            entry.id,
            entry.orgId,
            entry.projectId,
            entry.projectName,
            entry.eventType,
            JSON.stringify(entry.eventMetadata),
            entry.actorType,
            JSON.stringify(entry.actorMetadata),
            entry.ipAddress,
            entry.userAgent,
            entry.userAgentType,
            entry.createdAt,
            entry.expiresAt,
            prevHash,
            entryHash,
          );
        const seq = Number(info.lastInsertRowid);
        this.writeHead({ lastSeq: seq, lastHash: entryHash, total: total + 1 }, key);
        return { ...entry, seq, prevHash, hash: entryHash, chainVersion: 2 as const };
      })
      .immediate();
  }

  private writeHead(head: Omit<AuditHead, 'mac'>, key: AuditChainKey) {
    this.db
      .prepare(
        `INSERT INTO audit_head (id, last_seq, last_hash, total, mac) VALUES (1, @lastSeq, @lastHash, @total, @mac)
         ON CONFLICT(id) DO UPDATE SET last_seq = @lastSeq, last_hash = @lastHash, total = @total, mac = @mac`,
      )
      .run({ ...head, mac: key.headMac(head) });
  }

  async head() {
    const r = this.db.prepare('SELECT * FROM audit_head WHERE id = 1').get() as Row | undefined;
    if (!r) return undefined;
    return {
      lastSeq: r.last_seq as number,
      lastHash: r.last_hash as string,
      total: r.total as number,
      mac: r.mac as string,
    };
  }

  async ensureHead(key: AuditChainKey) {
    this.db
      .transaction(() => {
        if (this.db.prepare('SELECT 1 FROM audit_head WHERE id = 1').get()) return;
        const last = this.db.prepare('SELECT seq, hash FROM audit_logs ORDER BY seq DESC LIMIT 1').get() as
          | { seq: number; hash: string }
          | undefined;
        const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM audit_logs').get() as { n: number };
        this.writeHead({ lastSeq: last?.seq ?? 0, lastHash: last?.hash ?? GENESIS_HASH, total: n }, key);
      })
      .immediate();
  }

  async query(q: AuditQuery) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (q.orgId) add('org_id = ?', q.orgId);
    if (q.visibleTo) {
      const { projectIds, actorId } = q.visibleTo;
      add(
        `(project_id IN (${projectIds.map(() => '?').join(',')}) OR (project_id IS NULL AND json_extract(actor_metadata, '$.identityId') = ?))`,
        ...projectIds,
        actorId,
      );
    }
    if (q.projectId) add('project_id = ?', q.projectId);
    if (q.environment) add("json_extract(event_metadata, '$.environment') = ?", q.environment);
    if (q.actorType) add('actor_type = ?', q.actorType);
    if (q.actorId)
      add(
        "COALESCE(json_extract(actor_metadata, '$.identityId'), json_extract(actor_metadata, '$.userId')) = ?",
        q.actorId,
      );
    if (q.eventTypes?.length)
      add(`event_type IN (${q.eventTypes.map(() => '?').join(',')})`, ...q.eventTypes);
    if (q.userAgentType) add('user_agent_type = ?', q.userAgentType);
    if (q.secretPath) add("json_extract(event_metadata, '$.secretPath') = ?", q.secretPath);
    if (q.secretKey) add("json_extract(event_metadata, '$.secretKey') = ?", q.secretKey);
    for (const [k, v] of Object.entries(q.eventMetadata ?? {})) {
      add('CAST(json_extract(event_metadata, ?) AS TEXT) = ?', `$.${k}`, v);
    }
    if (q.startDate) add('created_at >= ?', q.startDate);
    if (q.endDate) add('created_at <= ?', q.endDate);
    const sql = `SELECT * FROM audit_logs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq DESC LIMIT ? OFFSET ?`;
    return (this.db.prepare(sql).all(...params, q.limit, q.offset) as Row[]).map(toAudit);
  }

  *all() {
    for (const r of this.db.prepare('SELECT * FROM audit_logs ORDER BY seq').iterate() as Iterable<Row>) {
      yield toAudit(r);
    }
  }

  async purgeExpired(now: string) {
    // The newest entry stays: the head record names it, so the end of the chain stays checkable.
    return this.db
      .prepare('DELETE FROM audit_logs WHERE expires_at < ? AND seq < (SELECT MAX(seq) FROM audit_logs)')
      .run(now).changes;
  }
}
