/**
 * SQL implementation of the secret store: folders, secrets (sealed values), tags, imports, versions,
 * and the one transaction that commits a set of secret writes. Never decrypts a value.
 */
import type {
  FolderRecord,
  SecretActorRecord,
  SecretContentRecord,
  SecretImportRecord,
  SecretRecord,
  SecretVersionRecord,
  SecretWrite,
  TagRecord,
} from '../records.js';
import { type SecretStore, StoreConflictError } from '../contract.js';
import { bool, compareText, json, orderBy, type Row } from '../rows.js';
import { takeSnapshots } from './snapshots.js';
import {
  chunks,
  isConstraintViolation,
  marks,
  type SqlDatabase,
  type SqlDialect,
  type SqlExecutor,
} from '../sql/database.js';

/** A `folders` row as a record (the project view of repositories/projects.ts reads folders too). */
export const toFolder = (r: Row): FolderRecord => ({
  id: r.id as string,
  envId: r.env_id as string,
  parentId: (r.parent_id as string | null) ?? null,
  name: r.name as string,
  description: (r.description as string | null) ?? null,
  version: r.version as number,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

/**
 * Rows of one listing usually share a handful of writers: each distinct actor JSON is parsed
 * once per call (records never mutate `actor`; views copy it).
 */
const actorParser = () => {
  const seen = new Map<string, SecretActorRecord | null>();
  return (v: unknown): SecretActorRecord | null => {
    if (typeof v !== 'string') return null;
    let actor = seen.get(v);
    if (actor === undefined) {
      actor = json<SecretActorRecord | null>(v, null);
      seen.set(v, actor);
    }
    return actor;
  };
};

/** The columns a secret row and a version row share. */
const toContent = (r: Row): SecretContentRecord => ({
  key: r.key as string,
  type: r.type as 'shared' | 'personal',
  version: r.version as number,
  valueCiphertext: r.value_ciphertext as string,
  commentCiphertext: r.comment_ciphertext as string,
  metadataCiphertext: r.metadata as string,
  skipMultilineEncoding: bool(r.skip_multiline_encoding),
});

/** A `secrets` row (with `env_id` and comma-joined `tag_ids`) as a record; the project view reads them too. */
export const toSecret = (
  r: Row,
  parseActor: (v: unknown) => SecretActorRecord | null = actorParser(),
): SecretRecord => ({
  ...toContent(r),
  id: r.id as string,
  folderId: r.folder_id as string,
  envId: r.env_id as string,
  reminderNote: (r.reminder_note as string | null) ?? null,
  reminderRepeatDays: (r.reminder_repeat_days as number | null) ?? null,
  actor: parseActor(r.actor),
  tagIds: typeof r.tag_ids === 'string' && r.tag_ids ? (r.tag_ids as string).split(',') : [],
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toVersion = (r: Row): SecretVersionRecord => ({
  ...toContent(r),
  secretId: r.secret_id as string,
  folderId: r.folder_id as string,
  createdAt: r.created_at as string,
});

/** A `secret_tags` row as a record (the project view of repositories/projects.ts reads tags too). */
export const toTag = (r: Row): TagRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  slug: r.slug as string,
  color: r.color as string,
  createdBy: (r.created_by as string | null) ?? null,
  createdByActorType: (r.created_by_actor_type as string | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toImport = (r: Row): SecretImportRecord => ({
  id: r.id as string,
  folderId: r.folder_id as string,
  importEnvId: r.import_env_id as string,
  importPath: r.import_path as string,
  position: r.position as number,
  isReplication: bool(r.is_replication),
  version: r.version as number,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

/** Secrets joined with their environment and their tag ids (comma-joined; tag ids are UUIDs). */
const selectSecrets = (d: SqlDialect) => `SELECT s.*, f.env_id AS env_id,
  (SELECT ${d.joinText('l.tag_id')} FROM secret_tag_links l WHERE l.secret_id = s.id) AS tag_ids
  FROM secrets s JOIN folders f ON f.id = s.folder_id`;

export class SqlSecretStore implements SecretStore {
  readonly #selectSecrets: string;

  constructor(private readonly db: SqlDatabase) {
    this.#selectSecrets = selectSecrets(db.dialect);
  }

  async getFolder(id: string) {
    const r = await this.db.one('SELECT * FROM folders WHERE id = ?', [id]);
    return r && toFolder(r);
  }

  async listFolders(envId: string) {
    return orderBy(
      await this.db.all('SELECT * FROM folders WHERE env_id = ?', [envId]),
      'created_at',
      'name',
    ).map(toFolder);
  }

  async insertFolders(folders: FolderRecord[]) {
    await conflicts(
      this.db.transaction(async (tx) => {
        for (const f of folders) await insertFolderRow(tx, f);
        // The new folders start with an (empty) snapshot, so a rollback of their parent to a time
        // before they held anything empties them.
        const at = folders[0]?.createdAt ?? new Date().toISOString();
        await takeSnapshots(tx, this.db.dialect, foldersAndParents(folders), at);
      }),
    );
  }

  async updateFolder(f: FolderRecord) {
    await conflicts(
      this.db.transaction(async (tx) => {
        await tx.run(
          'UPDATE folders SET name = ?, description = ?, version = ?, updated_at = ? WHERE id = ?',
          [f.name, f.description, f.version, f.updatedAt, f.id],
        );
        if (f.parentId) await takeSnapshots(tx, this.db.dialect, [f.parentId], f.updatedAt);
      }),
    );
  }

  async deleteFolder(id: string, at = new Date().toISOString()) {
    await this.db.transaction(async (tx) => {
      const parent = await tx.one<{ parent_id: string | null }>(
        'SELECT parent_id FROM folders WHERE id = ?',
        [id],
      );
      await deleteFolderRows(tx, id);
      if (parent?.parent_id) await takeSnapshots(tx, this.db.dialect, [parent.parent_id], at);
    });
  }

  async listSecrets(folderIds: string[]) {
    const out: SecretRecord[] = [];
    for (const part of chunks(folderIds)) {
      const rows = await this.db.all(
        `${this.#selectSecrets} WHERE s.folder_id IN (${marks(part.length)}) ORDER BY s.created_at, ${this.db.dialect.rowOrder('s')}`,
        part,
      );
      const parseActor = actorParser();
      for (const row of rows) out.push(toSecret(row, parseActor));
    }
    return out;
  }

  async getSecret(folderId: string, key: string, type: 'shared' | 'personal') {
    const r = await this.db.one(`${this.#selectSecrets} WHERE s.folder_id = ? AND s.key = ? AND s.type = ?`, [
      folderId,
      key,
      type,
    ]);
    return r && toSecret(r);
  }

  async getSecretVersion(secretId: string, version: number) {
    const r = await this.db.one('SELECT * FROM secret_versions WHERE secret_id = ? AND version = ?', [
      secretId,
      version,
    ]);
    return r && toVersion(r);
  }

  async getSecretById(id: string) {
    const r = await this.db.one(`${this.#selectSecrets} WHERE s.id = ?`, [id]);
    if (!r) return undefined;
    const env = await this.db.one<{ project_id: string }>(
      'SELECT project_id FROM environments WHERE id = ?',
      [r.env_id],
    );
    return env && { ...toSecret(r), projectId: env.project_id };
  }

  async listSecretVersions(secretId: string, page: { offset: number; limit: number }) {
    const rows = await this.db.all(
      'SELECT * FROM secret_versions WHERE secret_id = ? ORDER BY version DESC LIMIT ? OFFSET ?',
      [secretId, page.limit, page.offset],
    );
    return rows.map(toVersion);
  }

  async listProjectSecrets(projectId: string) {
    return (
      await this.db.all(
        `${this.#selectSecrets} JOIN environments e ON e.id = f.env_id WHERE e.project_id = ?
         ORDER BY s.created_at, ${this.db.dialect.rowOrder('s')}`,
        [projectId],
      )
    ).map((r) => toSecret(r));
  }

  async writeSecrets(write: SecretWrite) {
    await conflicts(
      this.db.transaction(async (tx) => {
        const touched = new Set<string>();
        const folders = write.folders;
        // Folder deletes first (a restored folder may take a deleted one's name), then creates and renames.
        for (const id of folders?.deletes ?? []) {
          const parent = await tx.one<{ parent_id: string | null }>(
            'SELECT parent_id FROM folders WHERE id = ?',
            [id],
          );
          if (parent?.parent_id) touched.add(parent.parent_id);
          await deleteFolderRows(tx, id);
        }
        for (const f of folders?.inserts ?? []) await insertFolderRow(tx, f);
        for (const id of foldersAndParents(folders?.inserts ?? [])) touched.add(id);
        for (const f of folders?.updates ?? []) {
          await tx.run(
            'UPDATE folders SET name = ?, description = ?, version = ?, updated_at = ? WHERE id = ?',
            [f.name, f.description, f.version, f.updatedAt, f.id],
          );
          if (f.parentId) touched.add(f.parentId);
        }
        // Deletes first, so a batch may delete a key and create it again.
        for (const id of write.deletes) {
          const row = await tx.one<{ folder_id: string }>('SELECT folder_id FROM secrets WHERE id = ?', [id]);
          if (row) touched.add(row.folder_id);
          await tx.run('DELETE FROM secret_versions WHERE secret_id = ?', [id]);
          await tx.run('DELETE FROM secrets WHERE id = ?', [id]);
        }
        for (const { secret, previousVersion } of write.updates) {
          const p = secretParams(secret);
          // Compare-and-set on the version: a write that lost a race changes nothing.
          const changed = await tx.run(
            `UPDATE secrets SET key = @key, version = @version, value_ciphertext = @value, comment_ciphertext = @comment,
             skip_multiline_encoding = @skip, reminder_note = @note, reminder_repeat_days = @days, metadata = @metadata,
             actor = @actor, updated_at = @updated_at WHERE id = @id AND version = @previous`,
            { ...p, previous: previousVersion },
          );
          if (changed !== 1)
            throw new StoreConflictError(`Secret ${secret.key} was changed by another request`, 'stale');
          await insertVersion(tx, p);
          await setTags(tx, secret);
          touched.add(secret.folderId);
          if (write.keepVersions !== undefined) {
            await tx.run('DELETE FROM secret_versions WHERE secret_id = ? AND version <= ?', [
              secret.id,
              secret.version - write.keepVersions,
            ]);
          }
        }
        for (const secret of write.inserts) {
          const p = secretParams(secret);
          await tx.run(
            `INSERT INTO secrets (id, folder_id, key, type, version, value_ciphertext, comment_ciphertext, skip_multiline_encoding,
             reminder_note, reminder_repeat_days, metadata, actor, created_at, updated_at)
             VALUES (@id, @folder_id, @key, @type, @version, @value, @comment, @skip, @note, @days, @metadata, @actor, @created_at, @updated_at)`,
            p,
          );
          await insertVersion(tx, p);
          await setTags(tx, secret);
          touched.add(secret.folderId);
        }
        await takeSnapshots(tx, this.db.dialect, touched, write.at ?? new Date().toISOString());
      }),
    );
  }

  async listTags(projectId: string) {
    return (
      await this.db.all(
        `SELECT *, ${this.db.dialect.rowOrder()} AS row_order FROM secret_tags WHERE project_id = ?`,
        [projectId],
      )
    )
      .sort(
        (a, b) =>
          compareText(a.created_at as string, b.created_at as string) ||
          (a.row_order as number) - (b.row_order as number),
      )
      .map(toTag);
  }

  async getTag(projectId: string, id: string) {
    const r = await this.db.one('SELECT * FROM secret_tags WHERE project_id = ? AND id = ?', [projectId, id]);
    return r && toTag(r);
  }

  async getTagBySlug(projectId: string, slug: string) {
    const r = await this.db.one('SELECT * FROM secret_tags WHERE project_id = ? AND slug = ?', [
      projectId,
      slug,
    ]);
    return r && toTag(r);
  }

  async insertTag(t: TagRecord) {
    await conflicts(
      this.db.run(
        `INSERT INTO secret_tags (id, project_id, slug, color, created_by, created_by_actor_type, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [t.id, t.projectId, t.slug, t.color, t.createdBy, t.createdByActorType, t.createdAt, t.updatedAt],
      ),
    );
  }

  async updateTag(t: TagRecord) {
    await conflicts(
      this.db.run('UPDATE secret_tags SET slug = ?, color = ?, updated_at = ? WHERE id = ?', [
        t.slug,
        t.color,
        t.updatedAt,
        t.id,
      ]),
    );
  }

  async deleteTag(id: string) {
    await this.db.run('DELETE FROM secret_tags WHERE id = ?', [id]);
  }

  async listImports(folderIds: string[]) {
    const out: SecretImportRecord[] = [];
    for (const part of chunks(folderIds)) {
      const rows = await this.db.all(
        `SELECT * FROM secret_imports WHERE folder_id IN (${marks(part.length)}) ORDER BY folder_id, position`,
        part,
      );
      out.push(...rows.map(toImport));
    }
    if (folderIds.length > 1) {
      // Keep the caller's folder order.
      const order = new Map(folderIds.map((id, i) => [id, i]));
      out.sort(
        (a, b) => (order.get(a.folderId) ?? 0) - (order.get(b.folderId) ?? 0) || a.position - b.position,
      );
    }
    return out;
  }

  async getImport(id: string) {
    const r = await this.db.one('SELECT * FROM secret_imports WHERE id = ?', [id]);
    return r && toImport(r);
  }

  // Import positions are read, then written: each change to a folder's imports holds that folder's lock.
  async insertImport(record: Omit<SecretImportRecord, 'position'>) {
    return this.db.transaction(async (tx) => {
      await tx.lock(`imports:${record.folderId}`);
      const last = (await tx.one<{ p: number }>(
        'SELECT COALESCE(MAX(position), 0) AS p FROM secret_imports WHERE folder_id = ?',
        [record.folderId],
      )) as { p: number };
      const stored: SecretImportRecord = { ...record, position: last.p + 1 };
      await tx.run(
        `INSERT INTO secret_imports (id, folder_id, import_env_id, import_path, position, is_replication, version,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          stored.id,
          stored.folderId,
          stored.importEnvId,
          stored.importPath,
          stored.position,
          stored.isReplication ? 1 : 0,
          stored.version,
          stored.createdAt,
          stored.updatedAt,
        ],
      );
      return stored;
    });
  }

  async updateImport(record: SecretImportRecord) {
    return this.db.transaction(async (tx) => {
      await tx.lock(`imports:${record.folderId}`);
      const siblings = (
        await tx.all('SELECT * FROM secret_imports WHERE folder_id = ? ORDER BY position', [record.folderId])
      )
        .map(toImport)
        .filter((i) => i.id !== record.id);
      const index = Math.max(0, Math.min(record.position - 1, siblings.length));
      const ordered = [...siblings.slice(0, index), record, ...siblings.slice(index)];
      for (const [n, i] of ordered.entries())
        await tx.run('UPDATE secret_imports SET position = ? WHERE id = ?', [n + 1, i.id]);
      await tx.run(
        'UPDATE secret_imports SET import_env_id = ?, import_path = ?, version = ?, updated_at = ? WHERE id = ?',
        [record.importEnvId, record.importPath, record.version, record.updatedAt, record.id],
      );
      return { ...record, position: index + 1 };
    });
  }

  async deleteImport(id: string) {
    await this.db.transaction(async (tx) => {
      const found = await tx.one('SELECT folder_id FROM secret_imports WHERE id = ?', [id]);
      if (!found) return;
      await tx.lock(`imports:${found.folder_id as string}`);
      const r = await tx.one('SELECT * FROM secret_imports WHERE id = ?', [id]);
      if (!r) return;
      await tx.run('DELETE FROM secret_imports WHERE id = ?', [id]);
      await tx.run('UPDATE secret_imports SET position = position - 1 WHERE folder_id = ? AND position > ?', [
        r.folder_id,
        r.position,
      ]);
    });
  }
}

async function insertFolderRow(tx: SqlExecutor, f: FolderRecord) {
  await tx.run(
    `INSERT INTO folders (id, env_id, parent_id, name, description, version, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [f.id, f.envId, f.parentId, f.name, f.description, f.version, f.createdAt, f.updatedAt],
  );
}

async function deleteFolderRows(tx: SqlExecutor, id: string) {
  // Versions have no foreign key (they outlive renames), so remove the subtree's by hand.
  await tx.run(
    `WITH RECURSIVE tree(id) AS (SELECT id FROM folders WHERE id = ? UNION ALL SELECT f.id FROM folders f JOIN tree t ON f.parent_id = t.id)
     DELETE FROM secret_versions WHERE folder_id IN (SELECT id FROM tree)`,
    [id],
  );
  await tx.run('DELETE FROM folders WHERE id = ?', [id]);
}

/** Folders just created and their parents: what a snapshot must record after the creation. */
function foldersAndParents(folders: FolderRecord[]): string[] {
  return folders.flatMap((f) => (f.parentId ? [f.id, f.parentId] : [f.id]));
}

const secretParams = (s: SecretRecord) => ({
  id: s.id,
  version_id: `${s.id}:${s.version}`,
  folder_id: s.folderId,
  key: s.key,
  type: s.type,
  version: s.version,
  value: s.valueCiphertext,
  comment: s.commentCiphertext,
  skip: s.skipMultilineEncoding ? 1 : 0,
  note: s.reminderNote,
  days: s.reminderRepeatDays,
  metadata: s.metadataCiphertext,
  actor: s.actor ? JSON.stringify(s.actor) : null,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

async function insertVersion(tx: SqlExecutor, p: ReturnType<typeof secretParams>) {
  await tx.run(
    `INSERT INTO secret_versions (id, secret_id, folder_id, key, type, version, value_ciphertext, comment_ciphertext,
     skip_multiline_encoding, metadata, created_at)
     VALUES (@version_id, @id, @folder_id, @key, @type, @version, @value, @comment, @skip, @metadata, @updated_at)`,
    p,
  );
}

async function setTags(tx: SqlExecutor, s: SecretRecord) {
  await tx.run('DELETE FROM secret_tag_links WHERE secret_id = ?', [s.id]);
  for (const tagId of s.tagIds) {
    await tx.run('INSERT INTO secret_tag_links (secret_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [
      s.id,
      tagId,
    ]);
  }
}

/** A write refused by a constraint (a taken name) becomes a {@link StoreConflictError}. */
async function conflicts<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isConstraintViolation(error)) throw new StoreConflictError((error as Error).message, 'unique');
    throw error;
  }
}
