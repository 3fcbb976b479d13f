/**
 * The rules of the audit chain the store enforces when it appends (docs/reference/audit-log.md):
 * where a chain starts, the check of the sealed tail, and the error when the tail does not hold.
 * The audit log (audit/audit-log.ts) builds on these; nothing here imports it, so store → audit
 * never loops back.
 */
import type { AuditChainKey, AuditHead, AuditRecord } from './records.js';

/** The `prevHash` of the first entry, and the `lastHash` of a chain with no entries. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The chain cannot be continued: the stored tail does not match its sealed head (or there is no
 * head). The server refuses to seal a chain it has not checked; `kms-server audit verify` says what
 * changed. See docs/reference/audit-log.md.
 */
export class AuditChainError extends Error {
  constructor(readonly reason: string) {
    super(
      `the audit log does not continue its sealed chain (${reason}); the server will not seal a chain it has not checked: run \`kms-server audit verify\` to see what changed`,
    );
    this.name = 'AuditChainError';
  }
}

/**
 * The check run at start-up and before a process's first append (under the chain lock): the head
 * record must be sealed by the key and name the last stored entry, and that entry must be keyed
 * and match its hash. Returns what is wrong, or undefined. A store with neither entries nor head is
 * new and fine.
 */
export function tailProblem(
  head: AuditHead | undefined,
  last: AuditRecord | undefined,
  key: AuditChainKey,
): string | undefined {
  if (!head) return last ? `entries exist up to ${last.seq} but the head record is missing` : undefined;
  if (key.headMac(head) !== head.mac) return 'the head record does not match its seal';
  const end = last?.seq ?? 0;
  if (head.lastSeq !== end)
    return `the log ends at entry ${end} but the head record names entry ${head.lastSeq}`;
  if (head.lastHash !== (last?.hash ?? GENESIS_HASH))
    return `the last entry (${end}) is not the one the head record names`;
  if (!last) return undefined;
  if (last.chainVersion !== 2) return `the last entry (${last.seq}) is not keyed`;
  if (key.entryHash(last, last.prevHash) !== last.hash)
    return `the last entry (${last.seq}) does not match its hash`;
  return undefined;
}
