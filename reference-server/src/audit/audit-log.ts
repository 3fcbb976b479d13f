/**
 * The audit log: hash-chained entries written synchronously with each audited action, and the
 * actor/event types they record. Never records a secret value, a token or a client secret.
 */
import { createHash, createHmac, createSecretKey, hkdfSync, randomUUID } from 'node:crypto';
import type { KeyManager } from '../crypto/key-manager.js';
import { GENESIS_HASH } from '../store/audit-chain.js';
import type { AttachedTokenUse, AuditStore } from '../store/contract.js';
import type { AuditChainKey, AuditHead, AuditRecord, ServerConfigRecord } from '../store/records.js';

/** Who did it, as recorded (never a credential). */
export interface AuditActor {
  /**
   * `operator`: a `kms-server` maintenance command run on the server's machine; `platform`: the
   * server acting on its own (upstream's name), e.g. a scheduled secret rotation or a webhook delivery.
   */
  type: 'identity' | 'user' | 'unknownUser' | 'operator' | 'platform';
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

/**
 * The audit chain key: HKDF-SHA256 of the server's token-signing secret, which only the root key
 * unwraps. Rewriting an entry and recomputing the chain therefore needs the root key, and the key
 * survives root-key rotation (rotation re-wraps the secret, it does not change it).
 */
export function auditChainKey(signingSecret: Uint8Array): AuditChainKey {
  const key = createSecretKey(
    Buffer.from(hkdfSync('sha256', signingSecret, new Uint8Array(0), 'hanzo-kms/audit-chain/v1', 32)),
  );
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('hex');
  return {
    entryHash: (entry, prevHash) => mac(canonicalV2(entry, prevHash)),
    headMac: (head) => mac(JSON.stringify(['head', head.lastSeq, head.lastHash, head.total])),
    checkpointMac: (seq, hash) => mac(JSON.stringify(['checkpoint', seq, hash])),
  };
}

/** The event and who caused it, in the order both chain versions hash them. */
const eventColumns = (entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>) => [
  entry.eventType,
  entry.eventMetadata,
  entry.actorType,
  entry.actorMetadata,
  entry.ipAddress,
  entry.userAgent,
];

/** Version 1 (entries written before the keyed chain): SHA-256 over most columns. */
function canonicalV1(entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>, prevHash: string): string {
  return JSON.stringify([
    prevHash,
    entry.id,
    entry.orgId,
    entry.projectId,
    ...eventColumns(entry),
    entry.createdAt,
    entry.expiresAt,
  ]);
}

/** Version 2: every stored column of the entry, in a fixed order. */
function canonicalV2(
  entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>,
  prevHash: string,
): string {
  return JSON.stringify([
    'v2',
    prevHash,
    entry.id,
    entry.orgId,
    entry.projectId,
    entry.projectName,
    ...eventColumns(entry),
    entry.userAgentType,
    entry.createdAt,
    entry.expiresAt,
  ]);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Events whose entries name the root key in force (`rootKeyId`): what the root key protects was
 * written or used, so an operator sees a root-key rotation in the trail without the key appearing.
 */
const ROOT_KEY_EVENTS = new Set([
  'create-secret',
  'create-secrets',
  'update-secret',
  'update-secrets',
  'delete-secret',
  'delete-secrets',
  'create-cmek',
  'update-cmek',
  'delete-cmek',
  'cmek-encrypt',
  'cmek-decrypt',
  'cmek-sign',
  'cmek-verify',
  'rotate-root-key',
]);

/**
 * The one audit sink. Entries are written synchronously in the store, before the response,
 * each chained to the previous by an HMAC under the audit chain key, with a sealed head
 * record so that rewriting, deleting or truncating entries is detectable.
 */
export class AuditLog {
  private tailChecked = false;

  constructor(
    private readonly store: AuditStore,
    private readonly now: () => number,
    private readonly retentionDays: number,
    private readonly chainKey: () => Promise<AuditChainKey>,
    /** Id of the root key in force (the key backend's `describe().keyId`). */
    private readonly rootKeyId: () => string,
  ) {}

  /**
   * Appends the entry and resolves once it has committed. `tokenUse`, an unlimited token's use,
   * commits with it (rejects with TokenUseRefusedError, the entry written, when the token went).
   */
  async record(
    event: AuditEvent,
    actor: AuditActor,
    request: AuditRequestInfo,
    tokenUse?: AttachedTokenUse,
  ): Promise<AuditRecord> {
    const createdMs = this.now();
    const entry = {
      id: randomUUID(),
      orgId: event.orgId ?? null,
      projectId: event.projectId ?? null,
      projectName: event.projectName ?? null,
      eventType: event.type,
      eventMetadata: ROOT_KEY_EVENTS.has(event.type)
        ? { ...event.metadata, rootKeyId: this.rootKeyId() }
        : event.metadata,
      actorType: actor.type,
      actorMetadata: actor.metadata,
      ipAddress: request.ipAddress,
      userAgent: request.userAgent,
      userAgentType: userAgentType(request.userAgent),
      createdAt: new Date(createdMs).toISOString(),
      expiresAt: new Date(createdMs + this.retentionDays * 86_400_000).toISOString(),
    };
    // The first append of this process checks the tail again: the database may have been edited
    // between start-up and now. A failed check stays failed: every later append checks again.
    const appended = await this.store.append(entry, await this.chainKey(), {
      checkTail: !this.tailChecked,
      ...(tokenUse ? { tokenUse } : {}),
    });
    this.tailChecked = true;
    return appended;
  }
}

/** A parsed checkpoint: the chain had this entry with this hash when the checkpoint was logged. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  mac: string;
}

const CHECKPOINT = /kms-audit-checkpoint\.v1\.(\d+)\.([0-9a-f]{64})\.([0-9a-f]{64})/;

/** The checkpoint token the server logs at a fixed cadence (`auditCheckpoint` in the log line). */
export function formatCheckpoint(key: AuditChainKey, seq: number, hash: string): string {
  return `kms-audit-checkpoint.v1.${seq}.${hash}.${key.checkpointMac(seq, hash)}`;
}

/** Finds the checkpoint token in a token or in a whole log line; undefined when there is none. */
export function parseCheckpoint(text: string): AuditCheckpoint | undefined {
  const m = CHECKPOINT.exec(text);
  if (!m) return undefined;
  return { seq: Number(m[1]), hash: m[2] as string, mac: m[3] as string };
}

/** Result of walking the chain: ok, or the first entry whose link or content does not match. */
export type AuditVerification =
  | { ok: true; entries: number; firstSeq: number | null }
  | { ok: false; entries: number; brokenAt: { seq: number; id: string; reason: string } };

/**
 * Recomputes every link in order and checks the sealed head. Expired entries are purged from
 * the front, so the oldest retained entry may link to a hash no longer present; every later
 * link must hold, and the last entry must be the one the head names (tail truncation).
 * Version-1 entries (unkeyed SHA-256, from before the keyed chain) are accepted only before
 * the first version-2 entry.
 */
export async function verifyAuditChain(
  entries: Iterable<AuditRecord> | AsyncIterable<AuditRecord>,
  chain: { key: AuditChainKey; head: AuditHead | undefined; checkpoint?: AuditCheckpoint },
): Promise<AuditVerification> {
  const { checkpoint } = chain;
  if (checkpoint && chain.key.checkpointMac(checkpoint.seq, checkpoint.hash) !== checkpoint.mac)
    return {
      ok: false,
      entries: 0,
      brokenAt: {
        seq: checkpoint.seq,
        id: '-',
        reason: "the checkpoint was not written with this store's key",
      },
    };
  // Checkpoint 0 is the empty chain a new store starts from: every chain holds it.
  let checkpointSeen = checkpoint?.seq === 0 && checkpoint.hash === GENESIS_HASH;
  let previous: AuditRecord | undefined;
  let count = 0;
  let firstSeq: number | null = null;
  const broken = (entry: { seq: number; id: string }, reason: string): AuditVerification => ({
    ok: false,
    entries: count,
    brokenAt: { seq: entry.seq, id: entry.id, reason },
  });
  for await (const entry of entries) {
    count++;
    firstSeq ??= entry.seq;
    if (previous && entry.prevHash !== previous.hash)
      return broken(entry, 'link to the previous entry does not match');
    if (!previous && entry.seq === 1 && entry.prevHash !== GENESIS_HASH)
      return broken(entry, 'first entry does not start the chain');
    if (entry.chainVersion === 1 && previous?.chainVersion === 2)
      return broken(entry, 'an unkeyed entry follows keyed ones');
    const expected =
      entry.chainVersion === 1
        ? sha256(canonicalV1(entry, entry.prevHash))
        : chain.key.entryHash(entry, entry.prevHash);
    if (expected !== entry.hash) return broken(entry, 'content does not match its hash');
    if (checkpoint && entry.seq === checkpoint.seq) {
      if (entry.hash !== checkpoint.hash)
        return broken(entry, 'the entry differs from the checkpoint: the log was rolled back and rewritten');
      checkpointSeen = true;
    }
    previous = entry;
  }
  const { head } = chain;
  const end = { seq: previous?.seq ?? 0, id: previous?.id ?? '-' };
  if (!head) return broken(end, 'the head record is missing');
  if (chain.key.headMac(head) !== head.mac) return broken(end, 'the head record does not match its seal');
  if (head.lastSeq !== end.seq || head.lastHash !== (previous?.hash ?? GENESIS_HASH))
    return broken(
      { seq: head.lastSeq, id: end.id },
      `the log ends at entry ${end.seq} but the head record names entry ${head.lastSeq}: entries were deleted from the end`,
    );
  if (checkpoint && !checkpointSeen)
    return broken(
      { seq: checkpoint.seq, id: '-' },
      firstSeq !== null && checkpoint.seq < firstSeq
        ? `the checkpoint's entry ${checkpoint.seq} is no longer stored (purged by retention): it cannot be checked`
        : `the checkpoint names entry ${checkpoint.seq}, which the log no longer holds: the log was rolled back`,
    );
  return { ok: true, entries: count, firstSeq };
}

/**
 * Verifies the audit log of a store: derives the chain key with the root key (so verification,
 * like rewriting, needs it) and walks the chain to the sealed head.
 */
export async function verifyStoredAuditLog(
  store: { audit: AuditStore; access: { getConfig(): Promise<ServerConfigRecord | undefined> } },
  keys: KeyManager,
  checkpoint?: AuditCheckpoint,
): Promise<AuditVerification> {
  const config = await store.access.getConfig();
  if (!config)
    return { ok: false, entries: 0, brokenAt: { seq: 0, id: '-', reason: 'the store has no server config' } };
  const key = auditChainKey(await keys.unwrapDataKey(config.jwtSecret));
  // The head is read first: entries appended while the walk runs (other replicas) come after it.
  const head = await store.audit.head();
  return verifyAuditChain(store.audit.all(), { key, head, ...(checkpoint ? { checkpoint } : {}) });
}
