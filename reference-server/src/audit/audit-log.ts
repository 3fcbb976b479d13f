import { createHash, randomUUID } from 'node:crypto';
import type { AuditRecord } from '../store/records.js';
import { type AuditStore, GENESIS_HASH } from '../store/sqlite/audit-store.js';

/** Who did it, as recorded (never a credential). */
export interface AuditActor {
  type: 'identity' | 'user' | 'unknownUser';
  metadata: Record<string, unknown>;
}

/** Where the request came from. */
export interface AuditRequestInfo {
  ipAddress: string | null;
  userAgent: string | null;
}

/** One event to record. `metadata` must never contain a secret value. */
export interface AuditEvent {
  type: string;
  metadata: Record<string, unknown>;
  orgId?: string | null;
  projectId?: string | null;
  projectName?: string | null;
}

/** Classifies a User-Agent the way upstream dashboards filter on it. */
export function userAgentType(userAgent: string | null): string {
  if (!userAgent) return 'other';
  const ua = userAgent.toLowerCase();
  if (ua === 'cli' || ua === 'k8-operator' || ua === 'terraform') return ua;
  if (ua.includes('mozilla')) return 'web';
  if (ua.includes('hanzo-kms-node') || ua.includes('infisicalsdk') || ua.includes('@hanzo/kms'))
    return 'NodeSDK';
  if (ua.includes('python')) return 'PythonSDK';
  return 'other';
}

/** The fields a hash covers, in a fixed order. */
function canonical(entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>, prevHash: string): string {
  return JSON.stringify([
    prevHash,
    entry.id,
    entry.orgId,
    entry.projectId,
    entry.eventType,
    entry.eventMetadata,
    entry.actorType,
    entry.actorMetadata,
    entry.ipAddress,
    entry.userAgent,
    entry.createdAt,
    entry.expiresAt,
  ]);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The one audit sink. Entries are written synchronously in the store, before the
 * response, and each is chained to the previous by SHA-256 so tampering is detectable.
 */
export class AuditLog {
  constructor(
    private readonly store: AuditStore,
    private readonly now: () => number,
    private readonly retentionDays: number,
  ) {}

  async record(event: AuditEvent, actor: AuditActor, request: AuditRequestInfo): Promise<AuditRecord> {
    const createdMs = this.now();
    const entry = {
      id: randomUUID(),
      orgId: event.orgId ?? null,
      projectId: event.projectId ?? null,
      projectName: event.projectName ?? null,
      eventType: event.type,
      eventMetadata: event.metadata,
      actorType: actor.type,
      actorMetadata: actor.metadata,
      ipAddress: request.ipAddress,
      userAgent: request.userAgent,
      userAgentType: userAgentType(request.userAgent),
      createdAt: new Date(createdMs).toISOString(),
      expiresAt: new Date(createdMs + this.retentionDays * 86_400_000).toISOString(),
    };
    return this.store.append(entry, (prevHash) => sha256(canonical(entry, prevHash)));
  }
}

/** Result of walking the chain: ok, or the first entry whose link or content does not match. */
export type AuditVerification =
  | { ok: true; entries: number; firstSeq: number | null }
  | { ok: false; entries: number; brokenAt: { seq: number; id: string; reason: string } };

/**
 * Recomputes every hash in order. Expired entries are purged from the front, so the
 * oldest retained entry may link to a hash no longer present; every later link must hold.
 */
export function verifyAuditChain(entries: Iterable<AuditRecord>): AuditVerification {
  let previous: AuditRecord | undefined;
  let count = 0;
  let firstSeq: number | null = null;
  for (const entry of entries) {
    count++;
    firstSeq ??= entry.seq;
    if (previous && entry.prevHash !== previous.hash) {
      return {
        ok: false,
        entries: count,
        brokenAt: { seq: entry.seq, id: entry.id, reason: 'link to the previous entry does not match' },
      };
    }
    if (!previous && entry.seq === 1 && entry.prevHash !== GENESIS_HASH) {
      return {
        ok: false,
        entries: count,
        brokenAt: { seq: entry.seq, id: entry.id, reason: 'first entry does not start the chain' },
      };
    }
    if (sha256(canonical(entry, entry.prevHash)) !== entry.hash) {
      return {
        ok: false,
        entries: count,
        brokenAt: { seq: entry.seq, id: entry.id, reason: 'content does not match its hash' },
      };
    }
    previous = entry;
  }
  return { ok: true, entries: count, firstSeq };
}
