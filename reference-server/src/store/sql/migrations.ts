/**
 * The schema: numbered migrations in the subset of SQL both engines share (postgresDdl adapts the
 * rest), and the runner that applies the missing ones in order. Append only; never edit a shipped one.
 */
import type { SqlDatabase, SqlExecutor } from './database.js';

/** One schema change. `sql` is written for SQLite and translated for PostgreSQL by {@link postgresDdl}. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** The PostgreSQL form, where the two engines have no shared syntax (triggers). */
  postgres?: string;
}

/**
 * Versioned schema migrations, one source for both engines. Append new entries; never edit a
 * released one. Timestamps are ISO-8601 strings; secret values and comments are stored only as
 * ciphertext (see crypto/value-cipher.ts).
 */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE server_config (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  initialized INTEGER NOT NULL DEFAULT 0,
  admin_identity_ids TEXT NOT NULL DEFAULT '[]',
  jwt_secret_wrapped TEXT NOT NULL,
  jwt_secret_key_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  super_admin INTEGER NOT NULL DEFAULT 0,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE identities (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  org_role TEXT NOT NULL,
  has_delete_protection INTEGER NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL DEFAULT '[]',
  last_login_auth_method TEXT,
  last_login_time TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX identities_org ON identities(org_id);

CREATE TABLE identity_auth_methods (
  id TEXT PRIMARY KEY,
  identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  method TEXT NOT NULL,
  client_id TEXT UNIQUE,
  config TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (identity_id, method)
);

CREATE TABLE ua_client_secrets (
  id TEXT PRIMARY KEY,
  auth_method_id TEXT NOT NULL REFERENCES identity_auth_methods(id) ON DELETE CASCADE,
  description TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  num_uses INTEGER NOT NULL DEFAULT 0,
  num_uses_limit INTEGER NOT NULL,
  is_revoked INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX ua_client_secrets_prefix ON ua_client_secrets(auth_method_id, prefix);

CREATE TABLE auth_lockouts (
  auth_method_id TEXT PRIMARY KEY REFERENCES identity_auth_methods(id) ON DELETE CASCADE,
  failures INTEGER NOT NULL,
  window_started_at INTEGER NOT NULL,
  locked_until INTEGER
);

CREATE TABLE access_tokens (
  id TEXT PRIMARY KEY,
  identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  auth_method TEXT NOT NULL,
  name TEXT,
  client_secret_id TEXT,
  ttl INTEGER NOT NULL,
  max_ttl INTEGER NOT NULL,
  num_uses INTEGER NOT NULL DEFAULT 0,
  num_uses_limit INTEGER NOT NULL,
  period INTEGER NOT NULL DEFAULT 0,
  trusted_ips TEXT NOT NULL,
  is_revoked INTEGER NOT NULL DEFAULT 0,
  last_used_at TEXT,
  last_renewed_at TEXT,
  created_at_ms INTEGER NOT NULL,
  renewed_at_ms INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX access_tokens_identity ON access_tokens(identity_id);

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  description TEXT,
  type TEXT NOT NULL,
  auto_capitalization INTEGER NOT NULL DEFAULT 0,
  has_delete_protection INTEGER NOT NULL DEFAULT 0,
  data_key_wrapped TEXT NOT NULL,
  data_key_id TEXT NOT NULL,
  content_version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (org_id, slug)
);

CREATE TABLE environments (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  position INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (project_id, slug)
);

CREATE TABLE folders (
  id TEXT PRIMARY KEY,
  env_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  parent_id TEXT REFERENCES folders(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX folders_name ON folders(env_id, COALESCE(parent_id, ''), name);

CREATE TABLE secrets (
  id TEXT PRIMARY KEY,
  folder_id TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT 'shared',
  version INTEGER NOT NULL,
  value_ciphertext TEXT NOT NULL,
  comment_ciphertext TEXT NOT NULL,
  skip_multiline_encoding INTEGER NOT NULL DEFAULT 0,
  reminder_note TEXT,
  reminder_repeat_days INTEGER,
  metadata TEXT NOT NULL DEFAULT '[]',
  actor TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (folder_id, key, type)
);

CREATE TABLE secret_versions (
  id TEXT PRIMARY KEY,
  secret_id TEXT NOT NULL,
  folder_id TEXT NOT NULL,
  key TEXT NOT NULL,
  type TEXT NOT NULL,
  version INTEGER NOT NULL,
  value_ciphertext TEXT NOT NULL,
  comment_ciphertext TEXT NOT NULL,
  skip_multiline_encoding INTEGER NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  UNIQUE (secret_id, version)
);

CREATE TABLE secret_tags (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  slug TEXT NOT NULL,
  color TEXT NOT NULL,
  created_by TEXT,
  created_by_actor_type TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (project_id, slug)
);

CREATE TABLE secret_tag_links (
  secret_id TEXT NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
  tag_id TEXT NOT NULL REFERENCES secret_tags(id) ON DELETE CASCADE,
  PRIMARY KEY (secret_id, tag_id)
);

CREATE TABLE secret_imports (
  id TEXT PRIMARY KEY,
  folder_id TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  import_env_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  import_path TEXT NOT NULL,
  position INTEGER NOT NULL,
  is_replication INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE project_memberships (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (project_id, identity_id)
);

CREATE TABLE project_membership_roles (
  id TEXT PRIMARY KEY,
  membership_id TEXT NOT NULL REFERENCES project_memberships(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  is_temporary INTEGER NOT NULL DEFAULT 0,
  temporary_mode TEXT,
  temporary_range TEXT,
  temporary_access_start_time TEXT,
  temporary_access_end_time TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE audit_logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT,
  project_id TEXT,
  project_name TEXT,
  event_type TEXT NOT NULL,
  event_metadata TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_metadata TEXT NOT NULL,
  ip_address TEXT,
  user_agent TEXT,
  user_agent_type TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_logs_project ON audit_logs(project_id, created_at);
CREATE INDEX audit_logs_org ON audit_logs(org_id, created_at);
`,
  },
  {
    version: 2,
    name: 'secret versions follow their secret; secret import lookups',
    sql: `
-- secret_versions has no foreign key (a version outlives a rename), so remove a deleted secret's
-- versions here: this also covers cascades from folder, environment and project deletes.
CREATE TRIGGER secrets_delete_versions AFTER DELETE ON secrets
BEGIN
  DELETE FROM secret_versions WHERE secret_id = OLD.id;
END;
CREATE INDEX secret_imports_folder ON secret_imports(folder_id, position);
CREATE INDEX secret_versions_folder ON secret_versions(folder_id);
`,
    postgres: `
CREATE FUNCTION secrets_delete_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM secret_versions WHERE secret_id = OLD.id;
  RETURN OLD;
END
$$;
CREATE TRIGGER secrets_delete_versions AFTER DELETE ON secrets FOR EACH ROW EXECUTE FUNCTION secrets_delete_versions();
CREATE INDEX secret_imports_folder ON secret_imports(folder_id, position);
CREATE INDEX secret_versions_folder ON secret_versions(folder_id);
`,
  },
  {
    version: 3,
    name: 'one sealed ciphertext per secret row (value, comment, metadata)',
    // Schema unchanged: the value column holds the sealed form, comment and metadata become ''.
    // Converting rows needs the project data keys, so `resealLegacySecretRows` (below) does it
    // when the server starts with its key manager; until then legacy rows still read.
    sql: '',
  },
  {
    version: 4,
    name: 'keyed audit chain and its sealed head record',
    sql: `
ALTER TABLE audit_logs ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  total INTEGER NOT NULL,
  mac TEXT NOT NULL
);
`,
  },
  {
    version: 5,
    name: 'KMS keys and their sealed key material, one row per key version',
    sql: `
CREATE TABLE kms_keys (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  is_disabled INTEGER NOT NULL DEFAULT 0,
  key_usage TEXT NOT NULL,
  encryption_algorithm TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE kms_key_versions (
  key_id TEXT NOT NULL REFERENCES kms_keys(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  sealed_material TEXT NOT NULL,
  public_key TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, version)
);
`,
  },
  {
    version: 10,
    name: 'version retention per project (upstream pitVersionLimit)',
    sql: `
ALTER TABLE projects ADD COLUMN pit_version_limit INTEGER NOT NULL DEFAULT 10;
`,
  },
  {
    version: 11,
    name: 'folder snapshots for point-in-time recovery',
    // A snapshot copies its rows (sealed, as stored), so it outlives the secrets, versions and
    // folders it recorded; it goes with its environment. Sub-folders are recorded with the id of
    // their own latest snapshot, which is how a rollback restores a whole subtree.
    sql: `
CREATE TABLE secret_snapshots (
  id TEXT PRIMARY KEY,
  env_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  folder_id TEXT NOT NULL,
  parent_folder_id TEXT,
  seq INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (folder_id, seq)
);
CREATE TABLE secret_snapshot_secrets (
  snapshot_id TEXT NOT NULL REFERENCES secret_snapshots(id) ON DELETE CASCADE,
  secret_id TEXT NOT NULL,
  folder_id TEXT NOT NULL,
  key TEXT NOT NULL,
  type TEXT NOT NULL,
  version INTEGER NOT NULL,
  value_ciphertext TEXT NOT NULL,
  comment_ciphertext TEXT NOT NULL,
  skip_multiline_encoding INTEGER NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL DEFAULT '[]',
  reminder_repeat_days INTEGER,
  tag_ids TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, secret_id)
);
CREATE TABLE secret_snapshot_folders (
  snapshot_id TEXT NOT NULL REFERENCES secret_snapshots(id) ON DELETE CASCADE,
  folder_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  child_snapshot_id TEXT,
  PRIMARY KEY (snapshot_id, folder_id)
);
`,
  },
  {
    version: 12,
    name: 'KMS keys: exportable flag (recorded; export stays refused by policy)',
    sql: `
ALTER TABLE kms_keys ADD COLUMN is_exportable INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 20,
    name: 'app connections and secret rotations (dual-phase database credentials)',
    sql: `
CREATE TABLE app_connections (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  app TEXT NOT NULL,
  method TEXT NOT NULL,
  credentials_ciphertext TEXT NOT NULL,
  credentials_key_wrapped TEXT NOT NULL,
  credentials_key_id TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE TABLE secret_rotations (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  env_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  folder_id TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  connection_id TEXT NOT NULL REFERENCES app_connections(id),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  parameters TEXT NOT NULL,
  secrets_mapping TEXT NOT NULL,
  generated_credentials TEXT NOT NULL,
  active_index INTEGER NOT NULL DEFAULT 0,
  is_auto_rotation_enabled INTEGER NOT NULL,
  rotation_interval INTEGER NOT NULL,
  rotate_at_utc TEXT NOT NULL,
  rotation_status TEXT,
  last_rotation_attempted_at TEXT,
  last_rotated_at TEXT,
  last_rotation_message TEXT,
  is_last_rotation_manual INTEGER NOT NULL DEFAULT 0,
  next_rotation_at TEXT,
  pending_credentials TEXT,
  claimed_by TEXT,
  claim_expires_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (folder_id, name)
);
CREATE INDEX secret_rotations_due ON secret_rotations(next_rotation_at);
CREATE INDEX secret_rotations_connection ON secret_rotations(connection_id);
`,
  },
  {
    version: 30,
    name: 'project webhooks, URL and signing key sealed under the project data key',
    sql: `
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  env_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  secret_path TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT 'general',
  url_ciphertext TEXT NOT NULL,
  key_ciphertext TEXT,
  is_disabled INTEGER NOT NULL DEFAULT 0,
  filtered_events TEXT NOT NULL DEFAULT '[]',
  last_status TEXT,
  last_run_error_message TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhooks_by_project_env ON webhooks (project_id, env_id);
`,
  },
  {
    version: 31,
    name: 'change notices: where secrets changed, never values, kept briefly so streams can resume',
    sql: `
CREATE TABLE change_notices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id TEXT NOT NULL,
  env_id TEXT NOT NULL,
  notice TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX change_notices_by_project ON change_notices (project_id, id);
`,
  },
  {
    version: 80,
    name: 'the roles of a membership found by index (every project-scoped request reads them)',
    sql: `
CREATE INDEX project_membership_roles_membership ON project_membership_roles (membership_id);
`,
  },
];

/**
 * The SQLite DDL above in PostgreSQL's words: 64-bit integers (timestamps in ms exceed 32 bits),
 * byte-order text comparison like SQLite's BINARY collation (the same sort and uniqueness on both),
 * and SQLite's implicit rowid made an explicit identity column (`_rowid`, see SqlDialect.rowOrder).
 */
export function postgresDdl(sql: string): string {
  return sql
    .replace(/INTEGER PRIMARY KEY AUTOINCREMENT/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"')
    .replace(
      /CREATE TABLE (IF NOT EXISTS )?(\w+) \(/g,
      'CREATE TABLE $1$2 (\n  _rowid BIGINT GENERATED ALWAYS AS IDENTITY,',
    );
}

const MIGRATIONS_TABLE =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/**
 * Brings the schema up to date in one transaction under the `schema-migrations` lock, so replicas
 * starting together on an empty database all come up and exactly one applies each migration (the
 * others find it recorded once they get the lock). Returns the versions this call applied.
 */
export async function migrate(db: SqlDatabase, list: Migration[] = migrations): Promise<number[]> {
  const postgres = db.dialect.name === 'postgres';
  return db.transaction(async (tx) => {
    await tx.lock('schema-migrations');
    await tx.exec(postgres ? postgresDdl(MIGRATIONS_TABLE) : MIGRATIONS_TABLE);
    const applied = new Set(
      (await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
    );
    const done: number[] = [];
    for (const m of list) {
      if (applied.has(m.version)) continue;
      const sql = postgres ? (m.postgres ?? postgresDdl(m.sql)) : m.sql;
      if (sql.trim()) await tx.exec(sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
      done.push(m.version);
    }
    return done;
  });
}

/** A secret or version row still in the legacy three-ciphertext form, with what opens it. */
export interface LegacySecretRow {
  projectId: string;
  dataKey: { wrapped: string; keyId: string };
  envId: string;
  folderId: string;
  key: string;
  version: number;
  valueCiphertext: string;
  commentCiphertext: string;
  metadataCiphertext: string;
  /** A reminder note still stored in plaintext beside the row (`secrets` rows only). */
  reminderNote: string | null;
}

/** The sealed fields that replace a legacy row's. */
export interface ResealedFields {
  valueCiphertext: string;
  commentCiphertext: string;
  metadataCiphertext: string;
}

/** Whether any secret row still needs {@link resealLegacySecretRows} (a cheap check at every start). */
export async function hasLegacySecretRows(db: SqlExecutor, sealedPrefix: string): Promise<boolean> {
  const n = sealedPrefix.length;
  return Boolean(
    await db.one(
      `SELECT 1 AS legacy FROM secrets WHERE substr(value_ciphertext, 1, ${n}) <> ? OR reminder_note IS NOT NULL
       UNION ALL SELECT 1 AS legacy FROM secret_versions WHERE substr(value_ciphertext, 1, ${n}) <> ? LIMIT 1`,
      [sealedPrefix, sealedPrefix],
    ),
  );
}

/**
 * Migration 3's row conversion: reseals every legacy row of `secrets` and `secret_versions`
 * (legacy value ciphertexts are plain base64, sealed ones start with `sealedPrefix`), and every
 * `secrets` row whose reminder note is still in plaintext (it moves into the sealed form), all in
 * one transaction. `reseal` returns undefined for a row that fails its integrity check: it stays as
 * it is (reads keep answering SecretIntegrityError, a delete stays possible). Returns how many
 * rows were converted.
 */
export async function resealLegacySecretRows(
  db: SqlDatabase,
  sealedPrefix: string,
  reseal: (row: LegacySecretRow) => ResealedFields | undefined,
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.lock('reseal-legacy-secrets');
    let count = 0;
    for (const table of ['secrets', 'secret_versions'] as const) {
      const withNotes = table === 'secrets';
      const rows = await tx.all(
        `SELECT t.id AS row_id, p.id AS project_id, p.data_key_wrapped, p.data_key_id, f.env_id, t.folder_id,
           t.key, t.version, t.value_ciphertext, t.comment_ciphertext, t.metadata,
           ${withNotes ? 't.reminder_note' : 'NULL'} AS reminder_note
         FROM ${table} t JOIN folders f ON f.id = t.folder_id JOIN environments e ON e.id = f.env_id
         JOIN projects p ON p.id = e.project_id
         WHERE substr(t.value_ciphertext, 1, ${sealedPrefix.length}) <> ?
           ${withNotes ? 'OR t.reminder_note IS NOT NULL' : ''}`,
        [sealedPrefix],
      );
      for (const r of rows) {
        const fields = reseal({
          projectId: r.project_id as string,
          dataKey: { wrapped: r.data_key_wrapped as string, keyId: r.data_key_id as string },
          envId: r.env_id as string,
          folderId: r.folder_id as string,
          key: r.key as string,
          version: r.version as number,
          valueCiphertext: r.value_ciphertext as string,
          commentCiphertext: r.comment_ciphertext as string,
          metadataCiphertext: r.metadata as string,
          reminderNote: (r.reminder_note as string | null) ?? null,
        });
        if (!fields) continue;
        await tx.run(
          `UPDATE ${table} SET value_ciphertext = ?, comment_ciphertext = ?, metadata = ?
           ${withNotes ? ', reminder_note = NULL' : ''} WHERE id = ?`,
          [fields.valueCiphertext, fields.commentCiphertext, fields.metadataCiphertext, r.row_id],
        );
        count++;
      }
    }
    return count;
  });
}
