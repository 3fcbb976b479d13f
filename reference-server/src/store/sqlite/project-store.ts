import type { SqliteDatabase } from '../database.js';
import type { EnvironmentRecord, MembershipRecord, MembershipRoleRecord, ProjectRecord } from '../records.js';
import { bool, compareText, type Row } from './rows.js';

/** Projects, their environments (each with a root folder) and identity memberships. */
export interface ProjectStore {
  /** Inserts the project, its environments with their root folders, and the creator's admin membership. */
  createProject(input: {
    project: ProjectRecord;
    environments: EnvironmentRecord[];
    rootFolderIds: string[];
    creatorMembership: MembershipRecord;
  }): Promise<void>;
  getProject(id: string): Promise<ProjectRecord | undefined>;
  getProjectBySlug(orgId: string, slug: string): Promise<ProjectRecord | undefined>;
  listProjectsForIdentity(identityId: string): Promise<ProjectRecord[]>;
  listProjects(): Promise<ProjectRecord[]>;
  updateProject(project: ProjectRecord): Promise<void>;
  deleteProject(id: string): Promise<void>;
  /** Bumps the project's content version (ETags and caches depend on it). */
  touchContent(projectId: string): Promise<void>;

  listEnvironments(projectId: string): Promise<EnvironmentRecord[]>;
  getEnvironment(id: string): Promise<EnvironmentRecord | undefined>;
  getEnvironmentBySlug(projectId: string, slug: string): Promise<EnvironmentRecord | undefined>;
  /** Inserts the environment and its root folder. */
  createEnvironment(env: EnvironmentRecord, rootFolderId: string): Promise<void>;
  updateEnvironment(env: EnvironmentRecord): Promise<void>;
  deleteEnvironment(id: string): Promise<void>;

  getMembership(projectId: string, identityId: string): Promise<MembershipRecord | undefined>;
  getMembershipById(id: string): Promise<MembershipRecord | undefined>;
  listMemberships(projectId: string): Promise<MembershipRecord[]>;
  listMembershipsOfIdentity(identityId: string): Promise<MembershipRecord[]>;
  insertMembership(membership: MembershipRecord): Promise<void>;
  replaceMembershipRoles(membershipId: string, roles: MembershipRoleRecord[], now: string): Promise<void>;
  deleteMembership(id: string): Promise<void>;
}

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

export class SqliteProjectStore implements ProjectStore {
  constructor(private readonly db: SqliteDatabase) {}

  private insertEnvironmentRows(env: EnvironmentRecord, rootFolderId: string) {
    this.db
      .prepare(
        'INSERT INTO environments (id, project_id, name, slug, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(env.id, env.projectId, env.name, env.slug, env.position, env.createdAt, env.updatedAt);
    this.db
      .prepare(
        "INSERT INTO folders (id, env_id, parent_id, name, version, created_at, updated_at) VALUES (?, ?, NULL, 'root', 1, ?, ?)",
      )
      .run(rootFolderId, env.id, env.createdAt, env.createdAt);
  }

  private insertMembershipRows(m: MembershipRecord) {
    this.db
      .prepare(
        'INSERT INTO project_memberships (id, project_id, identity_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(m.id, m.projectId, m.identityId, m.createdAt, m.updatedAt);
    this.insertRoleRows(m.id, m.roles);
  }

  private insertRoleRows(membershipId: string, roles: MembershipRoleRecord[]) {
    const stmt = this.db.prepare(
      `INSERT INTO project_membership_roles (id, membership_id, role, is_temporary, temporary_mode, temporary_range,
       temporary_access_start_time, temporary_access_end_time, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of roles) {
      stmt.run(
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
      );
    }
  }

  private withRoles(r: Row): MembershipRecord {
    const roles = (
      this.db
        .prepare('SELECT *, rowid AS row_order FROM project_membership_roles WHERE membership_id = ?')
        .all(r.id) as Row[]
    )
      // ORDER BY created_at in memory (no sorter); ties in insertion order, as SQLite returned them.
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

  async createProject({
    project: p,
    environments,
    rootFolderIds,
    creatorMembership,
  }: Parameters<ProjectStore['createProject']>[0]) {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO projects (id, org_id, name, slug, description, type, auto_capitalization, has_delete_protection,
           data_key_wrapped, data_key_id, content_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
          p.createdAt,
          p.updatedAt,
        );
      for (const [i, env] of environments.entries()) this.insertEnvironmentRows(env, rootFolderIds[i]!);
      this.insertMembershipRows(creatorMembership);
    })();
  }

  async getProject(id: string) {
    const r = this.db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as Row | undefined;
    return r && toProject(r);
  }

  async getProjectBySlug(orgId: string, slug: string) {
    const r = this.db.prepare('SELECT * FROM projects WHERE org_id = ? AND slug = ?').get(orgId, slug) as
      | Row
      | undefined;
    return r && toProject(r);
  }

  async listProjectsForIdentity(identityId: string) {
    return (
      this.db
        .prepare(
          `SELECT p.* FROM projects p JOIN project_memberships m ON m.project_id = p.id
           WHERE m.identity_id = ? ORDER BY p.created_at, p.id`,
        )
        .all(identityId) as Row[]
    ).map(toProject);
  }

  async listProjects() {
    return (this.db.prepare('SELECT * FROM projects ORDER BY created_at, id').all() as Row[]).map(toProject);
  }

  async updateProject(p: ProjectRecord) {
    this.db
      .prepare(
        `UPDATE projects SET name = ?, slug = ?, description = ?, auto_capitalization = ?, has_delete_protection = ?,
         updated_at = ? WHERE id = ?`,
      )
      .run(
        p.name,
        p.slug,
        p.description,
        p.autoCapitalization ? 1 : 0,
        p.hasDeleteProtection ? 1 : 0,
        p.updatedAt,
        p.id,
      );
  }

  async deleteProject(id: string) {
    this.db.prepare('DELETE FROM projects WHERE id = ?').run(id);
  }

  async touchContent(projectId: string) {
    this.db.prepare('UPDATE projects SET content_version = content_version + 1 WHERE id = ?').run(projectId);
  }

  async listEnvironments(projectId: string) {
    return (
      this.db
        .prepare('SELECT * FROM environments WHERE project_id = ? ORDER BY position, created_at')
        .all(projectId) as Row[]
    ).map(toEnvironment);
  }

  async getEnvironment(id: string) {
    const r = this.db.prepare('SELECT * FROM environments WHERE id = ?').get(id) as Row | undefined;
    return r && toEnvironment(r);
  }

  async getEnvironmentBySlug(projectId: string, slug: string) {
    const r = this.db
      .prepare('SELECT * FROM environments WHERE project_id = ? AND slug = ?')
      .get(projectId, slug) as Row | undefined;
    return r && toEnvironment(r);
  }

  async createEnvironment(env: EnvironmentRecord, rootFolderId: string) {
    this.db.transaction(() => this.insertEnvironmentRows(env, rootFolderId))();
  }

  async updateEnvironment(env: EnvironmentRecord) {
    this.db
      .prepare('UPDATE environments SET name = ?, slug = ?, position = ?, updated_at = ? WHERE id = ?')
      .run(env.name, env.slug, env.position, env.updatedAt, env.id);
  }

  async deleteEnvironment(id: string) {
    this.db.prepare('DELETE FROM environments WHERE id = ?').run(id);
  }

  async getMembership(projectId: string, identityId: string) {
    const r = this.db
      .prepare('SELECT * FROM project_memberships WHERE project_id = ? AND identity_id = ?')
      .get(projectId, identityId) as Row | undefined;
    return r && this.withRoles(r);
  }

  async getMembershipById(id: string) {
    const r = this.db.prepare('SELECT * FROM project_memberships WHERE id = ?').get(id) as Row | undefined;
    return r && this.withRoles(r);
  }

  async listMemberships(projectId: string) {
    return (
      this.db
        .prepare('SELECT * FROM project_memberships WHERE project_id = ? ORDER BY created_at')
        .all(projectId) as Row[]
    ).map((r) => this.withRoles(r));
  }

  async listMembershipsOfIdentity(identityId: string) {
    return (
      this.db
        .prepare('SELECT * FROM project_memberships WHERE identity_id = ? ORDER BY created_at')
        .all(identityId) as Row[]
    ).map((r) => this.withRoles(r));
  }

  async insertMembership(m: MembershipRecord) {
    this.db.transaction(() => this.insertMembershipRows(m))();
  }

  async replaceMembershipRoles(membershipId: string, roles: MembershipRoleRecord[], now: string) {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM project_membership_roles WHERE membership_id = ?').run(membershipId);
      this.insertRoleRows(membershipId, roles);
      this.db.prepare('UPDATE project_memberships SET updated_at = ? WHERE id = ?').run(now, membershipId);
    })();
  }

  async deleteMembership(id: string) {
    this.db.prepare('DELETE FROM project_memberships WHERE id = ?').run(id);
  }
}
