import type { SqliteDatabase } from '../database.js';
import { bool, compareText, isUniqueViolation, json, orderBy, type Row } from './rows.js';

/** A folder; the root folder of an environment has `parentId: null` and name `root`. */
export interface FolderRecord {
  id: string;
  envId: string;
  parentId: string | null;
  name: string;
  description: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Who last wrote a secret, as the API reports it. */
export interface SecretActorRecord {
  actorId: string;
  actorType: string;
  name: string;
}

/**
 * A secret's current state. Value, comment and metadata are ciphertext only; each is
 * bound to (project, environment, folder, key, version) by its associated data.
 */
export interface SecretRecord {
  id: string;
  folderId: string;
  /** The folder's environment (joined, not stored on the row). */
  envId: string;
  key: string;
  type: 'shared' | 'personal';
  version: number;
  valueCiphertext: string;
  commentCiphertext: string;
  metadataCiphertext: string;
  skipMultilineEncoding: boolean;
  reminderNote: string | null;
  reminderRepeatDays: number | null;
  actor: SecretActorRecord | null;
  tagIds: string[];
  createdAt: string;
  updatedAt: string;
}

/** One kept version of a secret (every write stores the version it creates). */
export interface SecretVersionRecord {
  secretId: string;
  folderId: string;
  key: string;
  type: 'shared' | 'personal';
  version: number;
  valueCiphertext: string;
  commentCiphertext: string;
  metadataCiphertext: string;
  skipMultilineEncoding: boolean;
  createdAt: string;
}

export interface TagRecord {
  id: string;
  projectId: string;
  slug: string;
  color: string;
  createdBy: string | null;
  createdByActorType: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SecretImportRecord {
  id: string;
  folderId: string;
  importEnvId: string;
  importPath: string;
  position: number;
  isReplication: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** One atomic change set of secrets: all rows are written, or none. */
export interface SecretWrite {
  inserts: SecretRecord[];
  /** `secret` carries the new version; the row must still be at `previousVersion`. */
  updates: { secret: SecretRecord; previousVersion: number }[];
  deletes: string[];
}

/** A write lost a race or hit a uniqueness rule; services turn it into a 4xx. */
export class StoreConflictError extends Error {
  constructor(
    message: string,
    readonly kind: 'unique' | 'stale',
  ) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

/** Folders, secrets (with versions), tags and secret imports. */
export interface SecretStore {
  getFolder(id: string): Promise<FolderRecord | undefined>;
  /** Every folder of an environment (the tree is small; paths are resolved in memory). */
  listFolders(envId: string): Promise<FolderRecord[]>;
  /** Inserts the folders in order (parents first), all or nothing. */
  insertFolders(folders: FolderRecord[]): Promise<void>;
  updateFolder(folder: FolderRecord): Promise<void>;
  /** Deletes the folder with its sub-folders, secrets, versions and imports. */
  deleteFolder(id: string): Promise<void>;

  /** Secrets of the folders, in creation order. */
  listSecrets(folderIds: string[]): Promise<SecretRecord[]>;
  getSecret(folderId: string, key: string, type: 'shared' | 'personal'): Promise<SecretRecord | undefined>;
  getSecretVersion(secretId: string, version: number): Promise<SecretVersionRecord | undefined>;
  /** Every secret of every environment of the project (reference rewriting on rename). */
  listProjectSecrets(projectId: string): Promise<SecretRecord[]>;
  /** Applies the change set in one transaction, keeping a version row per insert and update. */
  writeSecrets(write: SecretWrite): Promise<void>;

  listTags(projectId: string): Promise<TagRecord[]>;
  getTag(projectId: string, id: string): Promise<TagRecord | undefined>;
  getTagBySlug(projectId: string, slug: string): Promise<TagRecord | undefined>;
  insertTag(tag: TagRecord): Promise<void>;
  updateTag(tag: TagRecord): Promise<void>;
  deleteTag(id: string): Promise<void>;

  /** Imports of the folders, by folder then position. */
  listImports(folderIds: string[]): Promise<SecretImportRecord[]>;
  getImport(id: string): Promise<SecretImportRecord | undefined>;
  /** Inserts at the last position + 1 of its folder; returns the stored record. */
  insertImport(record: Omit<SecretImportRecord, 'position'>): Promise<SecretImportRecord>;
  /** Updates source and moves the import to `record.position` (1-based), shifting the others. */
  updateImport(record: SecretImportRecord): Promise<SecretImportRecord>;
  /** Deletes and closes the gap in positions. */
  deleteImport(id: string): Promise<void>;
}

const toFolder = (r: Row): FolderRecord => ({
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

const toSecret = (
  r: Row,
  parseActor: (v: unknown) => SecretActorRecord | null = actorParser(),
): SecretRecord => ({
  id: r.id as string,
  folderId: r.folder_id as string,
  envId: r.env_id as string,
  key: r.key as string,
  type: r.type as 'shared' | 'personal',
  version: r.version as number,
  valueCiphertext: r.value_ciphertext as string,
  commentCiphertext: r.comment_ciphertext as string,
  metadataCiphertext: r.metadata as string,
  skipMultilineEncoding: bool(r.skip_multiline_encoding),
  reminderNote: (r.reminder_note as string | null) ?? null,
  reminderRepeatDays: (r.reminder_repeat_days as number | null) ?? null,
  actor: parseActor(r.actor),
  tagIds: typeof r.tag_ids === 'string' && r.tag_ids ? (r.tag_ids as string).split(',') : [],
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toVersion = (r: Row): SecretVersionRecord => ({
  secretId: r.secret_id as string,
  folderId: r.folder_id as string,
  key: r.key as string,
  type: r.type as 'shared' | 'personal',
  version: r.version as number,
  valueCiphertext: r.value_ciphertext as string,
  commentCiphertext: r.comment_ciphertext as string,
  metadataCiphertext: r.metadata as string,
  skipMultilineEncoding: bool(r.skip_multiline_encoding),
  createdAt: r.created_at as string,
});

const toTag = (r: Row): TagRecord => ({
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
const SELECT_SECRETS = `SELECT s.*, f.env_id AS env_id,
  (SELECT group_concat(l.tag_id) FROM secret_tag_links l WHERE l.secret_id = s.id) AS tag_ids
  FROM secrets s JOIN folders f ON f.id = s.folder_id`;

/** SQLite's bound-parameter limit is large, but chunk IN lists anyway to stay well under it. */
function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class SqliteSecretStore implements SecretStore {
  constructor(readonly db: SqliteDatabase) {}

  async getFolder(id: string) {
    const r = this.db.prepare('SELECT * FROM folders WHERE id = ?').get(id) as Row | undefined;
    return r && toFolder(r);
  }

  async listFolders(envId: string) {
    return orderBy(
      this.db.prepare('SELECT * FROM folders WHERE env_id = ?').all(envId) as Row[],
      'created_at',
      'name',
    ).map(toFolder);
  }

  async insertFolders(folders: FolderRecord[]) {
    const stmt = this.db.prepare(
      `INSERT INTO folders (id, env_id, parent_id, name, description, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.guard(() =>
      this.db.transaction(() => {
        for (const f of folders) {
          stmt.run(f.id, f.envId, f.parentId, f.name, f.description, f.version, f.createdAt, f.updatedAt);
        }
      })(),
    );
  }

  async updateFolder(f: FolderRecord) {
    this.guard(() =>
      this.db
        .prepare('UPDATE folders SET name = ?, description = ?, version = ?, updated_at = ? WHERE id = ?')
        .run(f.name, f.description, f.version, f.updatedAt, f.id),
    );
  }

  async deleteFolder(id: string) {
    this.db.transaction(() => {
      // Versions have no foreign key (they outlive renames), so remove the subtree's by hand.
      this.db
        .prepare(
          `WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT f.id FROM folders f JOIN tree t ON f.parent_id = t.id)
           DELETE FROM secret_versions WHERE folder_id IN (SELECT id FROM tree)`,
        )
        .run(id);
      this.db.prepare('DELETE FROM folders WHERE id = ?').run(id);
    })();
  }

  async listSecrets(folderIds: string[]) {
    const out: SecretRecord[] = [];
    for (const part of chunks(folderIds)) {
      const marks = part.map(() => '?').join(',');
      const rows = this.db
        .prepare(`${SELECT_SECRETS} WHERE s.folder_id IN (${marks}) ORDER BY s.created_at, s.rowid`)
        .all(...part) as Row[];
      const parseActor = actorParser();
      for (const row of rows) out.push(toSecret(row, parseActor));
    }
    return out;
  }

  async getSecret(folderId: string, key: string, type: 'shared' | 'personal') {
    const r = this.db
      .prepare(`${SELECT_SECRETS} WHERE s.folder_id = ? AND s.key = ? AND s.type = ?`)
      .get(folderId, key, type) as Row | undefined;
    return r && toSecret(r);
  }

  async getSecretVersion(secretId: string, version: number) {
    const r = this.db
      .prepare('SELECT * FROM secret_versions WHERE secret_id = ? AND version = ?')
      .get(secretId, version) as Row | undefined;
    return r && toVersion(r);
  }

  async listProjectSecrets(projectId: string) {
    return (
      this.db
        .prepare(
          `${SELECT_SECRETS} JOIN environments e ON e.id = f.env_id WHERE e.project_id = ? ORDER BY s.created_at, s.rowid`,
        )
        .all(projectId) as Row[]
    ).map((r) => toSecret(r));
  }

  async writeSecrets(write: SecretWrite) {
    const insertSecret = this.db.prepare(
      `INSERT INTO secrets (id, folder_id, key, type, version, value_ciphertext, comment_ciphertext, skip_multiline_encoding,
       reminder_note, reminder_repeat_days, metadata, actor, created_at, updated_at)
       VALUES (@id, @folder_id, @key, @type, @version, @value, @comment, @skip, @note, @days, @metadata, @actor, @created_at, @updated_at)`,
    );
    const updateSecret = this.db.prepare(
      `UPDATE secrets SET key = @key, version = @version, value_ciphertext = @value, comment_ciphertext = @comment,
       skip_multiline_encoding = @skip, reminder_note = @note, reminder_repeat_days = @days, metadata = @metadata,
       actor = @actor, updated_at = @updated_at WHERE id = @id AND version = @previous`,
    );
    const insertVersion = this.db.prepare(
      `INSERT INTO secret_versions (id, secret_id, folder_id, key, type, version, value_ciphertext, comment_ciphertext,
       skip_multiline_encoding, metadata, created_at)
       VALUES (@version_id, @id, @folder_id, @key, @type, @version, @value, @comment, @skip, @metadata, @updated_at)`,
    );
    const clearTags = this.db.prepare('DELETE FROM secret_tag_links WHERE secret_id = ?');
    const linkTag = this.db.prepare(
      'INSERT OR IGNORE INTO secret_tag_links (secret_id, tag_id) VALUES (?, ?)',
    );
    const deleteVersions = this.db.prepare('DELETE FROM secret_versions WHERE secret_id = ?');
    const deleteSecret = this.db.prepare('DELETE FROM secrets WHERE id = ?');
    const params = (s: SecretRecord) => ({
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
    const setTags = (s: SecretRecord) => {
      clearTags.run(s.id);
      for (const tagId of s.tagIds) linkTag.run(s.id, tagId);
    };
    this.guard(() =>
      this.db.transaction(() => {
        // Deletes first, so a batch may delete a key and create it again.
        for (const id of write.deletes) {
          deleteVersions.run(id);
          deleteSecret.run(id);
        }
        for (const { secret, previousVersion } of write.updates) {
          const p = params(secret);
          if (updateSecret.run({ ...p, previous: previousVersion }).changes !== 1) {
            throw new StoreConflictError(`Secret ${secret.key} was changed by another request`, 'stale');
          }
          insertVersion.run(p);
          setTags(secret);
        }
        for (const secret of write.inserts) {
          const p = params(secret);
          insertSecret.run(p);
          insertVersion.run(p);
          setTags(secret);
        }
      })(),
    );
  }

  async listTags(projectId: string) {
    return (
      this.db
        .prepare('SELECT *, rowid AS row_order FROM secret_tags WHERE project_id = ?')
        .all(projectId) as Row[]
    )
      .sort(
        (a, b) =>
          compareText(a.created_at as string, b.created_at as string) ||
          (a.row_order as number) - (b.row_order as number),
      )
      .map(toTag);
  }

  async getTag(projectId: string, id: string) {
    const r = this.db
      .prepare('SELECT * FROM secret_tags WHERE project_id = ? AND id = ?')
      .get(projectId, id) as Row | undefined;
    return r && toTag(r);
  }

  async getTagBySlug(projectId: string, slug: string) {
    const r = this.db
      .prepare('SELECT * FROM secret_tags WHERE project_id = ? AND slug = ?')
      .get(projectId, slug) as Row | undefined;
    return r && toTag(r);
  }

  async insertTag(t: TagRecord) {
    this.guard(() =>
      this.db
        .prepare(
          `INSERT INTO secret_tags (id, project_id, slug, color, created_by, created_by_actor_type, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(t.id, t.projectId, t.slug, t.color, t.createdBy, t.createdByActorType, t.createdAt, t.updatedAt),
    );
  }

  async updateTag(t: TagRecord) {
    this.guard(() =>
      this.db
        .prepare('UPDATE secret_tags SET slug = ?, color = ?, updated_at = ? WHERE id = ?')
        .run(t.slug, t.color, t.updatedAt, t.id),
    );
  }

  async deleteTag(id: string) {
    this.db.prepare('DELETE FROM secret_tags WHERE id = ?').run(id);
  }

  async listImports(folderIds: string[]) {
    const out: SecretImportRecord[] = [];
    for (const part of chunks(folderIds)) {
      const marks = part.map(() => '?').join(',');
      const rows = this.db
        .prepare(`SELECT * FROM secret_imports WHERE folder_id IN (${marks}) ORDER BY folder_id, position`)
        .all(...part) as Row[];
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
    const r = this.db.prepare('SELECT * FROM secret_imports WHERE id = ?').get(id) as Row | undefined;
    return r && toImport(r);
  }

  async insertImport(record: Omit<SecretImportRecord, 'position'>) {
    return this.db.transaction(() => {
      const last = this.db
        .prepare('SELECT COALESCE(MAX(position), 0) AS p FROM secret_imports WHERE folder_id = ?')
        .get(record.folderId) as { p: number };
      const stored: SecretImportRecord = { ...record, position: last.p + 1 };
      this.db
        .prepare(
          `INSERT INTO secret_imports (id, folder_id, import_env_id, import_path, position, is_replication, version,
           created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          stored.id,
          stored.folderId,
          stored.importEnvId,
          stored.importPath,
          stored.position,
          stored.isReplication ? 1 : 0,
          stored.version,
          stored.createdAt,
          stored.updatedAt,
        );
      return stored;
    })();
  }

  async updateImport(record: SecretImportRecord) {
    return this.db.transaction(() => {
      const siblings = (
        this.db
          .prepare('SELECT * FROM secret_imports WHERE folder_id = ? ORDER BY position')
          .all(record.folderId) as Row[]
      )
        .map(toImport)
        .filter((i) => i.id !== record.id);
      const index = Math.max(0, Math.min(record.position - 1, siblings.length));
      const ordered = [...siblings.slice(0, index), record, ...siblings.slice(index)];
      const setPosition = this.db.prepare('UPDATE secret_imports SET position = ? WHERE id = ?');
      for (const [n, i] of ordered.entries()) setPosition.run(n + 1, i.id);
      this.db
        .prepare(
          'UPDATE secret_imports SET import_env_id = ?, import_path = ?, version = ?, updated_at = ? WHERE id = ?',
        )
        .run(record.importEnvId, record.importPath, record.version, record.updatedAt, record.id);
      return { ...record, position: index + 1 };
    })();
  }

  async deleteImport(id: string) {
    this.db.transaction(() => {
      const r = this.db.prepare('SELECT * FROM secret_imports WHERE id = ?').get(id) as Row | undefined;
      if (!r) return;
      this.db.prepare('DELETE FROM secret_imports WHERE id = ?').run(id);
      this.db
        .prepare('UPDATE secret_imports SET position = position - 1 WHERE folder_id = ? AND position > ?')
        .run(r.folder_id, r.position);
    })();
  }

  /** Runs a write, turning SQLite constraint failures into {@link StoreConflictError}. */
  private guard<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError((error as Error).message, 'unique');
      throw error;
    }
  }
}
