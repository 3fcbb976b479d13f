/**
 * SQL implementation of the project store: projects, environments (kept a position sequence),
 * memberships and roles.
 */
import type { EnvironmentRecord, MembershipRecord, MembershipRoleRecord, ProjectRecord } from '../records.js';
import type { ProjectStore, ProjectView, ProjectViewRequest } from '../contract.js';
import { aliased, bool, compareText, orderBy, pick, type Row } from '../rows.js';
import type { SqlDatabase, SqlDialect, SqlExecutor } from '../sql/database.js';
import { TOKEN_FOR_REQUEST_COLUMNS, TOKEN_FOR_REQUEST_JOINS, tokenForRequestOf } from './access.js';
import { toFolder, toSecret, toTag } from './secrets.js';

const toProject = (r: Row): ProjectRecord => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  slug: r.slug as string,
  description: (r.description as string | null) ?? null,
  type: r.type as string,
  autoCapitalization: bool(r.auto_capitalization),
  hasDeleteProtection: bool(r.has_delete_protection),
  dataKey: { wrapped: r.data_key_wrapped as string, keyId: r.data_key_id as string },
  contentVersion: r.content_version as number,
  pitVersionLimit: (r.pit_version_limit as number | null) ?? 10,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toEnvironment = (r: Row): EnvironmentRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  name: r.name as string,
  slug: r.slug as string,
  position: r.position as number,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toRole = (r: Row): MembershipRoleRecord => ({
  id: r.id as string,
  role: r.role as string,
  isTemporary: bool(r.is_temporary),
  temporaryMode: (r.temporary_mode as string | null) ?? null,
  temporaryRange: (r.temporary_range as string | null) ?? null,
  temporaryAccessStartTime: (r.temporary_access_start_time as string | null) ?? null,
  temporaryAccessEndTime: (r.temporary_access_end_time as string | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

export class SqlProjectStore implements ProjectStore {
  constructor(private readonly db: SqlDatabase) {}

  async createProject({
    project: p,
    environments,
    rootFolderIds,
    creatorMembership,
  }: Parameters<ProjectStore['createProject']>[0]) {
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO projects (id, org_id, name, slug, description, type, auto_capitalization, has_delete_protection,
         data_key_wrapped, data_key_id, content_version, pit_version_limit, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          p.id,
          p.orgId,
          p.name,
          p.slug,
          p.description,
          p.type,
          p.autoCapitalization ? 1 : 0,
          p.hasDeleteProtection ? 1 : 0,
          p.dataKey.wrapped,
          p.dataKey.keyId,
          p.contentVersion,
          p.pitVersionLimit,
          p.createdAt,
          p.updatedAt,
        ],
      );
      for (const [i, env] of environments.entries())
        await insertEnvironmentRows(tx, env, rootFolderIds[i] as string);
      await insertMembershipRows(tx, creatorMembership);
    });
  }

  async getProject(id: string) {
    const r = await this.db.one('SELECT * FROM projects WHERE id = ?', [id]);
    return r && toProject(r);
  }

  async getProjectBySlug(orgId: string, slug: string) {
    const r = await this.db.one('SELECT * FROM projects WHERE org_id = ? AND slug = ?', [orgId, slug]);
    return r && toProject(r);
  }

  async listProjectsForIdentity(identityId: string) {
    return (
      await this.db.all(
        `SELECT p.* FROM projects p JOIN project_memberships m ON m.project_id = p.id
         WHERE m.identity_id = ? ORDER BY p.created_at, p.id`,
        [identityId],
      )
    ).map(toProject);
  }

  async listProjects() {
    return (await this.db.all('SELECT * FROM projects ORDER BY created_at, id')).map(toProject);
  }

  async updateProject(p: ProjectRecord) {
    await this.db.run(
      `UPDATE projects SET name = ?, slug = ?, description = ?, auto_capitalization = ?, has_delete_protection = ?,
       pit_version_limit = ?, updated_at = ? WHERE id = ?`,
      [
        p.name,
        p.slug,
        p.description,
        p.autoCapitalization ? 1 : 0,
        p.hasDeleteProtection ? 1 : 0,
        p.pitVersionLimit,
        p.updatedAt,
        p.id,
      ],
    );
  }

  async deleteProject(id: string) {
    await this.db.run('DELETE FROM projects WHERE id = ?', [id]);
  }

  async touchContent(projectId: string) {
    await this.db.run('UPDATE projects SET content_version = content_version + 1 WHERE id = ?', [projectId]);
  }

  async listEnvironments(projectId: string) {
    return (
      await this.db.all('SELECT * FROM environments WHERE project_id = ? ORDER BY position, created_at', [
        projectId,
      ])
    ).map(toEnvironment);
  }

  async getEnvironment(id: string) {
    const r = await this.db.one('SELECT * FROM environments WHERE id = ?', [id]);
    return r && toEnvironment(r);
  }

  async getEnvironmentBySlug(projectId: string, slug: string) {
    const r = await this.db.one('SELECT * FROM environments WHERE project_id = ? AND slug = ?', [
      projectId,
      slug,
    ]);
    return r && toEnvironment(r);
  }

  // Environment positions follow upstream's project-env-dal.ts (shiftPositions, updateAllPosition,
  // closePositionGap), each change under one lock per project so concurrent moves stay a sequence.

  async createEnvironment(
    input: Omit<EnvironmentRecord, 'position'> & { position?: number | undefined },
    rootFolderId: string,
  ) {
    return this.db.transaction(async (tx) => {
      await tx.lock(`environments:${input.projectId}`);
      let position = input.position;
      if (position === undefined) {
        const last = await tx.one<{ position: number | null }>(
          'SELECT MAX(position) AS position FROM environments WHERE project_id = ?',
          [input.projectId],
        );
        position = Number(last?.position ?? 0) + 1;
      } else if (
        await tx.one('SELECT id FROM environments WHERE project_id = ? AND position = ?', [
          input.projectId,
          position,
        ])
      ) {
        await tx.run(
          'UPDATE environments SET position = position + 1 WHERE project_id = ? AND position >= ?',
          [input.projectId, position],
        );
      }
      const env: EnvironmentRecord = { ...input, position };
      await insertEnvironmentRows(tx, env, rootFolderId);
      return env;
    });
  }

  async updateEnvironment(env: EnvironmentRecord) {
    await this.db.transaction(async (tx) => {
      await tx.lock(`environments:${env.projectId}`);
      const current = await tx.one<{ position: number }>('SELECT position FROM environments WHERE id = ?', [
        env.id,
      ]);
      const from = current ? Number(current.position) : env.position;
      const to = env.position;
      const taken = await tx.one(
        'SELECT id FROM environments WHERE project_id = ? AND position = ? AND id <> ?',
        [env.projectId, to, env.id],
      );
      if (taken && to > from) {
        await tx.run(
          'UPDATE environments SET position = position - 1 WHERE project_id = ? AND position > ? AND position <= ?',
          [env.projectId, from, to],
        );
      } else if (taken && to < from) {
        await tx.run(
          'UPDATE environments SET position = position + 1 WHERE project_id = ? AND position >= ? AND position < ?',
          [env.projectId, to, from],
        );
      }
      await tx.run('UPDATE environments SET name = ?, slug = ?, position = ?, updated_at = ? WHERE id = ?', [
        env.name,
        env.slug,
        to,
        env.updatedAt,
        env.id,
      ]);
    });
  }

  async deleteEnvironment(id: string) {
    await this.db.transaction(async (tx) => {
      const env = await tx.one<{ project_id: string }>('SELECT project_id FROM environments WHERE id = ?', [
        id,
      ]);
      if (!env) return;
      await tx.lock(`environments:${env.project_id}`);
      const row = await tx.one<{ position: number }>('SELECT position FROM environments WHERE id = ?', [id]);
      if (!row) return;
      await tx.run('DELETE FROM environments WHERE id = ?', [id]);
      await tx.run('UPDATE environments SET position = position - 1 WHERE project_id = ? AND position > ?', [
        env.project_id,
        Number(row.position),
      ]);
    });
  }

  async getMembership(projectId: string, identityId: string) {
    // Every project-scoped request asks this: the membership and its roles in one statement (one
    // round trip on PostgreSQL), a row per role, or one row with NULL role columns for none.
    const rows = await this.db.all(
      `SELECT m.id AS m_id, m.project_id AS m_project_id, m.identity_id AS m_identity_id,
         m.created_at AS m_created_at, m.updated_at AS m_updated_at,
         r.*, ${this.db.dialect.rowOrder('r')} AS row_order
       FROM project_memberships m LEFT JOIN project_membership_roles r ON r.membership_id = m.id
       WHERE m.project_id = ? AND m.identity_id = ?`,
      [projectId, identityId],
    );
    const m = rows[0];
    if (!m) return undefined;
    return membershipOf(
      {
        id: m.m_id,
        project_id: m.m_project_id,
        identity_id: m.m_identity_id,
        created_at: m.m_created_at,
        updated_at: m.m_updated_at,
      },
      rows.filter((r) => r.id !== null && r.id !== undefined),
    );
  }

  async getProjectView(
    ref: { id: string } | { orgId: string; slug: string },
    identityId: string,
    request: ProjectViewRequest = {},
  ): Promise<ProjectView | undefined> {
    const sql = this.#viewSqlFor('id' in ref ? 'id' : 'slug', request, false);
    // In the order of the placeholders: the joins, then the WHERE.
    const params: unknown[] = [identityId, ...viewParams(request)];
    params.push(...('id' in ref ? [ref.id] : [ref.orgId, ref.slug]));
    // Prepared on PostgreSQL: planning this join costs more than running it.
    const rows = await this.db.all(sql, params, { prepare: true });
    return rows[0] && viewOf(rows, identityId, request);
  }

  async getProjectViewForToken(
    tokenId: string,
    ref: { id: string } | { slug: string },
    request: ProjectViewRequest = {},
  ) {
    const sql = this.#viewSqlFor('id' in ref ? 'id' : 'slug', request, true);
    // The project's join, the environment's and the secret's, then the token in the WHERE.
    const params = ['id' in ref ? ref.id : ref.slug, ...viewParams(request), tokenId];
    const rows = await this.db.all(sql, params, { prepare: true });
    const first = rows[0];
    if (!first) return undefined;
    const token = tokenForRequestOf(first);
    const view =
      first.id === null || first.id === undefined ? undefined : viewOf(rows, token.token.identityId, request);
    return { token, view };
  }

  #viewSqlFor(by: 'id' | 'slug', request: ProjectViewRequest, viaToken: boolean): string {
    const withEnv = request.environment !== undefined;
    const withSecret = withEnv && request.secretKey !== undefined;
    const shape = `${by}:${withEnv}:${withSecret}:${viaToken}`;
    let sql = this.#viewSql.get(shape);
    if (!sql) {
      sql = projectViewSql(this.db.dialect, by === 'id', withEnv, withSecret, viaToken);
      this.#viewSql.set(shape, sql);
    }
    return sql;
  }

  /** The project view's statement text per shape (by id or slug, with environment, with secret, via a token). */
  readonly #viewSql = new Map<string, string>();

  async getMembershipById(id: string) {
    const r = await this.db.one('SELECT * FROM project_memberships WHERE id = ?', [id]);
    return r && this.withRoles(r);
  }

  async listMemberships(projectId: string) {
    const rows = await this.db.all(
      'SELECT * FROM project_memberships WHERE project_id = ? ORDER BY created_at',
      [projectId],
    );
    return Promise.all(rows.map((r) => this.withRoles(r)));
  }

  async listMembershipsOfIdentity(identityId: string) {
    const rows = await this.db.all(
      'SELECT * FROM project_memberships WHERE identity_id = ? ORDER BY created_at',
      [identityId],
    );
    return Promise.all(rows.map((r) => this.withRoles(r)));
  }

  async insertMembership(m: MembershipRecord) {
    await this.db.transaction((tx) => insertMembershipRows(tx, m));
  }

  async replaceMembershipRoles(membershipId: string, roles: MembershipRoleRecord[], now: string) {
    await this.db.transaction(async (tx) => {
      // Two replacements racing would otherwise both delete, then both insert.
      await tx.lock(`membership:${membershipId}`);
      await tx.run('DELETE FROM project_membership_roles WHERE membership_id = ?', [membershipId]);
      await insertRoleRows(tx, membershipId, roles);
      await tx.run('UPDATE project_memberships SET updated_at = ? WHERE id = ?', [now, membershipId]);
    });
  }

  async deleteMembership(id: string) {
    await this.db.run('DELETE FROM project_memberships WHERE id = ?', [id]);
  }

  private async withRoles(r: Row): Promise<MembershipRecord> {
    const roles = await this.db.all(
      `SELECT *, ${this.db.dialect.rowOrder()} AS row_order FROM project_membership_roles WHERE membership_id = ?`,
      [r.id],
    );
    return membershipOf(r, roles);
  }
}

/** The columns `toProject` reads. */
const PROJECT_COLUMNS = [
  'id',
  'org_id',
  'name',
  'slug',
  'description',
  'type',
  'auto_capitalization',
  'has_delete_protection',
  'data_key_wrapped',
  'data_key_id',
  'content_version',
  'pit_version_limit',
  'created_at',
  'updated_at',
];
const ROLE_COLUMNS = [
  'id',
  'role',
  'is_temporary',
  'temporary_mode',
  'temporary_range',
  'temporary_access_start_time',
  'temporary_access_end_time',
  'created_at',
  'updated_at',
];
const TAG_COLUMNS = [
  'id',
  'project_id',
  'slug',
  'color',
  'created_by',
  'created_by_actor_type',
  'created_at',
  'updated_at',
];
const ENV_COLUMNS = ['id', 'name', 'slug', 'position', 'created_at', 'updated_at'];
const FOLDER_COLUMNS = ['id', 'parent_id', 'name', 'description', 'version', 'created_at', 'updated_at'];
const SECRET_COLUMNS = [
  'id',
  'key',
  'type',
  'version',
  'value_ciphertext',
  'comment_ciphertext',
  'skip_multiline_encoding',
  'reminder_note',
  'reminder_repeat_days',
  'metadata',
  'actor',
  'created_at',
  'updated_at',
  'tag_ids',
];

/**
 * The rows of a subquery as one JSON array (with each row's insertion order as `row_order`):
 * a scalar, so the statement's rows are not multiplied by them.
 */
function jsonArray(d: SqlDialect, alias: string, columns: string[]): string {
  const pairs = [...columns.map((c) => `'${c}', ${alias}.${c}`), `'row_order', ${d.rowOrder(alias)}`].join(
    ', ',
  );
  return d.name === 'postgres'
    ? `json_agg(json_build_object(${pairs}))`
    : `json_group_array(json_object(${pairs}))`;
}

/** The view's parameters after the project's: the environment's slug, the secret's key. */
function viewParams(request: ProjectViewRequest): unknown[] {
  if (request.environment === undefined) return [];
  return request.secretKey === undefined ? [request.environment] : [request.environment, request.secretKey];
}

/** The project view from the rows of its statement (at least one; one per folder). */
function viewOf(rows: Row[], identityId: string, request: ProjectViewRequest): ProjectView {
  const first = rows[0] as Row;
  const project = toProject(first);
  const membership =
    first.m_id === null || first.m_id === undefined
      ? undefined
      : membershipOf(
          {
            id: first.m_id,
            project_id: project.id,
            identity_id: identityId,
            created_at: first.m_created_at,
            updated_at: first.m_updated_at,
          },
          jsonRows(first.m_roles),
        );
  let environment: ProjectView['environment'];
  if (first.e_id !== null && first.e_id !== undefined) {
    const record = toEnvironment({ ...pick(first, 'e_', ENV_COLUMNS), project_id: project.id });
    const folderRows = rows
      .filter((r) => r.f_id !== null && r.f_id !== undefined)
      .map((r) => ({ ...pick(r, 'f_', FOLDER_COLUMNS), env_id: record.id }));
    // The order of SecretStore.listFolders.
    environment = { record, folders: orderBy(folderRows, 'created_at', 'name').map(toFolder) };
  }
  let secret: ProjectView['secret'];
  if (request.environment !== undefined && request.secretKey !== undefined) {
    const secretRows = rows
      .filter((r) => r.s_id !== null && r.s_id !== undefined)
      .map((r) => toSecret({ ...pick(r, 's_', SECRET_COLUMNS), folder_id: r.f_id, env_id: first.e_id }));
    // The order of SecretStore.listTags.
    const tags = jsonRows(first.p_tags)
      .sort(
        (a, b) =>
          compareText(a.created_at as string, b.created_at as string) ||
          (a.row_order as number) - (b.row_order as number),
      )
      .map(toTag);
    secret = { key: request.secretKey, rows: secretRows, tags };
  }
  return { project, membership, environment, secret };
}

/** A JSON array column: parsed already by pg (type json), text on SQLite, NULL for no rows on PostgreSQL. */
function jsonRows(value: unknown): Row[] {
  if (value === null || value === undefined) return [];
  return (typeof value === 'string' ? JSON.parse(value) : value) as Row[];
}

/**
 * The project view (ProjectStore.getProjectView) as one statement: one row per folder of the
 * requested environment (one row when there is none), the project and membership columns repeated
 * on each; the roles and the tags are JSON scalars, so roles never multiply the rows; the secret
 * is joined to the folder holding it, so each folder row carries that folder's secret or NULLs.
 */
function projectViewSql(
  d: SqlDialect,
  byId: boolean,
  withEnv: boolean,
  withSecret: boolean,
  viaToken: boolean,
): string {
  const columns = [
    // Named, not `p.*`: a prepared statement may not change its result columns (SqlStatementOptions).
    PROJECT_COLUMNS.map((c) => `p.${c}`).join(', '),
    'm.id AS m_id, m.created_at AS m_created_at, m.updated_at AS m_updated_at',
    `(SELECT ${jsonArray(d, 'r', ROLE_COLUMNS)} FROM project_membership_roles r WHERE r.membership_id = m.id) AS m_roles`,
  ];
  // Via a token: from the token's row (one, or none), the project by id or by slug in the token
  // identity's organization joined to it; NULL project columns when there is no such project.
  const joins = viaToken
    ? [
        TOKEN_FOR_REQUEST_JOINS,
        byId
          ? 'LEFT JOIN projects p ON p.id = ?'
          : 'LEFT JOIN projects p ON p.org_id = i.org_id AND p.slug = ?',
        'LEFT JOIN project_memberships m ON m.project_id = p.id AND m.identity_id = t.identity_id',
      ]
    : ['LEFT JOIN project_memberships m ON m.project_id = p.id AND m.identity_id = ?'];
  if (viaToken) columns.unshift(TOKEN_FOR_REQUEST_COLUMNS);
  if (withEnv) {
    columns.push(aliased('e', 'e_', ENV_COLUMNS), aliased('f', 'f_', FOLDER_COLUMNS));
    joins.push('LEFT JOIN environments e ON e.project_id = p.id AND e.slug = ?');
    joins.push('LEFT JOIN folders f ON f.env_id = e.id');
  }
  if (withSecret) {
    columns.push(
      `(SELECT ${jsonArray(d, 't', TAG_COLUMNS)} FROM secret_tags t WHERE t.project_id = p.id) AS p_tags`,
      aliased(
        's',
        's_',
        SECRET_COLUMNS.filter((c) => c !== 'tag_ids'),
      ),
      `(SELECT ${d.joinText('l.tag_id')} FROM secret_tag_links l WHERE l.secret_id = s.id) AS s_tag_ids`,
    );
    joins.push("LEFT JOIN secrets s ON s.folder_id = f.id AND s.key = ? AND s.type = 'shared'");
  }
  if (viaToken)
    return `SELECT ${columns.join(',\n  ')}\nFROM access_tokens t\n${joins.join('\n')}\nWHERE t.id = ?`;
  const where = byId ? 'p.id = ?' : 'p.org_id = ? AND p.slug = ?';
  return `SELECT ${columns.join(',\n  ')}\nFROM projects p\n${joins.join('\n')}\nWHERE ${where}`;
}

/** A membership row with its role rows (each carrying `row_order`). */
function membershipOf(r: Row, roleRows: Row[]): MembershipRecord {
  const roles = roleRows
    // ORDER BY created_at in memory (no sorter); ties in insertion order.
    .sort(
      (a, b) =>
        compareText(a.created_at as string, b.created_at as string) ||
        (a.row_order as number) - (b.row_order as number),
    )
    .map(toRole);
  return {
    id: r.id as string,
    projectId: r.project_id as string,
    identityId: r.identity_id as string,
    roles,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

async function insertEnvironmentRows(tx: SqlExecutor, env: EnvironmentRecord, rootFolderId: string) {
  await tx.run(
    'INSERT INTO environments (id, project_id, name, slug, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [env.id, env.projectId, env.name, env.slug, env.position, env.createdAt, env.updatedAt],
  );
  await tx.run(
    "INSERT INTO folders (id, env_id, parent_id, name, version, created_at, updated_at) VALUES (?, ?, NULL, 'root', 1, ?, ?)",
    [rootFolderId, env.id, env.createdAt, env.createdAt],
  );
}

async function insertMembershipRows(tx: SqlExecutor, m: MembershipRecord) {
  await tx.run(
    'INSERT INTO project_memberships (id, project_id, identity_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    [m.id, m.projectId, m.identityId, m.createdAt, m.updatedAt],
  );
  await insertRoleRows(tx, m.id, m.roles);
}

async function insertRoleRows(tx: SqlExecutor, membershipId: string, roles: MembershipRoleRecord[]) {
  for (const r of roles) {
    await tx.run(
      `INSERT INTO project_membership_roles (id, membership_id, role, is_temporary, temporary_mode, temporary_range,
       temporary_access_start_time, temporary_access_end_time, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.id,
        membershipId,
        r.role,
        r.isTemporary ? 1 : 0,
        r.temporaryMode,
        r.temporaryRange,
        r.temporaryAccessStartTime,
        r.temporaryAccessEndTime,
        r.createdAt,
        r.updatedAt,
      ],
    );
  }
}
