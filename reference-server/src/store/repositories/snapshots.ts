/**
 * SQL implementation of the snapshot store: point-in-time copies of a folder's secret versions, taken
 * in the same transaction as the writes they follow.
 */
import { randomUUID } from 'node:crypto';
import type {
  SnapshotContentRecord,
  SnapshotFolderRecord,
  SnapshotRecord,
  SnapshotSecretRecord,
} from '../records.js';
import type { SnapshotStore } from '../contract.js';
import { bool, type Row } from '../rows.js';
import type { SqlDatabase, SqlDialect, SqlTransaction } from '../sql/database.js';

const toSnapshot = (r: Row): SnapshotRecord => ({
  id: r.id as string,
  envId: r.env_id as string,
  folderId: r.folder_id as string,
  parentFolderId: (r.parent_folder_id as string | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toSnapshotSecret = (r: Row): SnapshotSecretRecord => ({
  secretId: r.secret_id as string,
  folderId: r.folder_id as string,
  key: r.key as string,
  type: r.type as 'shared' | 'personal',
  version: r.version as number,
  valueCiphertext: r.value_ciphertext as string,
  commentCiphertext: r.comment_ciphertext as string,
  metadataCiphertext: r.metadata as string,
  skipMultilineEncoding: bool(r.skip_multiline_encoding),
  reminderRepeatDays: (r.reminder_repeat_days as number | null) ?? null,
  tagIds: typeof r.tag_ids === 'string' && r.tag_ids ? (r.tag_ids as string).split(',') : [],
  createdAt: r.created_at as string,
});

const toSnapshotFolder = (r: Row): SnapshotFolderRecord => ({
  folderId: r.folder_id as string,
  name: r.name as string,
  description: (r.description as string | null) ?? null,
  childSnapshotId: (r.child_snapshot_id as string | null) ?? null,
});

/**
 * Records each folder and every folder above it as they are now, inside the caller's transaction
 * after its writes: secrets (rows copied, still sealed) and sub-folders with their latest snapshot.
 * Deepest first, so each parent's record points at the snapshot just taken of its child: the
 * newest snapshot of any folder then describes its whole subtree at that moment. A folder that no
 * longer exists is skipped (its parent's snapshot records the deletion). Snapshots of one folder
 * are numbered under the folder's lock, so writers on several replicas never share a number.
 */
export async function takeSnapshots(
  tx: SqlTransaction,
  dialect: SqlDialect,
  folderIds: Iterable<string>,
  at: string,
): Promise<void> {
  const folders = new Map<string, { envId: string; parentId: string | null; depth: number }>();
  const chains = new Map<string, string[]>();
  for (const start of new Set(folderIds)) {
    const chain: string[] = [];
    for (let id: string | null = start; id !== null && !folders.has(id) && !chains.has(id); ) {
      const row: { env_id: string; parent_id: string | null } | undefined = await tx.one(
        'SELECT env_id, parent_id FROM folders WHERE id = ?',
        [id],
      );
      if (!row) break;
      chain.push(id);
      folders.set(id, { envId: row.env_id, parentId: row.parent_id, depth: 0 });
      id = row.parent_id;
    }
    chains.set(start, chain);
  }
  const depthOf = (id: string): number => {
    const folder = folders.get(id);
    if (!folder) return 0;
    if (folder.depth === 0 && folder.parentId) folder.depth = depthOf(folder.parentId) + 1;
    return folder.depth;
  };
  // One order for every transaction (deepest first, then by id), so two writers never wait on
  // each other's folder locks in opposite orders.
  const order = [...folders.keys()].sort((a, b) => depthOf(b) - depthOf(a) || (a < b ? -1 : a > b ? 1 : 0));
  for (const folderId of order) {
    const folder = folders.get(folderId) as { envId: string; parentId: string | null };
    await tx.lock(`snapshots:${folderId}`);
    const last = (await tx.one<{ seq: number }>(
      'SELECT COALESCE(MAX(seq), 0) AS seq FROM secret_snapshots WHERE folder_id = ?',
      [folderId],
    )) as { seq: number };
    const id = randomUUID();
    await tx.run(
      `INSERT INTO secret_snapshots (id, env_id, folder_id, parent_folder_id, seq, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [id, folder.envId, folderId, folder.parentId, Number(last.seq) + 1, at, at],
    );
    await tx.run(
      `INSERT INTO secret_snapshot_secrets (snapshot_id, secret_id, folder_id, key, type, version, value_ciphertext,
       comment_ciphertext, skip_multiline_encoding, metadata, reminder_repeat_days, tag_ids, created_at)
       SELECT ?, s.id, s.folder_id, s.key, s.type, s.version, s.value_ciphertext, s.comment_ciphertext,
         s.skip_multiline_encoding, s.metadata, s.reminder_repeat_days,
         (SELECT ${dialect.joinText('l.tag_id')} FROM secret_tag_links l WHERE l.secret_id = s.id), s.updated_at
       FROM secrets s WHERE s.folder_id = ?`,
      [id, folderId],
    );
    await tx.run(
      `INSERT INTO secret_snapshot_folders (snapshot_id, folder_id, name, description, child_snapshot_id)
       SELECT ?, f.id, f.name, f.description,
         (SELECT c.id FROM secret_snapshots c WHERE c.folder_id = f.id ORDER BY c.seq DESC LIMIT 1)
       FROM folders f WHERE f.parent_id = ?`,
      [id, folderId],
    );
  }
}

export class SqlSnapshotStore implements SnapshotStore {
  constructor(private readonly db: SqlDatabase) {}

  async listSnapshots(folderId: string, page: { offset: number; limit: number }) {
    const rows = await this.db.all(
      'SELECT * FROM secret_snapshots WHERE folder_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?',
      [folderId, page.limit, page.offset],
    );
    return rows.map(toSnapshot);
  }

  async countSnapshots(folderId: string) {
    const r = await this.db.one<{ n: number }>(
      'SELECT COUNT(*) AS n FROM secret_snapshots WHERE folder_id = ?',
      [folderId],
    );
    return Number(r?.n ?? 0);
  }

  async getSnapshot(id: string): Promise<SnapshotContentRecord | undefined> {
    const r = await this.db.one('SELECT * FROM secret_snapshots WHERE id = ?', [id]);
    if (!r) return undefined;
    const secrets = await this.db.all(
      'SELECT * FROM secret_snapshot_secrets WHERE snapshot_id = ? ORDER BY key, secret_id',
      [id],
    );
    const folders = await this.db.all(
      'SELECT * FROM secret_snapshot_folders WHERE snapshot_id = ? ORDER BY name, folder_id',
      [id],
    );
    return {
      ...toSnapshot(r),
      secrets: secrets.map(toSnapshotSecret),
      folders: folders.map(toSnapshotFolder),
    };
  }
}
