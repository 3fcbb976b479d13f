/**
 * The project role matrix and the access check: a caller's membership and active roles in one
 * project, with its data key unwrapped. Decides rights; never reads or writes secrets.
 */
import type { AuthContext, ServerContext } from '../context.js';
import { badRequest, forbidden, notFound, permissionDenied } from '../http/errors.js';
import type { DataKey } from '../crypto/value-cipher.js';
import type { ProjectView, ProjectViewRequest } from '../store/contract.js';
import type { MembershipRecord, MembershipRoleRecord, ProjectRecord } from '../store/records.js';

/** What the project role matrix speaks about. */
export type ProjectSubject =
  | 'secrets'
  | 'secret-folders'
  | 'secret-imports'
  | 'tags'
  | 'environments'
  | 'audit-logs'
  | 'secret-rollback'
  | 'identity'
  | 'member'
  | 'settings'
  | 'project'
  | 'kms-keys'
  | 'secret-rotation'
  | 'webhooks';

/**
 * `readValue` is reading a secret's value; `read` alone is describing it. `encrypt` … `verify`
 * are the uses of a KMS key.
 */
export type ProjectAction =
  | 'read'
  | 'readValue'
  | 'create'
  | 'edit'
  | 'delete'
  | 'encrypt'
  | 'decrypt'
  | 'sign'
  | 'verify'
  | 'readGeneratedCredentials'
  | 'rotateSecrets';

const ALL: ProjectAction[] = ['read', 'readValue', 'create', 'edit', 'delete'];
const READ: ProjectAction[] = ['read', 'readValue'];
/** Managing and using KMS keys (upstream's cmek permissions, private-key export aside). */
const KMS_KEYS_ALL: ProjectAction[] = [
  'read',
  'create',
  'edit',
  'delete',
  'encrypt',
  'decrypt',
  'sign',
  'verify',
];

/** Upstream's secret rotation rights, every one of which admins and members hold (viewers: `read`). */
const SECRET_ROTATION_ALL: ProjectAction[] = [
  'read',
  'readGeneratedCredentials',
  'create',
  'edit',
  'delete',
  'rotateSecrets',
];
/** Managing webhooks (upstream's matrix: admins and members manage them, viewers see them). */
const WEBHOOKS_ALL: ProjectAction[] = ['read', 'create', 'edit', 'delete'];

/** Members and admins: every action on the project's content (secrets, folders, imports, tags, environments). */
const CONTENT_WRITER: Partial<Record<ProjectSubject, ProjectAction[]>> = {
  secrets: ALL,
  'secret-folders': ALL,
  'secret-imports': ALL,
  tags: ALL,
  environments: ALL,
  'audit-logs': READ,
  // Upstream's SecretRollback subject: reading versions and snapshots, and rolling back (create).
  'secret-rollback': ['read', 'create'],
};

/** Members and viewers: may see the project, its settings, identities and memberships, never change them. */
const PROJECT_READER: Partial<Record<ProjectSubject, ProjectAction[]>> = {
  identity: ['read'],
  member: ['read'],
  settings: ['read'],
  project: ['read'],
};

/**
 * The built-in project roles: a viewer reads secret values, a member writes them, an admin
 * manages the project and who may use it. Members may read memberships but not grant or
 * change them (upstream's matrix gives that to admins only), so a member cannot raise itself
 * or anyone else (docs/reference/authorization.md).
 */
export const PROJECT_ROLES: Record<string, Partial<Record<ProjectSubject, ProjectAction[]>>> = {
  admin: {
    ...CONTENT_WRITER,
    identity: ALL,
    member: ALL,
    settings: ALL,
    project: ALL,
    'kms-keys': KMS_KEYS_ALL,
    'secret-rotation': SECRET_ROTATION_ALL,
    webhooks: WEBHOOKS_ALL,
  },
  member: {
    ...CONTENT_WRITER,
    ...PROJECT_READER,
    'kms-keys': KMS_KEYS_ALL,
    'secret-rotation': SECRET_ROTATION_ALL,
    webhooks: WEBHOOKS_ALL,
  },
  viewer: {
    secrets: READ,
    'secret-folders': READ,
    'secret-imports': READ,
    tags: READ,
    environments: READ,
    'audit-logs': READ,
    'secret-rollback': ['read'],
    ...PROJECT_READER,
    // A viewer sees keys (metadata, public keys, algorithms) but cannot use them.
    'kms-keys': ['read'],
    'secret-rotation': ['read'],
    webhooks: ['read'],
  },
  'no-access': {},
};

export const BUILT_IN_PROJECT_ROLES = Object.keys(PROJECT_ROLES);

/** Roles in force now: permanent ones and temporary ones inside their window. */
export function activeRoles(roles: MembershipRoleRecord[], nowMs: number): string[] {
  return roles
    .filter(
      (r) =>
        !r.isTemporary ||
        (r.temporaryAccessStartTime !== null &&
          r.temporaryAccessEndTime !== null &&
          Date.parse(r.temporaryAccessStartTime) <= nowMs &&
          nowMs < Date.parse(r.temporaryAccessEndTime)),
    )
    .map((r) => r.role);
}

/** Whether any of the roles allows the action on the subject. */
export const rolesAllow = (roles: string[], action: ProjectAction, subject: ProjectSubject) =>
  roles.some((role) => PROJECT_ROLES[role]?.[subject]?.includes(action) ?? false);

/** Every (subject, action) pair a set of roles grants. */
function grantsOf(roles: string[]): [ProjectSubject, ProjectAction][] {
  return roles.flatMap((role) =>
    Object.entries(PROJECT_ROLES[role] ?? {}).flatMap(([subject, actions]) =>
      actions.map((action) => [subject as ProjectSubject, action] as [ProjectSubject, ProjectAction]),
    ),
  );
}

/**
 * The privilege boundary (upstream's PermissionBoundaryError): a caller may only hand out
 * or take away roles whose every permission it holds itself.
 */
export function assertWithinBoundary(access: ProjectAccess, roles: string[], what: string): void {
  const missing = grantsOf(roles).filter(([subject, action]) => !access.can(action, subject));
  if (missing.length > 0) {
    throw forbidden(`Failed to ${what}: the role would grant more privileges than you hold`, {
      name: 'PermissionBoundaryError',
      details: { missingPermissions: missing.map(([subject, action]) => ({ action, subject })) },
    });
  }
}

/** A caller's standing in one project. */
export interface ProjectAccess {
  project: ProjectRecord;
  roles: string[];
  /** The project's data key, unwrapped when the access was checked (every project-scoped call may need it). */
  dataKey: DataKey;
  /**
   * What was read in the same statement as the access (`ProjectStore.getProjectView`), when the
   * request named its environment: the request's ProjectScope starts from it instead of reading
   * it again (domains/secrets/project-scope.ts). Read fresh for this request, never cached.
   */
  loaded?: LoadedView;
  can(action: ProjectAction, subject: ProjectSubject): boolean;
  /** Throws the contract's 403 PermissionDenied when not allowed. */
  assert(action: ProjectAction, subject: ProjectSubject): void;
}

/** The environment (by slug) and secret rows read with a caller's access: see {@link ProjectAccess.loaded}. */
export interface LoadedView {
  /** The slug asked for; `environment` is undefined when the project has no such environment. */
  environmentSlug: string;
  environment: ProjectView['environment'];
  secret: ProjectView['secret'];
}

/**
 * Loads a project the caller belongs to, with what the request names in `request` (its
 * environment and folders, a secret's rows) in the same statement. A project in another
 * organization is 404; a caller without membership gets upstream's 403.
 */
export async function projectAccess(
  ctx: ServerContext,
  auth: AuthContext,
  projectId: string,
  request: ProjectViewRequest = {},
): Promise<ProjectAccess> {
  const view = await ctx.store.projects.getProjectView({ id: projectId }, auth.identity.id, request);
  return accessFromView(ctx, auth, { projectId, ...request }, view);
}

/** As {@link projectAccess} for a project already loaded (its membership read on its own). */
export async function accessFor(
  ctx: ServerContext,
  auth: AuthContext,
  project: ProjectRecord,
): Promise<ProjectAccess> {
  return grant(ctx, project, await ctx.store.projects.getMembership(project.id, auth.identity.id), undefined);
}

const loadedOf = (view: ProjectView, request: ProjectViewRequest): LoadedView | undefined =>
  request.environment === undefined
    ? undefined
    : { environmentSlug: request.environment, environment: view.environment, secret: view.secret };

async function grant(
  ctx: ServerContext,
  project: ProjectRecord,
  membership: MembershipRecord | undefined,
  loaded: LoadedView | undefined,
): Promise<ProjectAccess> {
  if (!membership) {
    throw forbidden(`Identity is not a member of the specified project with ID '${project.id}'`, {
      name: 'PermissionDenied',
    });
  }
  const roles = activeRoles(membership.roles, ctx.now());
  // Every project-scoped request may need the data key: unwrap it now (a cache hit after the first).
  const dataKey = await ctx.loadDataKey(project);
  const can = (action: ProjectAction, subject: ProjectSubject) => rolesAllow(roles, action, subject);
  return {
    project,
    roles,
    dataKey,
    ...(loaded ? { loaded } : {}),
    can,
    assert(action, subject) {
      if (!can(action, subject)) throw permissionDenied(action, subject);
    },
  };
}

/**
 * Resolves `workspaceId` / `workspaceSlug` / `projectSlug` inside the caller's organization, with
 * what the request names (see {@link projectAccess}) read in the same statement.
 */
export async function resolveProject(
  ctx: ServerContext,
  auth: AuthContext,
  ref: { projectId?: string | undefined; projectSlug?: string | undefined } & ProjectViewRequest,
): Promise<ProjectAccess> {
  const request = { environment: ref.environment, secretKey: ref.secretKey };
  if (ref.projectId) return projectAccess(ctx, auth, ref.projectId, request);
  if (!ref.projectSlug) throw badRequest('You must provide projectSlug or workspaceId');
  const view = await ctx.store.projects.getProjectView(
    { orgId: auth.orgId, slug: ref.projectSlug },
    auth.identity.id,
    request,
  );
  return accessFromView(ctx, auth, ref, view);
}

/**
 * The access a project view grants (read by {@link resolveProject}, or with the token in one
 * statement, domains/secrets/caller.ts): 404 for no such project in the caller's organization,
 * upstream's 403 for a caller without membership.
 */
export async function accessFromView(
  ctx: ServerContext,
  auth: AuthContext,
  ref: { projectId?: string | undefined; projectSlug?: string | undefined } & ProjectViewRequest,
  view: ProjectView | undefined,
): Promise<ProjectAccess> {
  if (ref.projectId) {
    if (!view || view.project.orgId !== auth.orgId)
      throw notFound(`Project with ID '${ref.projectId}' not found`);
  } else if (!view || view.project.orgId !== auth.orgId) {
    throw notFound(`Project with slug '${ref.projectSlug}' not found`);
  }
  const request = { environment: ref.environment, secretKey: ref.secretKey };
  return grant(ctx, view.project, view.membership, loadedOf(view, request));
}
